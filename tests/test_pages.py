"""Reading pages: a reviewer relies on the right words, with boxes on the upright page, and on
form checkboxes decided from what was actually marked. Real Tesseract on real fax files."""
from __future__ import annotations

import io

import pytesseract
import pytest
from PIL import Image, ImageDraw

from extraction.documents import open_document
from extraction.errors import ConfigurationError, OcrEngineError
from extraction.imaging import estimate_skew
from extraction.limits import Limits
from extraction.models import BBox, Word
from extraction.ocr import TesseractEngine
from extraction.pages import has_real_text, read_page, read_pages
from fax_fixtures import (
    CHECKBOXES, DOB, PRODUCT, checkbox_top_points, faxed, form_pdf, with_undecodable_last_page,
)
from synthetic.fax import FaxDamage

ENGINE = TesseractEngine()


@pytest.fixture(scope="module")
def sideways_and_upside_down(tmp_path_factory):
    """A two-page G3 fax TIFF: page 1 fed upside down, page 2 sideways; noisy and skewed."""
    damage = FaxDamage(noise=0.003, skew_degrees=2.0, rotations={0: 180, 1: 90}, seed=3)
    data = faxed(tmp_path_factory.mktemp("fax"), "packet.tif", damage, pages=2, compression="group3")
    with open_document(data, Limits()) as doc:
        yield read_pages(doc, ENGINE)


@pytest.fixture(scope="module")
def tiff2pdf_fax(tmp_path_factory):
    """One upright, skewed, noisy page wrapped by tiff2pdf (an image-only PDF)."""
    damage = FaxDamage(noise=0.003, skew_degrees=2.0, seed=14)  # seed 14: about 1.6 degrees
    data = faxed(tmp_path_factory.mktemp("fax"), "packet.pdf", damage)
    with open_document(data, Limits()) as doc:
        return read_page(doc, 0, ENGINE)


def _assert_words_on_page(page):
    assert page.words
    for word in page.words:
        assert word.bbox.x1 <= page.width + 0.01 and word.bbox.y1 <= page.height + 0.01


def _checkbox_states(page) -> list[bool]:
    """States of the checkboxes next to the form's known boxes, top to bottom."""
    states = []
    for top in checkbox_top_points():
        near = [c for c in page.checkboxes if abs(c.bbox.y0 - top) < 6 and c.bbox.x0 < 100]
        assert len(near) == 1, f"expected one checkbox near y={top}, found {len(near)}"
        states.append(near[0].checked)
    return states


EXPECTED_STATES = [mark != "empty" for _, mark in CHECKBOXES]


def test_digital_pdf_uses_its_text_layer():
    with open_document(form_pdf(), Limits()) as doc:
        reading = read_page(doc, 0, ENGINE)
    page = reading.page
    assert page.method == "text_layer" and page.mean_confidence == 1.0
    assert DOB in page.text and PRODUCT in page.text
    _assert_words_on_page(page)
    assert _checkbox_states(page) == EXPECTED_STATES
    # lines in reading order: the DOB line comes after the name line and before the product line
    line_of = {w.text: w.line for w in page.words}
    assert line_of["Testperson"] < line_of[DOB] < line_of[PRODUCT]
    assert reading.image.width == pytest.approx(page.width * 150 / 72, abs=2)


def test_image_only_pdf_is_ocred_with_skew_corrected(tiff2pdf_fax):
    page, image = tiff2pdf_fax.page, tiff2pdf_fax.image
    assert page.method == "ocr" and page.rotation == 0
    assert DOB in page.text and PRODUCT in page.text
    _assert_words_on_page(page)
    assert 1.0 <= abs(page.skew) <= 2.1
    assert abs(estimate_skew(image)) < 0.3  # the returned image is straight
    assert 0.5 < page.mean_confidence <= 1.0


def test_upside_down_page_comes_out_upright(sideways_and_upside_down):
    page = sideways_and_upside_down[0].page
    assert page.method == "ocr" and page.rotation == 180
    assert DOB in page.text and PRODUCT in page.text
    _assert_words_on_page(page)
    dob = next(w for w in page.words if w.text == DOB)
    assert dob.bbox.y0 < page.height / 3  # near the top of the upright page, as printed


def test_sideways_page_comes_out_upright(sideways_and_upside_down):
    page = sideways_and_upside_down[1].page
    assert page.rotation == 270  # fed turned 90 clockwise: turned back 270 clockwise
    assert page.height > page.width
    assert DOB in page.text and PRODUCT in page.text
    _assert_words_on_page(page)


def test_checkboxes_on_a_faxed_page_are_decided_from_pixels(sideways_and_upside_down, tiff2pdf_fax):
    for reading in (sideways_and_upside_down[0], tiff2pdf_fax):
        page = reading.page
        assert _checkbox_states(page) == EXPECTED_STATES
        assert all(c.confidence > 0.8 for c in page.checkboxes)
        empty = [c for c in page.checkboxes if not c.checked]
        assert all(c.fill_ratio < 0.05 for c in empty)


def test_garbage_text_layer_is_not_trusted():
    garbage = [Word(t, _box(), 1.0) for t in "xq#zt ~~vbnm qpzx 0x7f]] ;;kk% @@@ zzxq".split()]
    real = [Word(t, _box(), 1.0) for t in "Patient relapsed after two lines of therapy on 03/14/2024".split()]
    assert not has_real_text(garbage)
    assert has_real_text(real)
    assert not has_real_text(real[:2])  # a stray word or two is not a text layer


def test_a_page_with_damaged_image_data_degrades_instead_of_failing_the_document(tmp_path):
    data = with_undecodable_last_page(faxed(tmp_path, "two.tif", pages=2))
    with open_document(data, Limits()) as doc:
        assert doc.page_count == 2
        reading = read_page(doc, 1, ENGINE)
    assert reading.page.method == "failed" and reading.page.error == "corrupt_document"
    assert reading.page.number == 2 and reading.image is None


def _box():
    return BBox(0, 0, 10, 10)


def test_ocr_timeout_is_a_retryable_engine_error_not_a_failed_page():
    impatient = TesseractEngine(timeout_seconds=0.01)
    with open_document(_blank_png_with_text(), Limits()) as doc:
        with pytest.raises(OcrEngineError, match="did not finish within") as caught:
            read_page(doc, 0, impatient)
    assert caught.value.retryable


def test_missing_tesseract_is_a_configuration_error(monkeypatch):
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(ConfigurationError, match="tesseract"):
        ENGINE.read_words(Image.new("L", (200, 200), 255), 200)


def test_blank_page_has_no_orientation_evidence():
    assert ENGINE.detect_orientation(Image.new("L", (1000, 1300), 255), 150) == 0


def _blank_png_with_text() -> bytes:
    image = Image.new("L", (1700, 2200), 255)
    ImageDraw.Draw(image).text((200, 200), "Date of birth 03/14/1971", fill=0)
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(200, 200))
    return buf.getvalue()
