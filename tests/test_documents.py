"""Opening uploads: the type comes from the bytes, and every unusable file is refused with a
reason the sender can act on."""
from __future__ import annotations

import io
import os
import subprocess

import pytest
from PIL import Image

from extraction.documents import open_document, sniff_media_type
from extraction.errors import (
    CorruptDocument, EmptyDocument, EncryptedDocument, TooLarge, TooManyPages, TooManyPixels,
    UnsupportedFormat,
)
from extraction.limits import Limits
from fax_fixtures import faxed, form_pdf

LIMITS = Limits()


def _image_bytes(fmt: str, size=(1700, 2200), dpi=(200, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, 255).save(buf, format=fmt, dpi=dpi)
    return buf.getvalue()


@pytest.fixture(scope="module")
def fax_tiff(tmp_path_factory) -> bytes:
    return faxed(tmp_path_factory.mktemp("fax"), "packet.tif", pages=2)


def test_type_comes_from_bytes_not_the_file_name(tmp_path, fax_tiff):
    misnamed = tmp_path / "scan.pdf"
    misnamed.write_bytes(_image_bytes("PNG"))
    assert sniff_media_type(misnamed.read_bytes()) == "image/png"
    assert sniff_media_type(_image_bytes("JPEG")) == "image/jpeg"
    assert sniff_media_type(fax_tiff) == "image/tiff"
    assert sniff_media_type(form_pdf()) == "application/pdf"


def test_fax_tiff_pages_have_fax_resolution_resampled_to_square_pixels(fax_tiff):
    with open_document(fax_tiff, LIMITS) as doc:
        assert (doc.media_type, doc.page_count) == ("image/tiff", 2)
        width, height = doc.page_size(0)
        assert round(width) in (609, 610, 612) and round(height) == 792
        raster = doc.raster(1)
        assert raster.dpi == 204
        # 196-dpi rows stretched to 204: one pixel is as tall as it is wide
        assert raster.image.height == pytest.approx(height / 72 * 204, abs=2)


def test_png_and_jpeg_open_as_one_page_at_their_resolution():
    for fmt, media_type in (("PNG", "image/png"), ("JPEG", "image/jpeg")):
        with open_document(_image_bytes(fmt), LIMITS) as doc:
            assert (doc.media_type, doc.page_count) == (media_type, 1)
            assert doc.page_size(0) == pytest.approx((612, 792), abs=0.1)
            assert doc.raster(0).dpi == pytest.approx(200, abs=0.1)


def test_empty_file_is_refused():
    with pytest.raises(EmptyDocument, match="empty"):
        open_document(b"", LIMITS)


def test_random_bytes_are_an_unsupported_format():
    with pytest.raises(UnsupportedFormat, match="not a PDF, TIFF, PNG or JPEG"):
        open_document(os.urandom(4096), LIMITS)


def test_truncated_pdf_is_corrupt():
    data = form_pdf()
    with pytest.raises(CorruptDocument, match="truncated"):
        open_document(data[: len(data) // 2], LIMITS)


def test_truncated_tiff_is_corrupt(fax_tiff):
    with pytest.raises(CorruptDocument, match="truncated"):
        open_document(fax_tiff[: int(len(fax_tiff) * 0.7)], LIMITS)


def test_password_protected_pdf_is_refused(tmp_path):
    plain, locked = tmp_path / "plain.pdf", tmp_path / "locked.pdf"
    plain.write_bytes(form_pdf())
    subprocess.run(["qpdf", "--encrypt", "user-secret", "owner-secret", "256", "--",
                    str(plain), str(locked)], check=True)
    with pytest.raises(EncryptedDocument, match="password"):
        open_document(locked.read_bytes(), LIMITS)


def test_too_many_pages():
    with pytest.raises(TooManyPages, match="3 pages; the limit is 2"):
        open_document(form_pdf(pages=3), Limits(max_pages=2))


def test_too_many_pixels_for_pdf_pages_and_images():
    # letter at 300 dpi is 2550 x 3300 = 8.4 M pixels
    with pytest.raises(TooManyPixels, match="page 1 .* pixels"):
        open_document(form_pdf(), Limits(max_page_pixels=5_000_000))
    with pytest.raises(TooManyPixels, match="limit is 1,000,000 pixels"):
        open_document(_image_bytes("PNG"), Limits(max_page_pixels=1_000_000))


def test_too_large_file_is_refused_before_parsing():
    with pytest.raises(TooLarge, match="limit is 1,000 bytes"):
        open_document(b"%PDF-1.7" + b"\0" * 2000, Limits(max_bytes=1000))


def test_pdf_without_pages_is_empty(tmp_path):
    empty = tmp_path / "empty.pdf"
    subprocess.run(["qpdf", "--empty", str(empty)], check=True)
    with pytest.raises(EmptyDocument, match="no pages"):
        open_document(empty.read_bytes(), LIMITS)
