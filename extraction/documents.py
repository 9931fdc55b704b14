"""Open an uploaded file as a SourceDocument: sniff its type from bytes, enforce Limits, and
give pages.py per-page access to the text layer and to a page image at its native resolution.

This is the boundary for pdfplumber/pdfminer, pypdfium2 and PIL (with extraction.pdf_content,
which parses one page within the per-page content limits): their exceptions are translated into
`extraction.errors` here. Library objects are not thread-safe, so every access
holds the document's lock; OCR (a subprocess) runs outside it, which is what lets
`pages.read_pages` overlap pages.
"""
from __future__ import annotations

import io
import itertools
import threading
from dataclasses import dataclass

import pdfplumber
import pypdfium2
import pypdfium2.raw as pdfium_c
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from PIL import Image, ImageOps, UnidentifiedImageError

from extraction.errors import (
    CorruptDocument, EmptyDocument, EncryptedDocument, LimitExceeded, TooLarge, TooManyPages, TooManyPixels,
    UnsupportedFormat,
)
from extraction.limits import Limits
from extraction.models import BBox, Word
from extraction.pdf_content import build_layout, check_content_bytes

_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
# Many producers put a few bytes of junk before the header; Acrobat accepts it within 1 KiB.
_PDF_HEADER_WINDOW = 1024
# The leading bytes sniff_media_type needs to decide (an upload handler keeps this many).
SNIFF_BYTES = _PDF_HEADER_WINDOW
# A complete PDF ends with %%EOF; viewers look for it in the last KiB. Missing means truncated.
_PDF_EOF_WINDOW = 1024
# Without a resolution tag, a scan or photo is most likely a letter page (8.5 in) wide.
_ASSUMED_PAGE_WIDTH_INCHES = 8.5
_PLAUSIBLE_DPI = (50.0, 1200.0)
_TEXT_LINE_TOLERANCE_PT = 3.0
# PIL reports damage as any of these (a TIFF missing its size tags is a TypeError,
# an unknown compression a KeyError).
_PIL_ERRORS = (OSError, ValueError, TypeError, KeyError, SyntaxError, EOFError, Image.DecompressionBombError)


def sniff_media_type(data: bytes) -> str:
    """The document type from its magic bytes (never the file name)."""
    if not data:
        raise EmptyDocument("the file is empty (0 bytes)")
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if b"%PDF-" in data[:_PDF_HEADER_WINDOW]:
        return "application/pdf"
    raise UnsupportedFormat("the file is not a PDF, TIFF, PNG or JPEG (unrecognized content)")


@dataclass(frozen=True)
class DrawnRect:
    """A rectangle drawn in a PDF's vector content (form checkboxes are often these)."""
    bbox: BBox
    filled: bool  # painted with a dark fill


@dataclass
class TextLayer:
    words: list[Word]  # reading order: lines top to bottom, words left to right
    rects: list[DrawnRect]
    strokes: list[BBox]  # drawn line segments and curves, e.g. the two strokes of an X


@dataclass
class RasterPage:
    image: Image.Image  # grayscale ("L"), square pixels
    dpi: float


class SourceDocument:
    """An opened, validated document. Use as a context manager or call close()."""

    media_type: str
    page_count: int

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def page_size(self, index: int) -> tuple[float, float]:
        """Width and height in points, as the page is stored (before any upright rotation)."""
        raise NotImplementedError

    def text_layer(self, index: int) -> TextLayer | None:
        """Words and drawings of a PDF page's content; None for image formats."""
        return None

    def raster(self, index: int) -> RasterPage:
        """The page image at its native resolution (capped by Limits.raster_dpi_max)."""
        raise NotImplementedError

    def render(self, index: int, dpi: float) -> Image.Image:
        """A grayscale rendering of the page at `dpi` (for previews of text-layer pages)."""
        raster = self.raster(index)
        scale = dpi / raster.dpi
        size = (max(1, round(raster.image.width * scale)), max(1, round(raster.image.height * scale)))
        return raster.image.resize(size, Image.BILINEAR)

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> "SourceDocument":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.page_count:
            raise IndexError(f"page index {index} outside 0..{self.page_count - 1}")


