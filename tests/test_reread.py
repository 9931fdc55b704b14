"""A doubtful OCR line is read again, enlarged, and replaced only by a surer reading, with its
boxes mapped back onto the page. Real Tesseract on a real fax page."""
from __future__ import annotations

import dataclasses

from extraction.documents import open_document
from extraction.limits import Limits
from extraction.ocr import TesseractEngine
from extraction.pages import read_page
from extraction.reread import reread_doubtful_lines
from fax_fixtures import DOB, faxed

ENGINE = TesseractEngine()


def _dob_line(words):
    line = next(w.line for w in words if w.text == DOB)
    return [w for w in words if w.line == line]


def test_doubtful_line_is_replaced_by_a_surer_reading_in_place(tmp_path):
    with open_document(faxed(tmp_path, "form.tif"), Limits()) as doc:
        reading = read_page(doc, 0, ENGINE)
    words = reading.page.words
    original = _dob_line(words)
    # the same line as if Tesseract had garbled it: wrong text, near-zero confidence
    garbled = {id(w): dataclasses.replace(w, text="0?/l4/l97l", confidence=0.05) if w.text == DOB
               else dataclasses.replace(w, confidence=0.05) for w in original}
    doubtful = [garbled.get(id(w), w) for w in words]

    reread = reread_doubtful_lines(reading.image, 204, doubtful, ENGINE)

    fixed = _dob_line(reread)
    new_dob = next(w for w in fixed if w.text == DOB)
    old_dob = next(w for w in original if w.text == DOB)
    assert new_dob.confidence > 0.5
    assert abs(new_dob.bbox.x0 - old_dob.bbox.x0) < 4 and abs(new_dob.bbox.y0 - old_dob.bbox.y0) < 4
    untouched = [w for w in reread if w.line != old_dob.line]
    assert untouched == [w for w in words if w.line != old_dob.line]


def test_sure_lines_are_left_alone(tmp_path):
    with open_document(faxed(tmp_path, "form.tif"), Limits()) as doc:
        reading = read_page(doc, 0, ENGINE)
    sure = [dataclasses.replace(w, confidence=0.99) for w in reading.page.words]
    assert reread_doubtful_lines(reading.image, 204, sure, ENGINE) == sure
