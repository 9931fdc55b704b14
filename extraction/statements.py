"""Provider statements found by what they assert, not by one form's sentence.

The packet text is cut into statement units (a sentence, a form item, a ticked line; wrapped lines
joined), and a unit asserts a concept when it holds a word of every one of the concept's groups
(terminology/statements.toml: e.g. {outpatient} + {appropriate, suitable, safe}). Each unit's
answer is then read the way its layout gives it: a box before or after it, a Yes/No answer, or,
in prose, the sentence itself unless it is negated, conditional or deferred.
Works on PacketText offsets; knows nothing about spaCy.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from extraction import form_answers
from extraction.fields_support import ocr_factor
from extraction.terminology import StatementConcept
from extraction.text import PacketText

MAX_UNIT = 400  # characters: a statement longer than this is a paragraph, cut at sentences
SHORT_LINE = 50  # characters: a shorter line ends its unit (a heading, a form row, a statement's last line)
PROSE_RELIABILITY = 0.78
# A unit starts at a list marker or a box at the start of a line ("7a.", "b)", "-", "[x]", "Q3").
# (The item number may carry a speck before it and its full stop read as a comma: '"2, Patient meets ...'.)
_ITEM_START = re.compile(r"^\s*[\u201c\u2018\"'`]?(\d{1,2}[a-z]?([.),]\s*|\s+(?=[^a-z]))|[a-zA-Z][.)]\s|\((\d{1,2}|[a-z])\)\s|[-*\u2022>]\s|\[|[xX✓✔]\]|\(\s?\)|[\u2610\u2612\u2611]|Q\d"
                         r"|[A-Z]{1,2}\d{1,2}[a-z]?[.):]\s)")
# A line ending this way leaves its sentence open: the next line continues it even after a box row.
_OPEN_END = re.compile(r"(,|\(|-|\b(and|or|the|of|to|with|for|a|an|in|on|that|who|which|is|are|be|has|have|near))\s*$",
                       re.IGNORECASE)
# "...relapse. She", "...B-ALL. She", "...CD19+. Was"; not an initial ("J. Smith", "M.D. Smith").
_QUESTION = re.compile(r"\?|^\W*(\w{1,3}[.)]\s*)?(has|have|is|are|was|were|did|does|do|will|can|should)\s+(the|this|our)\s",
                       re.IGNORECASE)
# (A sentence may open with "|", OCR's reading of "I".)
# A word's full stop may carry fax specks after it ("symptoms. ,"; not an item letter's "f.,").
_SENTENCE_END = re.compile(r"((?<=[a-z0-9)%][.!?])|(?<=[A-Z0-9+)%\]][A-Z0-9+)%\]][.!?]))\s+(?=[A-Z(|])"
                           r"|(?<=[a-z0-9)%]{2}[.!?])\s*[,'‘’`]{1,2}\s+(?=[A-Z(|])")
_LINE_ENDS_SENTENCE = re.compile(r"([.!?:;]|[.!?]\s*[,'‘’`]{1,2})\s*$")
# "... clinically appropriate:  ((Yes))  No": a line ending in its answer choices ends its question
# (unless the next line carries on in lower case: boxes printed mid-way through a wrapped question).
_ANSWERS_END = re.compile(r"\b(yes|y)\W{0,3}\s*(no|n)(\W{0,3}\s*(n/?a|unknown|unk|u))?\W*$"
                          # "... clinically appropriate , : (©)", "... monitoring reqs : : Y": a row's answer
                          # column read as a ring or a lone letter (its pair's other letter lost)
                          r"|(?-i:[:;|]\s*){1,3}(?-i:\(?[YN\u00a9\u00ae@]\)?)\s*$", re.IGNORECASE)
# Said of the assertion itself, a few words before its key word: it is not being made.
_NEGATION = re.compile(r"\b(not|n['’]t|never|unable|cannot|no longer|neither|nor)\b(\W+\w+){0,4}\W*$", re.IGNORECASE)
# "No caregiver confirmed as of today": none of what the statement needs, in its own clause.
_NONE_BEFORE = re.compile(r"\bno\b(\W+\w+){0,2}\W*$", re.IGNORECASE)
_JUDGED = re.compile(r"(clinically\s+|medically\s+)?(appropriate|safe|suitable|reasonable|acceptable)", re.IGNORECASE)
# An aside between commas right before the judgement's verb, unless it opens with a condition on
# the judgement ("..., if her counts recover, is appropriate").
_ASIDE = re.compile(r",(?!\s*(if|once|when|unless|until|pending|provided|assuming|should)\b)[^,]{3,80},"
                    r"(?=\s*(is|are|was|were|be|remains|seems)?[\s.]*$)", re.IGNORECASE)
# ("her sister will be her caregiver 24 hours a day": a commitment made, not a step deferred.)
_DEFERRED = re.compile(r"\b(will(?!\s+be\s+(her|his|their|the)\s+(primary\s+|main\s+)?caregiver)|would|to be|once|until|pending|not yet|yet to|after (the|a|her|his)|being arranged"
                       r"|scheduled|plan(ned)? to|expect(ed)? to|should|if|whether|must|required|requires"
                       r"|only when|when the)\b", re.IGNORECASE)

# "Item 7 of the form (post-infusion safety and monitoring requirements) is unanswered": said of
# the item, not by it.
# ("open" and "empty" are left out: "our infusion center is open 24/7" after the key word.)
_UNANSWERED = re.compile(r"\b(is|was|are|were|remains?|left)\s+(unanswered|blank|left\s+blank"
                         r"|not\s+(answered|marked|checked|ticked|completed|signed))\b", re.IGNORECASE)
_CHOICES_OFFERED = re.compile(r"\b(Y\s*/\s*N|yes\s*/\s*no)\b", re.IGNORECASE)
# "... monitoring requirements (24-hour caregiver, ...):" with its answer on the next line (not the
# specks after a full stop: "appropriate. : :").
_PROMPT_END = re.compile(r"[A-Za-z)]\s*:\s*$")
_APPROVAL_CONDITION = re.compile(
    r"\b(if|once|when|should)\s+(the\s+)?(therapy|treatment|request|authori[sz]ation|approval|infusion|this)\s+"
    r"(proceeds|is\s+(approved|authori[sz]ed|granted)|goes\s+ahead|be\s+(approved|granted))\s*,", re.IGNORECASE)
_FIRST_PERSON_JUDGEMENT = re.compile(r"\b(I|we)\s+(believe|consider|find|think|judge|feel|(have\s+)?(assessed|evaluated|"
                                     r"examined|seen))\b|\bin\s+my\s+"
                                     r"(opinion|judge?ment|assessment)\b", re.IGNORECASE)


@dataclass(frozen=True)
class StatementVote:
    label: str  # the concept
    value: bool | None  # None: the form offers the choice but nothing is marked
    confidence: float
    start: int  # the unit (or its answer) in PacketText.text
    end: int
    how: str  # "form" (a box or a Yes/No answer) or "prose"


def statement_units(text: PacketText) -> list[tuple[int, int]]:
    """Character ranges of statement units, in order."""
    units: list[tuple[int, int]] = []
    box_starts = {label.line_start for label in text.checkbox_labels
                  if label.label and label.start - label.line_start <= 2}
    # A form row with boxes is an item of its own; it ends with its line unless the next line
    # continues its sentence in lower case (a wrapped statement), and a row with boxes opens its
    # own unit the same way (a row whose item letter OCR lost: "|, Patient meets ... [x]").
    box_rows = {label.line_start for label in text.checkbox_labels}
    start = None
    unit_rows = 0  # rows with boxes in the unit being built
    previous_end, previous_line, previous_start = 0, "", -1
    offset = 0
    for line in text.text.split("\n"):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        stripped = line.strip()
        # OCR often leaves a stray ":" or ";" at a line's end: a lower-case next line still continues it.
        # A line that goes on in lower case (past OCR specks: '"+ treated with') continues the sentence.
        first_letter = re.search(r"[A-Za-z]", stripped)
        # "...patient meets and.": no sentence ends on "and"; the dot is a speck.
        ends_sentence = _LINE_ENDS_SENTENCE.search(previous_line) and not (
            (previous_line.rstrip()[-1:] in ":;" or not re.search(r"[A-Za-z0-9)%]\W?$", previous_line.rstrip())
             or _OPEN_END.search(previous_line.rstrip()[:-1]))
            and first_letter is not None and first_letter.group(0).islower())
        breaks = (not stripped or stripped == "\f" or start is None or ends_sentence
                  or (len(previous_line.strip()) < SHORT_LINE
                      # a narrow column's wrapped statement goes on in lower case ("...is clinically / appropriate.")
                      and not (stripped[:1].islower() and not _LINE_ENDS_SENTENCE.search(previous_line)))
                  or _ITEM_START.match(line) or line_start in box_starts
                  or (_ANSWERS_END.search(previous_line)
                      and not (first_letter is not None and first_letter.group(0).islower()))
                  or ((previous_start in box_rows or line_start in box_rows)
                      and not (first_letter is not None and first_letter.start() <= 2
                               and first_letter.group(0).islower())
                      # A second row of boxes opening in capitals is the next item, whatever
                      # junk the fax left at the end of the first one's wrapped line.
                      and (not _OPEN_END.search(previous_line)
                           or (line_start in box_rows and unit_rows > 0 and first_letter is not None
                               and first_letter.start() <= 2))))
        if not breaks and line_end - start > MAX_UNIT:
            # Too long for one statement: cut at its last sentence end, so that the sentence this
            # line carries on stays whole ("... cell therapy unit, with / admission only if ...").
            last = _last_sentence_start(text.text, start, previous_end)
            if last is None:
                breaks = True
            else:
                units.extend(_cut(text.text, start, last, box_rows))
                start = last
        if breaks and start is not None:
            units.extend(_cut(text.text, start, previous_end, box_rows))
            start = None
        if stripped and stripped != "\f":
            unit_rows = (0 if start is None else unit_rows) + (line_start in box_rows)
            start = line_start if start is None else start
            previous_end = line_end
        previous_line, previous_start = line, line_start
    if start is not None:
        units.extend(_cut(text.text, start, previous_end, box_rows))
    return units


def _last_sentence_start(body: str, start: int, end: int) -> int | None:
    ends = [start + m.end() for m in _SENTENCE_END.finditer(body[start:end])]
    return ends[-1] if ends else None


def _cut(body: str, start: int, end: int, box_rows: set[int]) -> list[tuple[int, int]]:
    """A numbered form item with its boxes on its first line is one statement, whatever full stops
    OCR put inside it ("able to meet. [x] [ ] the post-infusion ..."); other text is cut at sentences."""
    if start in box_rows and _ITEM_START.match(body[start:end]):
        return [(start, end)]
    return _sentences(body, start, end)


def _sentences(body: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [start] + [start + m.end() for m in _SENTENCE_END.finditer(body[start:end])] + [end]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if body[a:b].strip()]


@lru_cache(maxsize=64)
def words_pattern(words: tuple[str, ...]) -> re.Pattern:
    """Any of `words` as whole words, case-insensitive; a trailing * matches any ending and a
    space any run of spaces or hyphens (terminology word lists are written this way), with a
    speck of a quote mark fax OCR leaves before the next word ("repeated ‘them back"); a speck read
    as a full stop may stand for the space ("24 hours.a.day")."""
    parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words]
    spaced = [p.replace(r"\ ", r"(?:[\s\-]+[‘’'`]?|\.(?=\w))") for p in parts]
    return re.compile(r"(?<![\w-])(" + "|".join(spaced) + r")(?![\w])", re.IGNORECASE)


# A concept word inside a condition ("admission available should he develop CRS") is a case
# foreseen, not what the statement asserts.
_IN_CONDITION = re.compile(r"\b(if|should|unless|in case of|in the event of)\b[^.,;:]*$", re.IGNORECASE)
_CONDITION_REACH = 30  # characters before the word


def concept_keyword(unit: str, concept: StatementConcept) -> int | None:
    """Offset in `unit` of the last group's first word when every group matches, else None.
    (Requiring the groups inside one clause was tried: a fax's speck read as ";" and "Education on
    CRS done today; she repeated back the warning signs" lost more than it won.)"""
    found = None
    for group in concept.groups:
        match = next((m for m in words_pattern(group).finditer(unit)
                      if not _IN_CONDITION.search(unit, max(0, m.start() - _CONDITION_REACH), m.start())), None)
        if match is None:
            return None
        found = match.start()
    return found


def statement_votes(text: PacketText, concepts: tuple[StatementConcept, ...], is_reference,
                    units: list[tuple[int, int]] | None = None) -> list[StatementVote]:
    votes = []
    for start, end in statement_units(text) if units is None else units:
        if is_reference(start):
            continue
        unit = text.text[start:end]
        if interleaved(unit):
            continue
        for concept in concepts:
            keyword = concept_keyword(unit, concept)
            if keyword is None:
                continue
            vote = statement_vote(text, concept.label, start, end, start + keyword)
            if vote is not None:
                votes.append(vote)
    return votes


def interleaved(unit: str) -> bool:
    """Columns OCR read across ("Will Has Is If not not the the the inpatient: inpatient:"): the same
    word twice in a row, again and again, which no sentence does. Such a unit asserts nothing."""
    words = re.findall(r"[a-z]+:?", unit.lower())
    repeats = sum(a == b for a, b in zip(words, words[1:]))
    return repeats >= 3 and repeats >= 0.05 * len(words)


def statement_vote(text: PacketText, label: str, start: int, end: int, keyword: int) -> StatementVote | None:
    """The answer a statement unit gives: its box or Yes/No, or the prose itself unless negated,
    conditional or deferred before its key word (then None: no attestation either way)."""
    answer = (form_answers.printed_choices(text, start, end) or form_answers.trailing_mark(text, start, end)
              or form_answers.statement_mark(text, start, end)
              or form_answers.yes_no_boxes_within(text, start, end)
              or form_answers.lone_letter_answer(text, start, end))
    if answer is not None:
        return StatementVote(label, answer.value, answer.confidence, min(start, answer.start),
                             max(end, answer.end), "form")
    if (_QUESTION.search(text.text[start:end]) or _PROMPT_END.search(text.text[start:end])
            or _CHOICES_OFFERED.search(text.text[start:end])):
        # A form question (a prompt ending in ":", an item offering "Y/N") whose answer could not be
        # read asserts nothing: "... monitoring requirements; Y/N. pending - see letter".
        return None
    before = text.text[start:keyword]
    clause = re.split(r"[;:]|\s-\s|\bbut\b", before)[-1]
    if _JUDGED.match(text.text, keyword):
        # "I consider outpatient administration to be clinically appropriate": a judgement made.
        clause = re.sub(r"\bto\s+be\s*$", "", clause)
    # "giving obe-cel in our outpatient unit, with admission only if she develops toxicity, is
    # clinically appropriate": a condition inside commas qualifies an aside, not the judgement.
    clause = _ASIDE.sub(",", clause)
    # "If therapy proceeds, I have assessed him and I believe ... would be clinically appropriate":
    # a condition on the approval itself, and a judgement's own "would", defer nothing.
    clause = _APPROVAL_CONDITION.sub(" ", clause)
    if _FIRST_PERSON_JUDGEMENT.search(clause):
        clause = re.sub(r"\bwould\b", " ", clause, flags=re.IGNORECASE)
    if (_NEGATION.search(before) or _NONE_BEFORE.search(clause) or _DEFERRED.search(clause)
            or _UNANSWERED.search(text.text, keyword, end)):
        return None  # a statement not (yet) made is no attestation either way
    confidence = PROSE_RELIABILITY * ocr_factor(text.confidence(start, end))
    return StatementVote(label, True, confidence, start, end, "prose")