def open_document(data: bytes, limits: Limits, decode: bool = True) -> SourceDocument:
    """Validate the bytes against `limits` and open them; raises a BadInput subclass naming why not.

    `decode=False` checks headers and structure only (type, pages, page sizes and pixels) and
    decodes no pixel data: what an upload handler may afford. Reading pages needs decode=True."""
    if len(data) > limits.max_bytes:
        raise TooLarge(f"the file is {len(data):,} bytes; the limit is {limits.max_bytes:,} bytes")
    media_type = sniff_media_type(data)
    if media_type == "application/pdf":
        return PdfSource(data, limits)
    return ImageSource(data, media_type, limits, decode=decode)


def _check_page_count(count: int, limits: Limits) -> None:
    if count == 0:
        raise EmptyDocument("the document has no pages")
    if count > limits.max_pages:
        raise TooManyPages(f"the document has {count} pages; the limit is {limits.max_pages}")


def _check_pixels(index: int, width_px: float, height_px: float, limits: Limits) -> None:
    pixels = int(width_px * height_px)
    if pixels > limits.max_page_pixels:
        raise TooManyPixels(
            f"page {index + 1} is {int(width_px)}x{int(height_px)} = {pixels:,} pixels to read; "
            f"the limit is {limits.max_page_pixels:,} pixels per page")


class PdfSource(SourceDocument):
    media_type = "application/pdf"

    def __init__(self, data: bytes, limits: Limits) -> None:
        super().__init__()
        self._limits = limits
        if b"%%EOF" not in data[-_PDF_EOF_WINDOW:]:
            raise CorruptDocument("the PDF is truncated (no end-of-file marker); resend the complete file")
        # pdfminer first: it names encryption precisely and, unlike PDFium, opens a PDF with
        # no pages, which is an empty document rather than a corrupt one.
        self._plumber = self._open_plumber(data)
        try:
            _check_page_count(self._plumber_page_count(), limits)
            self._pdfium = self._open_pdfium(data)
        except BaseException:
            _close_plumber(self._plumber)
            raise
        try:
            self.page_count = len(self._pdfium)
            _check_page_count(self.page_count, limits)
            self._sizes = [self._pdfium.get_page_size(i) for i in range(self.page_count)]
            scale = limits.raster_dpi_max / 72
            for i, (w, h) in enumerate(self._sizes):
                _check_pixels(i, w * scale, h * scale, limits)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _open_pdfium(data: bytes) -> pypdfium2.PdfDocument:
        try:
            return pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                raise EncryptedDocument("the PDF is password-protected; send it without a password") from exc
            raise CorruptDocument(f"the PDF cannot be parsed (PDFium error {exc.err_code})") from exc

    @staticmethod
    def _open_plumber(data: bytes) -> pdfplumber.PDF:
        try:
            return pdfplumber.open(io.BytesIO(data))
        except Exception as exc:  # pdfminer wraps every parse failure in PdfminerException
            cause = exc.__cause__ or (exc.args[0] if exc.args else None)
            if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
                raise EncryptedDocument("the PDF is password-protected; send it without a password") from exc
            raise CorruptDocument("the PDF's structure cannot be parsed") from exc

    def _plumber_page_count(self) -> int:
        try:  # builds every page: walks the page tree and reads each media box
            return len(self._plumber.pages)
        except RecursionError as exc:
            raise CorruptDocument("the PDF's page tree is nested too deeply to read") from exc
        except Exception as exc:  # pdfminer/pdfplumber: PDFSyntaxError, a malformed MediaBox (TypeError, ...)
            raise CorruptDocument("the PDF's page tree or a page's MediaBox cannot be parsed") from exc

    def page_size(self, index: int) -> tuple[float, float]:
        self._check_index(index)
        return self._sizes[index]

    def text_layer(self, index: int) -> TextLayer:
        self._check_index(index)
        with self._lock:
            page = self._plumber.pages[index]
            try:
                build_layout(page, self._limits)  # bounded: LimitExceeded before memory is spent
                raw_words = page.extract_words()
                rects, lines, curves = page.rects, page.lines, page.curves
            except LimitExceeded:
                raise
            except Exception as exc:  # pdfminer raises assorted types on a damaged content stream
                raise CorruptDocument(f"page {index + 1}'s content cannot be parsed") from exc
            finally:
                page.close()
        width, height = self._sizes[index]
        to_box = lambda o: _clamped_box(o["x0"], o["top"], o["x1"], o["bottom"], width, height)  # noqa: E731
        return TextLayer(
            words=_words_in_lines(raw_words, to_box),
            rects=[DrawnRect(to_box(r), bool(r.get("fill")) and _is_dark(r.get("non_stroking_color")))
                   for r in rects],
            strokes=[to_box(o) for o in (*lines, *curves)],
        )

    def _native_dpi(self, index: int) -> float:
        """The resolution of the page's largest embedded image, else the raster maximum."""
        with self._lock:
            page = self._pdfium[index]
            try:
                best_area, best_dpi = 0.0, float(self._limits.raster_dpi_max)
                for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
                    left, bottom, right, top = obj.get_bounds()
                    px_w, px_h = obj.get_px_size()
                    _check_pixels(index, px_w, px_h, self._limits)  # PDFium decodes it whole to render
                    w_pt, h_pt = right - left, top - bottom
                    if w_pt * h_pt > best_area and w_pt > 0 and h_pt > 0:
                        best_area = w_pt * h_pt
                        best_dpi = max(px_w / w_pt, px_h / h_pt) * 72
            except pypdfium2.PdfiumError as exc:
                raise CorruptDocument(f"page {index + 1}'s images cannot be read") from exc
            finally:
                page.close()
        return min(best_dpi, float(self._limits.raster_dpi_max))

    def raster(self, index: int) -> RasterPage:
        self._check_index(index)
        dpi = self._native_dpi(index)
        return RasterPage(self.render(index, dpi), dpi)

    def render(self, index: int, dpi: float) -> Image.Image:
        self._check_index(index)
        with self._lock:
            try:
                check_content_bytes(self._plumber.pages[index], self._limits)
            except LimitExceeded:
                raise
            except Exception as exc:
                raise CorruptDocument(f"page {index + 1}'s content cannot be parsed") from exc
            page = self._pdfium[index]
            try:
                return page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            except pypdfium2.PdfiumError as exc:
                raise CorruptDocument(f"page {index + 1} cannot be rendered") from exc
            finally:
                page.close()

    def close(self) -> None:
        with self._lock:
            _close_plumber(self._plumber)
            self._pdfium.close()


