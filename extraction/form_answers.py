"""How a form answers a line: pixel checkboxes, typed marks ('[X] No', '☒ Yes') or 'Q: No'.

Separate from fields.py so every field reads answers the same way. Works on PacketText
offsets; knows nothing about spaCy.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from extraction.fields_support import ocr_factor as _ocr_factor
from extraction.form_columns import column_heads, head_at, line_heads, nearest_head
from extraction.imaging import answer_word
from extraction.text import CheckboxLabel, PacketText

# A portal print view draws a chosen radio button as "(o)" or "(•)"; OCR reads it "(0)", "(e)", "(*)".
# A box whose left side the fax lost reads "x]".
_MARK = r"(?:\[\s*[xX✓✔]\s*\]|(?<![\w\[])[xX✓✔]\]|\(\s*[xXoO0•●*]\s*\)|[☒☑■✓✔◉])"
_EMPTY = r"(?:\[\s*\]|\(\s*\)|[☐□])"
_MARK_BEFORE = re.compile(rf"{_MARK}\s*(?P<answer>yes|no|n/?a)\b", re.IGNORECASE)
_MARK_AFTER = re.compile(rf"\b(?P<answer>yes|no|n/?a)\s*:?\s*{_MARK}", re.IGNORECASE)
_PLAIN = re.compile(r"[:?|]\s*(?P<answer>yes|no|none|n/?a|never|nil|denies|negative|y|n)\b(?!\s*(?:/|\[|\(|[☐□☒☑]))",
                    re.IGNORECASE)
# "Previous CAR-T therapy          No": a table row's answer alone at the end of the line, a word or
# two after the label (never after a verb: "... and has had no" is prose cut by a line break).
_TRAILING = re.compile(r"^\W*(?:(?!(?:has|had|have|was|were|is|are|and|with|but)\b)[A-Za-z\-()/]+\s+){0,2}?"
                       r"(?P<answer>yes|no|none|never|nil)\W*$", re.IGNORECASE)
# A numbered or lettered item ("5.", "5c)", "b."): a question of its own, never the answers of the one above.
_NEW_ITEM = re.compile(r"[^\w\n]{0,2}[ \t]*(?:\d{1,2}[a-z]?|[a-z])[.,)][ \t]")
_BOX_GLYPHS = 4  # what OCR makes of a checkbox drawn before its label ("O1", "[J", "M1")
# A line that carries on the one above: it opens with a parenthesis or a lower-case word.
_CONTINUATION = re.compile(r"[^\w\n(]{0,2}[ \t]*(?:\(|[a-z]{2,}\b)")
_LEADING_MARK = re.compile(rf"^\s*(?P<mark>{_MARK}|{_EMPTY})")

_NO_WORDS = ("no", "n", "none", "never", "nil", "denies", "negative")

# Reliability of each kind of answer when the reading itself is clean (checkbox confidence
# and OCR word confidence scale these down).
CHECKBOX_RELIABILITY = 0.93
TYPED_MARK_RELIABILITY = 0.92
PLAIN_ANSWER_RELIABILITY = 0.88
CIRCLED_RELIABILITY = 0.85
_CHOICE_WORD = re.compile(r"yes|no|n/?a|unknown|unk", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    value: bool | None  # None: the form offers the choice but nothing is marked
    confidence: float
    start: int  # character range of the answer, for evidence
    end: int
    # One uncertain reading, never enough to overturn the notes: a bare "Y" or "N" (on a "Y  N"
    # form whose circled letter the fax lost it is the letter left unmarked), or a typed mark whose
    # column only its position on the page tells.
    uncertain: bool = False


def yes_no_answer(packet: PacketText, after: int, next_line: bool = True) -> Answer | None:
    """The Yes/No answer given on the line of `after`, to the right of it (or, for a question
    ending its line, on the line under it); None if not a question."""
    line_start, line_end = packet.line_bounds(after)
    before_words = _words_before_boxes(packet, after)
    if before_words is not None:
        return before_words
    boxes = [c for c in packet.checkboxes_on_line(after) if c.start >= after - 1 and _yes_no(c) is not None]
    if boxes:
        return _from_checkboxes(packet, boxes)
    # "[ ] Yes  [v] No  [ ] N/A   3. Has the patient ever been treated with ...?": the line opens
    # with its answer boxes.
    leading = sorted((c for c in packet.checkboxes_on_line(after) if c.start < after - 1 and _yes_no(c) is not None),
                     key=lambda c: c.start)
    if leading and len(packet.text[line_start:leading[0].start].strip()) <= _BOX_GLYPHS:
        return _from_checkboxes(packet, leading)
    same_line = _typed_answer(packet, after, line_end)
    if same_line is not None:
        return same_line
    if (next_line and line_end + 1 < len(packet.text) and not _NEW_ITEM.match(packet.text, line_end + 1)
            and (is_question(packet, after) or _CONTINUATION.match(packet.text, line_end + 1)
                 # "... is clinically appropriate? / Selected: Yes", "...: / Yes / No: Yes": the statement
                 # ends its line as a prompt and the line under it answers (unless that line opens a row
                 # of its own with its choices: "[ ] Yes [ ] No  The patient meets ...").
                 or (after >= line_end and packet.text[line_start:line_end].rstrip().endswith((":", "?"))
                     and (_WRITTEN_AFTER_CHOICES.match(packet.text, line_end + 1)
                          or not _CHOICES_OPEN.match(packet.text, line_end + 1))))):
        # The choices often sit on the line under the question, or at the end of its wrapped
        # second line ("5c. Member has previously received a CAR-T product / (commercial or
        # investigational)   Yes  No").
        boxes = [c for c in packet.checkboxes_on_line(line_end + 1) if _yes_no(c) is not None]
        if not boxes:
            next_end = packet.line_bounds(line_end + 1)[1]
            return _typed_answer(packet, line_end + 1, next_end)
        return _from_checkboxes(packet, boxes)
    return None


_CHOICES_OPEN = re.compile(r"[^\w\n]*(yes|y)\b[^\w\n]{1,8}(no|n)\b", re.IGNORECASE)
# "Yes / No:  Yes - wife and son trained": the choices head a blank the answer is written in.
_WRITTEN_AFTER_CHOICES = re.compile(r"[^\w\n]*\b(yes\s*/\s*no|y\s*/\s*n)\W{0,3}[:=]\s*(yes|no|y|n)\b", re.IGNORECASE)


def printed_choices(packet: PacketText, start: int, end: int) -> Answer | None:
    """"Yes  No" printed as choices: the circled one is the answer; neither circled, no answer.
    None when the range answers another way (a typed mark "[X] No")."""
    if re.search(_MARK, packet.text[start:end]) or _WRITTEN_AFTER_CHOICES.search(packet.text, start, end):
        return None
    pair = _LETTER_PAIR.search(packet.text, start, end)
    if pair is not None:
        # "... monitoring requirements.   Y / N": letters to circle at the line's end.
        letters = [w for w in packet.words_in(pair.start(), pair.end()) if w.word.circled]
        value = (answer_word(letters[0].word.text)[:1].lower() == "y") if len(letters) == 1 else None
        confidence = CIRCLED_RELIABILITY * _ocr_factor(packet.confidence(pair.start(), pair.end()))
        return Answer(value, confidence, pair.start(), pair.end())
    # "... clinically appropriate? ©) IN": the circled letter read as a ring, inside the unit.
    question_end = packet.text.rfind("?", start, end)
    ring = _ring_pair_answer(packet, question_end + 1, end) if question_end >= 0 else None
    if ring is None:
        # "7. Has the provider ... determined that ©) N / outpatient administration is ...?": the
        # pair in the answer column at the end of the question's first line, the question wrapping on.
        pair = _RING_PAIR_ENDS_LINE.search(packet.text, start, end)
        ring = pair and Answer(pair.group("no") is None, CIRCLED_RELIABILITY * _ocr_factor(
            packet.confidence(pair.start(), pair.end())), pair.start(), pair.end())
    if ring is not None:
        return ring
    # A choice with its own checkbox is answered by the box, not by a circle.
    words = [w for w in packet.words_in(start, end) if _CHOICE_WORD.fullmatch(_choice(w.word.text))
             and packet.checkbox_for(w.start, w.end) is None]
    values = {_choice(w.word.text).lower() == "yes" for w in words
              if _choice(w.word.text).lower() in ("yes", "no")}
    circled = [w for w in words if w.word.circled or _RING_REMNANT.fullmatch(_unspecked(w.word.text))]
    if values != {True, False} and not circled:
        return None
    if not circled and any(c.start >= words[0].start - 1 for c in packet.checkboxes_on_line(words[0].start)):
        return None  # "Yes [x]  No [ ]": boxes drawn after the words answer, not circles
    confidence = CIRCLED_RELIABILITY * _ocr_factor(min(w.word.confidence for w in words))
    if len(circled) == 1:
        word = _choice(circled[0].word.text).lower()
        value = True if word == "yes" else False if word == "no" else None
        return Answer(value, confidence, circled[0].start, circled[0].end)
    return Answer(None, confidence, words[0].start, words[-1].end)


# "Y  N" to circle, where OCR read the circled letter as a ring glyph: the printed letter beside it
# is the one left unmarked ("Y ©" is N circled, "(©) N" is Y circled).
_RING = r"(?:\(\s*[©®@]\s*\)|[©®@]\)?)"
# The circle may keep its letter and show as brackets or a "C": "CY) iN" is Y circled, "Y 'CN" and "Y/N)" N.
_RING_Y, _RING_N = rf"(?:{_RING}|[(Cc]Y(?:\)|\b)|Y\))", rf"(?:{_RING}|[(Cc]N(?:\)|\b)|N\))"
_RING_PAIR = rf"(?:(?P<no>\bY\W{{0,2}}\s*{_RING_N})|{_RING_Y}\W{{0,2}}\s*[iIl|7/]?\s?N\b)"  # "/" read as I, l, 7
_RING_IN_PAIR = re.compile(rf"^\W{{0,3}}{_RING_PAIR}")
_RING_PAIR_ENDS_LINE = re.compile(rf"(?<=\s){_RING_PAIR}[^\w\n]{{0,3}}$", re.MULTILINE)
# A circle drawn round a printed choice that OCR read as type: "(Yes)", "CYes", "(No".
# ("(no active infection": a lower-case word after a bracket is prose unless the bracket closes.)
_RING_REMNANT = re.compile(r"[(\[{]\s*(?:Yes|No|YES|NO)\s*[)\]}]?|[(\[{Cc]\s*(?:yes|no)\s*[)\]}]|[CcO(](?:Yes|No|YES|NO)\)?")


# "Y / N", "Y/N" or "Y  N" ending a line (not "(Y/N):" before a written answer).
_LETTER_PAIR = re.compile(r"(?<![\w(/])Y\s*([/|Il]\s*)?N(?![\w)/])[^\w\n]*$", re.MULTILINE)  # "YIN": the slash read as I


def _choice(text: str) -> str:
    """The choice word of a token, ring remnants removed ("CYes" -> "Yes")."""
    remnant = _RING_REMNANT.fullmatch(_unspecked(text))
    return re.sub(r"^[CcO]", "", answer_word(text)) if remnant else answer_word(text)


def _unspecked(text: str) -> str:
    """A token without the dashes and dots a fax glued to it ("--CNo)" is a circled "No")."""
    return text.strip("-~\u2014_.,'\u2018\u2019")


_TYPED_CHOICE_BEFORE = re.compile(rf"(?:(?P<mark>{_MARK})|{_EMPTY})[\s.]{{0,2}}$")


_SPECK_WORDS = re.compile(r"(?<![\w(])[a-z]{1,2}(?![\w)])")
_RING_AFTER_SPECKS = re.compile(rf"^[^\w\n]{{0,24}}{_RING_PAIR}")


def _ring_pair_answer(packet: PacketText, after: int, end: int) -> Answer | None:
    """"Y ©" / "(©) N" opening the text from `after`: the letter beside the ring is the one left."""
    text = packet.text[after:end]
    ring = _RING_IN_PAIR.search(text)
    if ring is None:
        # Specks read as a letter or two between the question and its answer ("appropriate? . mo mo
        # (©) N") are blanked, one character for one, and only blanks and marks may stand before the pair.
        blanked = _SPECK_WORDS.sub(lambda m: " " * len(m.group(0)), text)
        ring = _RING_AFTER_SPECKS.search(blanked) if blanked != text else None
    if ring is None:
        return None
    start, stop = after + ring.start(), after + ring.end()
    return Answer(ring.group("no") is None, CIRCLED_RELIABILITY * _ocr_factor(packet.confidence(start, stop)),
                  start, stop)


# "Y  ((N))  h. Is expedited review requested?": the answer column stands left of the question.
_ITEM_LABEL = r"(?:[a-z]|\d{1,2}[a-z]?)[.)]"
_LEADING_PAIR = re.compile(rf"^\W{{0,3}}{_RING_PAIR}\W{{0,4}}{_ITEM_LABEL}?\s*\S*\s*$")


def leading_choice(packet: PacketText, line_start: int, start: int) -> Answer | None:
    """A "Y / N" pair in front of a question on its line, its circled letter read as a ring or
    marked circled: the answer, when nothing but an item label stands between."""
    prefix = packet.text[line_start:start]
    pair = _LEADING_PAIR.match(prefix)
    if pair is not None:
        return Answer(pair.group("no") is None, CIRCLED_RELIABILITY * _ocr_factor(
            packet.confidence(line_start, line_start + pair.end())), line_start, line_start + pair.end())
    letters = [w for w in packet.words_in(line_start, start) if answer_word(w.word.text).lower() in ("y", "n")]
    circled = [w for w in letters if w.word.circled]
    if len(letters) == 2 and len(circled) == 1 and re.fullmatch(rf"\W*Y\W+N\W*({_ITEM_LABEL})?\s*\S*\s*",
                                                                  re.sub(r"[()©®@]", " ", prefix)):
        return Answer(answer_word(circled[0].word.text).lower() == "y", CIRCLED_RELIABILITY * _ocr_factor(
            circled[0].word.confidence), circled[0].start, circled[0].end)
    return None


def typed_choice_before(packet: PacketText, offset: int) -> bool | None:
    """A typed radio button or box right before an option on its line: True chosen ("(o)", "[X]"),
    False offered and left empty ("( )", "[ ]"), None when the option has no typed mark."""
    line_start, _ = packet.line_bounds(offset)
    mark = _TYPED_CHOICE_BEFORE.search(packet.text, max(line_start, offset - 8), offset)
    if mark is None:
        return None
    return mark.group("mark") is not None


def is_question(packet: PacketText, offset: int) -> bool:
    """The line asks about what is at `offset` (a form question, not a statement of fact)."""
    _, line_end = packet.line_bounds(offset)
    return "?" in packet.text[offset:line_end] or packet.text[offset:line_end].rstrip().endswith(":")


def _typed_answer(packet: PacketText, after: int, line_end: int) -> Answer | None:
    choices = printed_choices(packet, after, line_end)
    if choices is not None:
        return choices
    tail = packet.text[after:line_end]
    ring = _ring_pair_answer(packet, after, line_end)
    if ring is not None:
        return ring
    patterns = [(_MARK_BEFORE, TYPED_MARK_RELIABILITY), (_MARK_AFTER, TYPED_MARK_RELIABILITY)]
    # "? Yes [ ] No [v]" with its boxes drawn: the printed "Yes" is a choice, not the answer.
    if not any(c.start >= after - 1 for c in packet.checkboxes_on_line(after)):
        patterns += [(_PLAIN, PLAIN_ANSWER_RELIABILITY), (_TRAILING, PLAIN_ANSWER_RELIABILITY)]
    for pattern, reliability in patterns:
        match = pattern.search(tail)
        if match:
            word = match.group("answer").lower()
            value = True if word in ("yes", "y") else False if word in _NO_WORDS else None
            start, end = after + match.start(), after + match.end()
            if len(word) == 1 and _in_ring_column(packet, after + match.start("answer")):
                value = None  # a printed "Y" of a Y/N pair whose "N" the OCR lost: nothing circled
            return Answer(value, reliability * _ocr_factor(packet.confidence(start, end)), start, end,
                          uncertain=len(word) == 1)
    return None


# "... monitoring reqs : : Y": a row ending in its answer column's letter after leaders.
_LONE_LETTER_END = re.compile(r"(?:[:;|]\s*){1,3}\(?[YN]\)?\s*$")


def lone_letter_answer(packet: PacketText, start: int, end: int) -> Answer | None:
    """A statement row ending in a single answer letter after its leaders; a printed "Y" of an
    unmarked Y/N pair (its column holds another row's circled letter) answers nothing."""
    match = _LONE_LETTER_END.search(packet.text, start, end)
    if match is None:
        return None
    letter = re.search(r"[YN]", match.group(0))
    at = match.start() + letter.start()
    value = None if _in_ring_column(packet, at) else packet.text[at] == "Y"
    return Answer(value, PLAIN_ANSWER_RELIABILITY * _ocr_factor(packet.confidence(at, at + 1)), at, at + 1,
                  uncertain=True)


_COLUMN_TOLERANCE = 12.0  # points between the centres of two answers in one printed column


def _in_ring_column(packet: PacketText, offset: int) -> bool:
    """The letter at `offset` stands in a column of the page where another row's answer is a
    circled letter or the ring OCR makes of one: a printed choice, not a letter written in."""
    spans = packet.words_in(offset, offset + 1)
    if not spans:
        return False
    letter = spans[0]
    centre = (letter.word.bbox.x0 + letter.word.bbox.x1) / 2
    return any(span.page == letter.page and span is not letter
               and (span.word.circled or _RING_ALONE.fullmatch(span.word.text))
               and abs((span.word.bbox.x0 + span.word.bbox.x1) / 2 - centre) <= _COLUMN_TOLERANCE
               for span in packet.word_spans)


_RING_ALONE = re.compile(r"[(\[]?[\u00a9\u00ae@][)\]]?")


def statement_mark(packet: PacketText, start: int, end: int) -> Answer | None:
    """The checkbox (pixels or typed) in front of a statement, or a Yes/No answer after it."""
    label = packet.checkbox_for(start, end) or _wrapped_label(packet, start)
    if label is not None and _yes_no(label) is None:
        confidence = _box_confidence(packet, label)
        columns = _column_row(packet, label, confidence)
        if columns is not None:
            return columns
        return Answer(label.checkbox.checked, confidence, label.start, label.end)
    line_start, _ = packet.line_bounds(start)
    # The mark stands before the statement's unit, or opens it ("x] Prescriber has evaluated ...").
    mark = _LEADING_MARK.match(packet.text[line_start:start]) or _LEADING_MARK.match(packet.text[start:end])
    if mark:
        checked = bool(re.fullmatch(_MARK, mark.group("mark")))
        return Answer(checked, TYPED_MARK_RELIABILITY * _ocr_factor(packet.confidence(line_start, end)),
                      line_start, end)
    return yes_no_answer(packet, end)


def leading_columns(packet: PacketText, start: int, end: int) -> Answer | None:
    """The answer of Yes / No column cells in front of the statement at start..end (a checklist
    row, not a product ticked in a list); None when its line has one box or no column heads."""
    label = packet.checkbox_for(start, end)
    if label is None or _yes_no(label) is not None:
        return None
    return _column_row(packet, label, _box_confidence(packet, label))


def _box_confidence(packet: PacketText, label: CheckboxLabel) -> float:
    return CHECKBOX_RELIABILITY * (0.5 + 0.5 * label.checkbox.confidence) * _ocr_factor(
        packet.confidence(label.start, label.end))


_CELL_REACH = 18.0  # points between a lone cell's centre and its column head's


def _column_row(packet: PacketText, label: CheckboxLabel, confidence: float) -> Answer | None:
    """"[v] [ ] [ ]  The member meets ...": Yes / No / N/A cells in front of a statement, under their
    column heads; the statement's own box is only the last cell. None when there are no heads."""
    row = sorted((c for c in packet.checkbox_labels if c.line_start == label.line_start
                  and c.checkbox.bbox.x0 <= label.checkbox.bbox.x0 and (c is label or _unlabelled(c))),
                 key=lambda c: c.checkbox.bbox.x0)
    heads = column_heads(packet, label.line_start) if row else None
    if heads is None:
        return None
    if len(row) < 2:
        # One cell of a Yes / No row read: a mark in it answers; an empty "No" cell says nothing
        # (its "Yes" cell, lost to the fax, may hold the mark), an empty "Yes" cell is no attestation.
        centre = (label.checkbox.bbox.x0 + label.checkbox.bbox.x1) / 2
        if min(abs(x - centre) for x, _ in heads) > _CELL_REACH:
            return None
        head = nearest_head(heads, label)
        value = head if label.checkbox.checked else (None if head is False else False)
        return Answer(value, confidence, label.start, label.end)
    checked = [c for c in row if c.checkbox.checked]
    values = {nearest_head(heads, c) for c in checked}
    if len(values) != 1:
        return Answer(None, confidence, row[0].start, label.end)
    return Answer(values.pop(), confidence, checked[0].start, checked[0].end)


def trailing_mark(packet: PacketText, start: int, end: int) -> Answer | None:
    """A box printed after a statement ("... is appropriate.  [x]"), or Yes/No column cells after
    a question whose column heads ("Yes  No") stand on a line above, on the unit's last line."""
    last_line_start, _ = packet.line_bounds(max(start, end - 1))
    first_line_start, _ = packet.line_bounds(start)
    cells = []
    # The cells stand on the statement's last line, or, in a question that wraps, on its first.
    for line_start in dict.fromkeys((last_line_start, first_line_start)):
        words_first = _words_before_boxes(packet, max(start, line_start))
        if words_first is not None:
            return words_first
        cells = sorted((c for c in packet.checkbox_labels
                        if _unlabelled(c) and c.line_start == line_start and start <= c.start <= end + 1),
                       key=lambda c: c.checkbox.bbox.x0)
        if cells:
            break
    if not cells:
        return typed_column_mark(packet, start, end)
    confidence = CHECKBOX_RELIABILITY * (0.5 + 0.5 * min(c.checkbox.confidence for c in cells))
    if len(cells) == 1:
        return Answer(cells[0].checkbox.checked, confidence, cells[0].start, cells[0].end)
    checked = [c for c in cells if c.checkbox.checked]
    if not checked:
        return Answer(None, confidence, cells[0].start, cells[-1].end)  # no column marked
    heads = line_heads(packet, cells[0].line_start, cells[0].line_end) or column_heads(packet, start)
    if heads is None:
        if len(cells) > len(_CONVENTIONAL_HEADS):
            return None
        # The heads line was lost to the fax: forms put Yes first, then No (then N/A or Unknown).
        heads = [((c.checkbox.bbox.x0 + c.checkbox.bbox.x1) / 2, value)
                 for c, value in zip(cells, _CONVENTIONAL_HEADS)]
        confidence *= CONVENTIONAL_ORDER_SHARE
    values = {nearest_head(heads, c) for c in checked}
    if len(values) != 1:
        return Answer(None, confidence, cells[0].start, cells[-1].end)
    return Answer(values.pop(), confidence, checked[0].start, checked[0].end)


# "Prior CAR-T documented in notes        x": a typed mark under the Y / N / U column heads.
_TYPED_X = re.compile(r"[xX×✓✔][xXK]?[.,]?")
_COLUMN_SLACK = 30.0  # points beside the outer heads where a mark still stands in their columns


def typed_column_mark(packet: PacketText, start: int, end: int) -> Answer | None:
    """A typed mark ending the statement's last line, placed in a column of a heads row above
    ("FIELD  Y  N  U"): the column it stands under is the answer (U / N/A: not answered)."""
    line_start, line_end = packet.line_bounds(max(start, end - 1))
    page = packet.page_at(line_start)
    words = [w for w in packet.words_in(line_start, line_end) if w.page == page]
    if not any(_TYPED_X.fullmatch(w.word.text) for w in words):
        return None
    heads = column_heads(packet, line_start)
    if heads is None:
        return None
    # Marks standing within the heads' span; a source or comment column may follow them.
    left, right = min(x for x, _ in heads) - _COLUMN_SLACK, max(x for x, _ in heads) + _COLUMN_SLACK
    marks = [w for w in words if _TYPED_X.fullmatch(w.word.text)
             and left <= (w.word.bbox.x0 + w.word.bbox.x1) / 2 <= right]
    label = [w for w in words if marks and w.start < marks[0].start]
    if not marks or not re.search(r"[A-Za-z]{3,}", " ".join(w.word.text for w in label)):
        return None
    values = {head_at(heads, (m.word.bbox.x0 + m.word.bbox.x1) / 2) for m in marks}
    confidence = TYPED_MARK_RELIABILITY * _ocr_factor(packet.confidence(marks[0].start, marks[-1].end))
    return Answer(values.pop() if len(values) == 1 else None, confidence, marks[0].start, marks[-1].end,
                  uncertain=True)


def _unlabelled(cell: CheckboxLabel) -> bool:
    """No label, or only what OCR made of the box's own ink ("O°", "oO", "Bl", "iil")."""
    label = cell.label.strip()
    ink = not re.search(r"[A-Za-z]{3,}", label) or (len(label) <= 3 and label.lower() not in ("n/a", "yes"))
    return ink and _yes_no(cell) is None


_CONVENTIONAL_HEADS = (True, False, None)  # Yes, No, N/A: the order of answer columns on forms
CONVENTIONAL_ORDER_SHARE = 0.85  # a column read by convention, its head unread


_LAST_WORD = re.compile(r"(yes|no|n/?a)\W*$", re.IGNORECASE)


def _words_before_boxes(packet: PacketText, after: int) -> Answer | None:
    """"Yes [ ]  No [x]": each box stands after its word, the last box has nothing to its right.
    Read left to right the labels would be shifted by one box, so each box takes the word before it."""
    boxes = sorted((c for c in packet.checkboxes_on_line(after) if c.start >= after - 1),
                   key=lambda c: c.checkbox.bbox.x0)
    if len(boxes) < 2 or re.search(r"[A-Za-z]{2,}", boxes[-1].label):
        return None
    values, previous = [], after
    for box in boxes:
        # A box's own label starts right after it; the text before it ends where that label starts.
        word = _LAST_WORD.search(packet.text[previous:box.start])
        if word is None:
            return None
        values.append(word.group(1).lower())
        previous = box.start
    checked = [v for box, v in zip(boxes, values) if box.checkbox.checked]
    confidence = CHECKBOX_RELIABILITY * (0.5 + 0.5 * min(b.checkbox.confidence for b in boxes))
    if len(checked) != 1 or checked[0] not in ("yes", "no"):
        return Answer(None, confidence, boxes[0].start, boxes[-1].end)
    chosen = next(b for b, v in zip(boxes, values) if b.checkbox.checked)
    return Answer(checked[0] == "yes", confidence, chosen.start, chosen.end)


def checked_labels(packet: PacketText) -> list[CheckboxLabel]:
    """Checked boxes with the words each answers: its label, or on a line whose boxes follow their
    words ("Inpatient [ ]  Outpatient [v]") the words before it."""
    rows: dict[int, list[CheckboxLabel]] = {}
    for c in packet.checkbox_labels:
        rows.setdefault(c.line_start, []).append(c)
    checked = []
    for row in rows.values():
        row.sort(key=lambda c: c.checkbox.bbox.x0)
        words_first = len(row) >= 2 and _unlabelled(row[-1]) and not _unlabelled(row[0])
        for index, box in enumerate(row):
            if not box.checkbox.checked:
                continue
            if words_first:
                before_start = row[index - 1].start if index else box.line_start
                box = replace(box, label=packet.text[before_start:box.start].strip(" []|"))
            checked.append(box)
    return checked


def yes_no_boxes_within(packet: PacketText, start: int, end: int) -> Answer | None:
    """"6. Does the member meet and  [#] Yes  [ ] No / understand the ... requirements?": a Yes and
    a No box anywhere inside a wrapped question answer it."""
    boxes = [c for c in packet.checkbox_labels if start <= c.start < end and _yes_no(c) is not None]
    if {_yes_no(c) for c in boxes} != {True, False}:
        return None
    return _from_checkboxes(packet, boxes)


def _from_checkboxes(packet: PacketText, boxes: list[CheckboxLabel]) -> Answer:
    checked = [c for c in boxes if c.checkbox.checked]
    start, end = boxes[0].start, boxes[-1].end
    if len(checked) != 1:
        # Both or neither marked: the form does not answer; confidence says how sure we are of that.
        confidence = min(c.checkbox.confidence for c in boxes)
        return Answer(None, CHECKBOX_RELIABILITY * (0.5 + 0.5 * confidence), start, end)
    chosen = checked[0]
    confidence = min(c.checkbox.confidence for c in boxes)
    return Answer(_yes_no(chosen), CHECKBOX_RELIABILITY * (0.5 + 0.5 * confidence), chosen.start, chosen.end)


# The box itself read as a few marks glued to its label: "MNo", "DHlYyes", "{[MI.No", "[&J]No";
# matched on the letters alone.
_GLYPHS_THEN_YES_NO = re.compile(r"[a-z]{0,4}?(yes|no)")


def _yes_no(label: CheckboxLabel) -> bool | None:
    word = label.label.strip().lower().rstrip(".:")
    if word.startswith("yes"):
        return True
    if word.startswith("no") and (len(word) == 2 or not word[2].isalpha()):
        return False
    glued = _GLYPHS_THEN_YES_NO.fullmatch(re.sub(r"[^a-z]", "", word.split()[0]) if word else "")
    if glued:
        return glued.group(1) == "yes"
    return None


# A line opening with its own label: "Post-infusion monitoring: ...", "Pre-medications: ...".
_FIELD_PROMPT = re.compile(r"[^\S\n]*[A-Z][A-Za-z/&'-]*( [A-Za-z/&'-]+){0,3}:\s")


_NUMBERED = re.compile(r"[^\S\n]*(\(\d{1,2}\)|\d{1,2}[.)])\s")


def _wrapped_label(packet: PacketText, start: int) -> CheckboxLabel | None:
    """A statement that wrapped: its checkbox sits on the previous line, label running to its end."""
    line_start, _ = packet.line_bounds(start)
    if line_start == 0:
        return None
    previous_start, previous_end = packet.line_bounds(line_start - 1)
    # "[x] ... is clinically appropriate. / Patient and caregiver meet ...": a sentence ended above
    # and a new one opens; the box is the line above's alone.
    opens_sentence = packet.text[line_start:line_start + 3].lstrip()[:1].isupper()
    if opens_sentence and _FIELD_PROMPT.match(packet.text, line_start):
        return None  # "[ ] Inpatient 6 West (CTU) / Post-infusion monitoring: ...": the next field
    if _NUMBERED.match(packet.text, line_start):
        return None  # "[x] Cannot be determined ... / (2) Item 7 of the form is unanswered.": the next item
    for label in packet.checkbox_labels:
        if opens_sentence and label.label.rstrip().endswith((".", "!", "?")):
            continue
        # A statement, not a choice ("[ ] Inpatient"), runs on from the box to the line's end.
        if (label.label and len(label.label.split()) > 3 and label.line_start == previous_start
                and label.end == previous_end):
            return label
    return None
