"""One PDF page's content parsed by pdfminer within Limits: decompressed content-stream bytes,
characters and drawn shapes per page.

pdfminer inflates every content stream whole (zlib.decompress) and keeps a Python object per
glyph and per path; pdfplumber adds a dict for each. A 44 KB page whose Flate stream inflates to
15 MB of text operators therefore grows a process past 5 GB. Here each stream's decoded size is
measured with a bounded inflate before pdfminer decodes it (Form XObjects count every time they
are drawn), and the layout device stops at the first glyph or shape over its budget. The layout
built here is what pdfplumber then reads (`page._layout`), so nothing is parsed twice.
"""
from __future__ import annotations

import zlib
from collections.abc import Sequence
from io import BytesIO

from pdfminer.lzw import LZWDecoder
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.utils import MATRIX_IDENTITY
from pdfminer.pdftypes import LITERALS_FLATE_DECODE, LITERALS_LZW_DECODE, PDFStream, resolve1
from pdfplumber.page import Page as PlumberPage, PDFPageAggregatorWithMarkedContent

from extraction.errors import LimitExceeded
from extraction.limits import Limits

_INFLATE_CHUNK = 1 << 20


class ContentBudget:
    """Decompressed content-stream bytes one page may run; a stream is measured once, charged per run."""

    def __init__(self, limits: Limits, page_number: int) -> None:
        self.limit, self.page_number, self.spent = limits.max_page_content_bytes, page_number, 0
        self._sizes: dict[int, int] = {}

    def spend(self, streams: Sequence[object]) -> None:
        for ref in streams:
            stream = resolve1(ref)
            if not isinstance(stream, PDFStream):
                continue
            if id(stream) not in self._sizes:
                self._sizes[id(stream)] = decoded_size(stream, self.limit - self.spent + 1)
            self.spent += self._sizes[id(stream)]
            if self.spent > self.limit:
                raise LimitExceeded(f"page {self.page_number}'s content streams decompress to more than "
                                    f"{self.limit:,} bytes (the per-page limit)")


class _BoundedAggregator(PDFPageAggregatorWithMarkedContent):
    """pdfplumber's layout device with a budget: the page fails as soon as it is spent."""

    def __init__(self, *args, limits: Limits, page_number: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.limits, self.page_number = limits, page_number
        self.content = ContentBudget(limits, page_number)
        self.chars = self.drawings = 0

    def render_char(self, *args, **kwargs) -> float:  # type: ignore[override]
        self.chars += 1
        if self.chars > self.limits.max_page_chars:
            raise LimitExceeded(f"page {self.page_number} draws more than {self.limits.max_page_chars:,} "
                                f"characters (the per-page limit)")
        return super().render_char(*args, **kwargs)

    def paint_path(self, *args, **kwargs) -> None:  # type: ignore[override]
        self._spend_drawing()
        super().paint_path(*args, **kwargs)

    def render_image(self, *args, **kwargs) -> None:  # type: ignore[override]
        self._spend_drawing()
        super().render_image(*args, **kwargs)

    def _spend_drawing(self) -> None:
        self.drawings += 1
        if self.drawings > self.limits.max_page_drawings:
            raise LimitExceeded(f"page {self.page_number} draws more than {self.limits.max_page_drawings:,} "
                                f"shapes and images (the per-page limit)")


class _BoundedInterpreter(PDFPageInterpreter):
    """Charges every content stream it is about to run (the page's, each Form drawn) to the device."""

    device: _BoundedAggregator

    def render_contents(self, resources, streams, ctm=MATRIX_IDENTITY) -> None:  # type: ignore[override]
        self.device.content.spend(list(resolve1(streams) or ()))
        super().render_contents(resources, streams, ctm=ctm)


def build_layout(page: PlumberPage, limits: Limits) -> None:
    """Parse `page` under `limits` and hand the layout to pdfplumber; raises LimitExceeded.
    Other pdfminer errors pass through for the caller to translate."""
    if hasattr(page, "_layout"):
        return
    device = _BoundedAggregator(page.pdf.rsrcmgr, pageno=page.page_number, laparams=page.pdf.laparams,
                                limits=limits, page_number=page.page_number)
    _BoundedInterpreter(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    page._layout = device.get_result()


def check_content_bytes(page: PlumberPage, limits: Limits) -> None:
    """The page's own content streams within max_page_content_bytes (before PDFium renders it)."""
    ContentBudget(limits, page.page_number).spend(list(resolve1(page.page_obj.contents) or ()))


def decoded_size(stream: PDFStream, stop_at: int) -> int:
    """Bytes `stream` decodes to, counted without holding them; counting stops past `stop_at`.
    Flate and LZW are the filters that can expand a small file without bound; the others
    (ASCII85, hex, run-length) at most 128 times, so pdfminer's own decoder measures them."""
    if stream.data is not None:
        return len(stream.data)
    data = stream.rawdata or b""
    if stream.decipher:
        data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
    filters = stream.get_filters()
    for position, (name, _params) in enumerate(filters):
        last = position == len(filters) - 1
        if name in LITERALS_FLATE_DECODE:
            size, data = _inflate(data, stop_at, keep=not last)
        elif name in LITERALS_LZW_DECODE:
            size, data = _unlzw(data, stop_at)
        else:
            return len(data)  # the rest is pdfminer's to decode (or refuse) with a bounded ratio
        if size > stop_at or last:
            return size
    return len(data)


def _inflate(data: bytes, stop_at: int, keep: bool) -> tuple[int, bytes]:
    inflater, size, kept = zlib.decompressobj(), 0, []
    pending = data
    try:
        while pending and size <= stop_at:
            out = inflater.decompress(pending, _INFLATE_CHUNK)
            pending = inflater.unconsumed_tail
            size += len(out)
            if keep:
                kept.append(out)
            if not out and not pending:
                break
    except zlib.error:
        pass  # pdfminer keeps what inflated before the damage; so does the count
    return size, b"".join(kept)


def _unlzw(data: bytes, stop_at: int) -> tuple[int, bytes]:
    size, kept = 0, []
    for chunk in LZWDecoder(BytesIO(data)).run():
        size += len(chunk)
        kept.append(chunk)
        if size > stop_at:
            break
    return size, b"".join(kept)