def _close_plumber(pdf: pdfplumber.PDF) -> None:
    try:
        pdf.close()  # builds the page list to close each page: raises again on a malformed page tree
    except Exception:  # noqa: BLE001 - no page was parsed; the stream is all there is to release
        pdf.stream.close()


def _clamped_box(x0: float, top: float, x1: float, bottom: float, width: float, height: float) -> BBox:
    # Glyph boxes may poke outside the media box; boxes are promised to lie on the page.
    cx = lambda v: min(max(v, 0.0), width)  # noqa: E731
    cy = lambda v: min(max(v, 0.0), height)  # noqa: E731
    return BBox(cx(min(x0, x1)), cy(min(top, bottom)), cx(max(x0, x1)), cy(max(top, bottom)))


def _words_in_lines(raw_words: list[dict], to_box) -> list[Word]:
    """pdfplumber words grouped into page-unique lines (top to bottom), left to right within one."""
    lines: list[list[dict]] = []
    for w in sorted(raw_words, key=lambda w: (w["top"], w["x0"])):
        if lines and abs(w["top"] - lines[-1][0]["top"]) <= _TEXT_LINE_TOLERANCE_PT:
            lines[-1].append(w)
        else:
            lines.append([w])
    return [Word(w["text"], to_box(w), 1.0, line=n)
            for n, line in enumerate(lines) for w in sorted(line, key=lambda w: w["x0"])]


def _is_dark(color: object) -> bool:
    """pdfminer colors are a gray number or a gray/RGB/CMYK tuple; patterns count as not dark."""
    if isinstance(color, (int, float)):
        color = (color,)
    if not isinstance(color, (tuple, list)) or not all(isinstance(c, (int, float)) for c in color):
        return False
    if len(color) == 1:
        return color[0] < 0.5
    if len(color) == 3:
        return sum(color) / 3 < 0.5
    if len(color) == 4:
        return 1 - min(1.0, color[3] + sum(color[:3]) / 3) < 0.5
    return False


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    dpi_x: float
    dpi_y: float


