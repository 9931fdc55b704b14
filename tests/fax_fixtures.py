"""Synthetic packet pages built at test time: a digital form PDF and its faxed variants.

Only synthetic patients. The form carries a date of birth and a product name the tests look for,
and four drawn checkboxes (X-marked, empty, filled, outline with a smaller filled square inside)
at known positions.
"""
from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from synthetic.fax import FaxDamage, pdf_to_fax

DOB = "03/14/1971"
PRODUCT = "Aucatzyl"
BOX_SIZE_PT = 11
# (label, mark) in drawing order, top to bottom; mark is "x", "empty", "filled" or "inner"
CHECKBOXES = (("Relapsed or refractory B-cell ALL", "x"),
              ("Active CNS disease", "empty"),
              ("Prior CAR-T therapy", "filled"),
              ("Outpatient administration appropriate", "inner"))
BOX_LEFT_PT = 72
FIRST_BOX_TOP_PT = 400  # from the top of the page
BOX_STEP_PT = 30

BODY = [
    "Prior Authorization Request - Cellular Therapy",
    "Patient name: Jane Testperson",
    f"Date of birth: {DOB}",
    f"Requested product: {PRODUCT} (obecabtagene autoleucel)",
    "Diagnosis: B-cell precursor acute lymphoblastic leukemia",
    "Ordering physician: Dr. Alex Sample, Hematology",
    "Clinical summary: the patient relapsed after two lines of therapy.",
]


def form_pdf(pages: int = 1, checkboxes: bool = True) -> bytes:
    """A digital (text-layer) letter-size form; every page carries the same body."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    width, height = letter
    for _ in range(pages):
        c.setFont("Helvetica-Bold", 16)
        c.drawString(72, height - 72, BODY[0])
        c.setFont("Helvetica", 13)
        for i, line in enumerate(BODY[1:]):
            c.drawString(72, height - 110 - i * 24, line)
        if checkboxes:
            for i, (label, mark) in enumerate(CHECKBOXES):
                top = FIRST_BOX_TOP_PT + i * BOX_STEP_PT
                x, y = BOX_LEFT_PT, height - top - BOX_SIZE_PT
                c.setLineWidth(1)
                c.rect(x, y, BOX_SIZE_PT, BOX_SIZE_PT, stroke=1, fill=1 if mark == "filled" else 0)
                if mark == "x":
                    c.setLineWidth(1.2)
                    c.line(x + 2, y + 2, x + BOX_SIZE_PT - 2, y + BOX_SIZE_PT - 2)
                    c.line(x + 2, y + BOX_SIZE_PT - 2, x + BOX_SIZE_PT - 2, y + 2)
                elif mark == "inner":
                    inset = BOX_SIZE_PT * 0.2
                    c.rect(x + inset, y + inset, BOX_SIZE_PT - 2 * inset, BOX_SIZE_PT - 2 * inset,
                           stroke=0, fill=1)
                c.drawString(x + BOX_SIZE_PT + 8, y + 1, label)
        c.showPage()
    c.save()
    return buf.getvalue()


def checkbox_top_points() -> list[float]:
    """Top edge (points from the page top) of each drawn checkbox, in CHECKBOXES order."""
    return [FIRST_BOX_TOP_PT + i * BOX_STEP_PT for i in range(len(CHECKBOXES))]


def faxed(tmp_path: Path, name: str, damage: FaxDamage | None = None, pages: int = 1,
          compression: str = "group4") -> bytes:
    """The form as a fax gateway delivers it; `name` ends in .tif (TIFF) or .pdf (tiff2pdf)."""
    out = pdf_to_fax(form_pdf(pages), tmp_path / name, damage, compression)
    return out.read_bytes()


def with_undecodable_last_page(tiff: bytes) -> bytes:
    """The TIFF with its last frame labelled Deflate although it holds G4 data: the frame header
    stays valid but its pixels cannot be decoded, like a frame damaged in transmission."""
    group4_entry = b"\x03\x01\x03\x00\x01\x00\x00\x00\x04\x00"  # tag 259 SHORT x1 = 4 (little-endian)
    at = tiff.rfind(group4_entry)
    assert at > 0, "expected a little-endian group4 TIFF"
    deflate = (32946).to_bytes(2, "little")
    return tiff[:at] + group4_entry[:8] + deflate + tiff[at + len(group4_entry):]
