"""Draw page drafts into a digital PDF with reportlab (real text layer, real square boxes)."""
from __future__ import annotations

import io

from reportlab.pdfgen.canvas import Canvas

from synthetic.layout import PAGE_HEIGHT, PAGE_WIDTH, Box, PageDraft


def render_pdf(pages: list[PageDraft], title: str = "synthetic packet") -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("synthetic.generate (synthetic patients only)")
    for page in pages:
        canvas.setLineWidth(0.8)
        for rule in page.rules:
            canvas.line(rule.x0, PAGE_HEIGHT - rule.y0, rule.x1, PAGE_HEIGHT - rule.y1)
        for box in page.boxes:
            _draw_box(canvas, box)
        for ring in page.ellipses:
            canvas.setLineWidth(1.2)
            canvas.ellipse(ring.x0, PAGE_HEIGHT - ring.y1, ring.x1, PAGE_HEIGHT - ring.y0, stroke=1, fill=0)
        for line in page.lines:
            canvas.setFont(line.font, line.size)
            canvas.drawString(line.x, PAGE_HEIGHT - line.y, line.text)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_box(canvas: Canvas, box: Box) -> None:
    x, top, s = box.x, PAGE_HEIGHT - box.y, box.size
    bottom = top - s
    canvas.setLineWidth(1.0)
    canvas.rect(x, bottom, s, s, stroke=1, fill=0)
    inset = s * 0.2
    if box.mark == "fill":
        canvas.rect(x + inset, bottom + inset, s - 2 * inset, s - 2 * inset, stroke=0, fill=1)
    elif box.mark == "x":
        canvas.setLineWidth(1.4)
        canvas.line(x + inset, bottom + inset, x + s - inset, top - inset)
        canvas.line(x + inset, top - inset, x + s - inset, bottom + inset)
    elif box.mark == "check":
        canvas.setLineWidth(1.6)
        path = canvas.beginPath()
        path.moveTo(x + inset, bottom + s * 0.5)
        path.lineTo(x + s * 0.42, bottom + inset)
        path.lineTo(x + s - inset * 0.5, top - inset * 0.3)
        canvas.drawPath(path, stroke=1, fill=0)
