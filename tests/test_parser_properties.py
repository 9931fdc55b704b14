"""Property tests of the text parsers a fax can feed anything: dates, codes and Yes/No/attestation answers.

Whatever OCR makes of a page, these parsers must not raise and must only report well-formed values
at real places in the text. Examples are bounded and derandomized so CI runs the same cases every time.
"""
from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extraction import form_answers
from extraction.codes import HCPCS, hcpcs_codes, icd10_codes
from extraction.dates import find_dates
from extraction.statements import statement_units, statement_votes
from extraction.terminology import load_terminology
from extraction.text import PacketText
from page_builders import build_packet

BOUNDED = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow])
PIVOT_YEAR = 2026

# Characters OCR gives the parsers: digits and their misreadings, separators, code letters, marks and words.
_FAX_ALPHABET = st.sampled_from(list("0123456789OoDlI|/-.,:; \nCQJAZ€©cx[]()☒☐✓") + [
    "Yes", "No", "N/A", "DOB", "ICD-10", "HCPCS", "Dx", "Jan", "March", "Sept", "2026", "19", "C91.02", "Q2058",
    "?", "[x]", "[ ]", "[[x]]", "[[ ]]", "((Yes))", "((No))", "Y", "N", "I attest", "not", "if"])
fax_text = st.one_of(st.text(max_size=300), st.lists(_FAX_ALPHABET, max_size=80).map("".join))
_ICD10_SHAPE = re.compile(r"[A-TV-Z][0-9]{2}\.[0-9][0-9A-Z]{0,3}")
_HCPCS_SHAPE = re.compile(r"[QCJ][0-9]{4}")


@BOUNDED
@given(fax_text)
def test_every_date_found_is_a_real_date_in_range_at_its_place(text):
    for mention in find_dates(text, pivot_year=PIVOT_YEAR):
        assert 0 <= mention.start < mention.end <= len(text)
        assert 1900 <= mention.value.year <= PIVOT_YEAR + 5
        assert dt.date.fromisoformat(mention.value.isoformat()) == mention.value


_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%m-%d-%Y", "%B %d, %Y", "%b %d %Y", "%d %B %Y", "%m.%d.%Y")


@BOUNDED
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(PIVOT_YEAR, 12, 31)),
       st.sampled_from(_DATE_FORMATS), st.sampled_from(["", "DOB: ", "Date of service ", "x "]),
       st.sampled_from(["", " ", ".", "\nNext line"]))
def test_a_printed_date_reads_back_as_itself(date, date_format, before, after):
    printed = date.strftime(date_format)
    text = f"{before}{printed}{after}"
    found = find_dates(text, pivot_year=PIVOT_YEAR)
    assert [(m.value, text[m.start:m.end]) for m in found] == [(date, printed)]


@BOUNDED
@given(fax_text, st.booleans())
def test_icd10_codes_are_well_formed_and_inside_the_text(text, skip_all):
    for code, start, end in icd10_codes(text, skip=lambda offset: skip_all):
        assert not skip_all
        assert 0 <= start < end <= len(text)
        assert _ICD10_SHAPE.fullmatch(code), code


@BOUNDED
@given(fax_text, st.lists(st.from_regex(_HCPCS_SHAPE, fullmatch=True), max_size=3))
def test_hcpcs_codes_are_well_formed_and_inside_the_text(text, known):
    for code, start, end in hcpcs_codes(text, known):
        assert 0 <= start < end <= len(text)
        assert _HCPCS_SHAPE.fullmatch(code) or HCPCS.fullmatch(code), code


_TERMINOLOGY = load_terminology()
fax_lines = st.lists(fax_text.map(lambda t: t.replace("\n", " ")), min_size=1, max_size=8)


@BOUNDED
@given(st.lists(fax_lines, min_size=1, max_size=2), st.data())
def test_answer_readers_never_raise_on_any_page(pages_lines, data):
    packet = PacketText.from_pages(build_packet(*pages_lines))
    length = len(packet.text)
    offsets = st.integers(min_value=0, max_value=max(length - 1, 0))
    start = data.draw(offsets)
    end = data.draw(st.integers(min_value=start, max_value=max(length, start)))
    answers = [form_answers.printed_choices(packet, start, end), form_answers.trailing_mark(packet, start, end),
               form_answers.statement_mark(packet, start, end), form_answers.yes_no_boxes_within(packet, start, end)]
    if length:
        answers.append(form_answers.yes_no_answer(packet, start))
        form_answers.typed_choice_before(packet, start)
        form_answers.is_question(packet, start)
    for answer in answers:
        if answer is not None:
            assert answer.value in (True, False, None)
            assert 0.0 <= answer.confidence <= 1.0
            assert 0 <= answer.start <= answer.end <= length
    for unit_start, unit_end in statement_units(packet):
        assert 0 <= unit_start <= unit_end <= length
    for vote in statement_votes(packet, _TERMINOLOGY.statement_concepts, is_reference=lambda offset: False):
        assert vote.value in (True, False, None)
        assert 0.0 <= vote.confidence <= 1.0