class ImageSource(SourceDocument):
    """TIFF (one page per frame), PNG or JPEG."""

    def __init__(self, data: bytes, media_type: str, limits: Limits, decode: bool = True) -> None:
        super().__init__()
        self.media_type = media_type
        self._limits = limits
        try:
            self._image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise TooManyPixels(f"the image is too many pixels to read ({exc})") from exc
        except (UnidentifiedImageError, *_PIL_ERRORS) as exc:
            raise CorruptDocument(f"the {media_type} image cannot be parsed: damaged or truncated file") from exc
        try:
            self._frames = self._scan_frames(len(data))
            self.page_count = len(self._frames)
            if decode and media_type != "image/tiff":
                self._image.load()  # one page: a damaged image is an unusable file
        except _PIL_ERRORS as exc:
            self._image.close()
            raise CorruptDocument(f"the {media_type} image is damaged or truncated") from exc
        except BaseException:
            self._image.close()
            raise

    def _scan_frames(self, file_size: int) -> list[_Frame]:
        """Frame sizes and resolutions from the headers only (no pixel decoding). Frames are
        walked one by one up to the page limit: PIL's n_frames would walk a chain of 200,000
        tiny TIFF directories (~23 MB) first, for minutes."""
        frames = []
        for i in itertools.count():
            try:
                self._image.seek(i)
            except EOFError:
                break
            if i == self._limits.max_pages:
                raise TooManyPages(f"the document has more than {i} pages; the limit is {i}")
            if self.media_type == "image/tiff":
                _check_tiff_data_in_file(self._image, i, file_size)
            frame = _Frame(self._image.width, self._image.height, *_image_dpi(self._image))
            # Decoding holds the stored pixels whatever the resolution tag says (a 13000x13000
            # PNG without one is "8.5 in wide"): they are bounded too, not only the target raster.
            _check_pixels(i, frame.width, frame.height, self._limits)
            scale = self._target_dpi(frame)
            _check_pixels(i, frame.width * scale / frame.dpi_x, frame.height * scale / frame.dpi_y,
                          self._limits)
            frames.append(frame)
        self._image.seek(0)
        return frames

    def _target_dpi(self, frame: _Frame) -> float:
        # Square pixels at the finer axis (204x196 fax -> 204x204), capped like PDF rasters.
        return min(max(frame.dpi_x, frame.dpi_y), float(self._limits.raster_dpi_max))

    def page_size(self, index: int) -> tuple[float, float]:
        self._check_index(index)
        f = self._frames[index]
        return f.width / f.dpi_x * 72, f.height / f.dpi_y * 72

    def raster(self, index: int) -> RasterPage:
        self._check_index(index)
        frame = self._frames[index]
        with self._lock:
            try:
                self._image.seek(index)
                image = self._image.convert("L")
            except _PIL_ERRORS as exc:
                raise CorruptDocument(f"page {index + 1}'s image data is damaged") from exc
        if self.media_type == "image/jpeg":
            image = ImageOps.exif_transpose(image)
        dpi = self._target_dpi(frame)
        size = (round(frame.width * dpi / frame.dpi_x), round(frame.height * dpi / frame.dpi_y))
        if size != image.size:
            image = image.resize(size, Image.BILINEAR)
        return RasterPage(image, dpi)

    def close(self) -> None:
        with self._lock:
            self._image.close()


def _image_dpi(image: Image.Image) -> tuple[float, float]:
    dpi = image.info.get("dpi")
    low, high = _PLAUSIBLE_DPI
    if dpi and all(low <= float(d) <= high for d in dpi[:2]):
        return float(dpi[0]), float(dpi[1])
    guess = image.width / _ASSUMED_PAGE_WIDTH_INCHES
    return guess, guess


def _check_tiff_data_in_file(image: Image.Image, index: int, file_size: int) -> None:
    """A frame whose strips or tiles point past the end of the file means the upload was cut off."""
    tags = image.tag_v2
    for offsets_tag, counts_tag in ((273, 279), (324, 325)):
        offsets, counts = tags.get(offsets_tag), tags.get(counts_tag)
        if offsets is None or counts is None:
            continue
        offsets = offsets if isinstance(offsets, tuple) else (offsets,)
        counts = counts if isinstance(counts, tuple) else (counts,)
        if max(o + c for o, c in zip(offsets, counts)) > file_size:
            raise CorruptDocument(
                f"the TIFF is truncated: page {index + 1}'s image data runs past the end of the file")
