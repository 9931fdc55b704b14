"""The packet's dates by role: the request's own date and the planned treatment date.

Both are found by the label in front of (or above) a date, with fallbacks a reviewer can follow:
a signature line, a letter's date line, the fax stamp; a schedule row naming Day 1.
"""
from __future__ import annotations

import re
from collections import Counter

from extraction.codes import hcpcs_codes
from extraction.fields_support import (UNREADABLE_NOTE, Packet, absent, date_field, field_from, reliability,
                                       unreadable_date)
from extraction.models import FieldValue

GAP = r"[\s.,;:'’]+"
LABEL_REACH = 40  # characters between a label and its date

# The day the cells go in: Day 1 (split-dose products) or Day 0 (the cell-therapy convention).
_DAY_ONE = rf"(day{GAP}?(1|one|l|I|0|zero|O)|\bD{GAP}?[10])\b"
# Words between a treatment label and its date: "Day 1 on or about", "Day 1 = ", "infusion target".
_TREATMENT_FILLER = (r"(?:\s*(?:[:;=()~,.\-|_]|\bon\b|\bor\b|\babout\b|\bfor\b|\bof\b|\bis\b|\bat\b|\bapprox\w*"
                     r"|\btentative\w*|\bplanned\b|\bscheduled\b|\bbooked\b|\bset\b|\btarget\b|\bcurrently\b"
                     r"|\bnow\b|\bexpected\b|\bwill\b|\bbe\b|\bday\s?(1|one|l|I|0|zero)\b|\bD[10]\b"
                     # a speck read as a lone letter or a sign ("infusion is i tentatively", "of or ¢ about")
                     r"|(?<!\w)[a-z](?!\w)|[¢©°~‘’'\"]))*\s*$")
_TREATMENT_LABEL = re.compile(
    rf"((planned|anticipated|scheduled|expected|proposed|target|tentative|requested|desired){GAP}(infusion|treatment|admission|administration"
    rf"|start|{_DAY_ONE})({GAP}(date|{_DAY_ONE}))?|(infusion|treatment|administration|start){GAP}(date|{_DAY_ONE})"
    rf"|date{GAP}of{GAP}(infusion|treatment|administration)|{_DAY_ONE}({GAP}(infusion|dose))?"
    rf"|(first|1st)({GAP}split)?{GAP}(infusion|dose)|to{GAP}be{GAP}infused|infusion{GAP}(is{GAP})?(planned|scheduled|booked)"
    rf"|infusion{GAP}target|plan{GAP}start|infusi[oa]n|inf\w{{2,4}}on){_TREATMENT_FILLER}", re.IGNORECASE)
# "03/23/2026  Obe-cel day 1 (planned)": a schedule row names the date first.
_TREATMENT_AFTER = re.compile(rf"^[\s>|:\-]*([\w\-]+\W+){{0,2}}{_DAY_ONE}", re.IGNORECASE)
# A clinical note's "Date of service" is its visit date; on a request form it is the treatment date.
_SERVICE_DATE_LABEL = re.compile(rf"(date{GAP}of{GAP}service|service{GAP}date|\bDOS)[\W_]*$", re.IGNORECASE)
# Words that make a "Date" another date than the request's ("Scheduled Treatment Date:").
_DATE_QUALIFIERS = ("birth", "service", "start", "end", "stop", "infusion", "admission", "admit", "discharge",
                    "onset", "diagnosis", "effective", "expiration", "expiry", "due", "visit", "procedure",
                    "dose", "collection", "review", "surgery", "transplant", "apheresis", "report", "treatment",
                    "scheduled", "planned", "target", "anticipated", "expected", "proposed", "estimated",
                    "tentative", "lab", "test", "specimen", "sample", "accession", "received", "approval",
                    "decision", "last", "next", "relapse", "death", "exam", "event", "therapy", "dx", "sign")
_REQUEST_LABEL = re.compile(rf"((date{GAP}of{GAP})?request({GAP}date)?|date{GAP}(submitted|of{GAP}submission)|(form|submission"
                            rf"|order|letter){GAP}date|date{GAP}of{GAP}(order|letter)|^\W*dates?"
                            # "Plan name: CarePartners   Date: 12-May-2026": a bare "Date" after another field.
                            rf"|:[^:\n]{{1,40}}\s" + "".join(rf"(?<!{word}\s)" for word in _DATE_QUALIFIERS)
                            + r"date)[\W_]*$", re.IGNORECASE)
# A signature line: "Lucia Benedetti, MD   08/25/2026".
_SIGNATURE_LINE = re.compile(r"\b(M\.?D|D\.?O|NP|APRN|PA-?C|FNP(-?C)?|PharmD|MBBS)\b\.?[^\d\n]{0,30}$")
_SENT_LABEL = re.compile(rf"(fax{GAP}date|date{GAP}sent|transmission{GAP}date|dated|sent|signed{GAP}on|date{GAP}signed|/s/.{{0,60}}\bdate"
                         rf"|signature\b[^:\n]{{0,40}}\bdate)[\W_]*$",
                         re.IGNORECASE)
_FORM_CHECKBOXES = 4  # a request form has 7 (expedited, 2 settings, yes/no, 2 attestations)
_REQUEST_AGE_DAYS = 366  # a request is signed within a year of the packet's newest date
_SIGNATURE_REACH = 90  # "/s/ <name>, MD, PhD  Date: ..." on a signature line


_SPECKS = " \t~\u00a9\u00ae@*\u00b0'\"`\u2018\u2019\u201c\u201d.,:;|_-"


def first_found(*candidates: FieldValue) -> FieldValue:
    """The most specific label wins; a vaguer one is a fallback, not a competitor."""
    return next((c for c in candidates if c.value is not None), candidates[0])


def request_date(packet: Packet, dates) -> FieldValue:
    """The request's own date; failing a label, the date the request went out."""
    first_lines = [d for d in dates if packet.text.page_at(d.start) == packet.text.page_starts[0][1]
                   and d.start < packet.text.line_bounds(packet.text.page_starts[0][0])[1] + 1]
    # A letter's date line, with the specks a fax leaves around it ("~ October 14,2026 ©").
    standalone = [d for d in dates if packet.text.text[slice(*packet.text.line_bounds(d.start))].strip(_SPECKS)
                  == packet.text.text[d.start:d.end]]
    form_pages = _form_pages(packet)
    on_form = [d for d in dates if packet.text.page_at(d.start) in form_pages]
    # A signature years before the packet's newest date signs an old record (a 2019 discharge
    # summary), not this request.
    newest = _newest_date(dates)
    signed_recently = [d for d in dates if newest is not None and (newest - d.value).days <= _REQUEST_AGE_DAYS]
    return first_found(
        date_field("request_date", packet, dates, _REQUEST_LABEL, LABEL_REACH),
        date_field("request_date", packet, signed_recently, _SENT_LABEL, _SIGNATURE_REACH),
        # The request form's signature date before a note's e-signature.
        date_field("request_date", packet, [d for d in on_form if d in signed_recently], _SIGNATURE_LINE,
                   _SIGNATURE_REACH),
        date_field("request_date", packet, signed_recently, _SIGNATURE_LINE, _SIGNATURE_REACH),
        _unlabelled_date("request_date", packet, standalone, 0.8),  # a letter's date line
        _unlabelled_date("request_date", packet, first_lines, 0.7))  # the fax stamp on page 1


def _newest_date(dates):
    """The packet's newest date in the latest year it names twice or more (one misread date,
    "2028" for "2026", does not move it)."""
    years = Counter(d.value.year for d in dates)
    repeated = [year for year, count in years.items() if count >= 2]
    if not years:
        return None
    year = max(repeated or years)
    return max(d.value for d in dates if d.value.year == year)


def _unlabelled_date(name: str, packet: Packet, dates, base: float) -> FieldValue:
    dates = [d for d in dates if not packet.is_reference(d.start)]
    if not dates:
        return absent(name, None)
    first = dates[0]
    return field_from(name, first.value.isoformat(),
                      [(first.start, first.end, reliability(packet.text, first.start, first.end, base))], packet.text)


def treatment_date(packet: Packet, dates, request_date: str | None) -> FieldValue:
    form_pages = _form_pages(packet)
    if request_date:
        # A planned infusion is never before the request: earlier dates near "infusion" are history.
        dates = [d for d in dates if d.value.isoformat() >= request_date]
    form_dates = [d for d in dates if packet.text.page_at(d.start) in form_pages]
    schedule_rows = [d for d in dates
                     if _TREATMENT_AFTER.match(packet.text.text[d.end:packet.text.line_bounds(d.start)[1]])]
    found = first_found(date_field("treatment_date", packet, dates, _TREATMENT_LABEL, LABEL_REACH),
                         date_field("treatment_date", packet, form_dates, _SERVICE_DATE_LABEL, LABEL_REACH),
                         _unlabelled_date("treatment_date", packet, schedule_rows, 0.8))
    if found.value is not None:
        return found
    # The form asks for it but the date is unreadable: say so, so that no rule takes the
    # packet's silence for "no treatment date" (age would then fall back to the request date).
    for label, pages in ((_TREATMENT_LABEL, None), (_SERVICE_DATE_LABEL, form_pages)):
        unread = unreadable_date(packet, label, dates, pages)
        if unread is not None:
            return FieldValue("treatment_date", None, found.confidence, [packet.text.evidence(*unread)],
                              UNREADABLE_NOTE)
    return found


def _form_pages(packet: Packet) -> set[int]:
    """Pages of the request form: an HCPCS code, or a form's worth of checkboxes (a note's bullet
    or table cell may pass for one box, not for several)."""
    pages = {packet.text.page_at(start) for _, start, _ in hcpcs_codes(packet.text.text, packet.terminology.hcpcs)
             if not packet.is_reference(start)}
    boxes = Counter(label.page for label in packet.text.checkbox_labels if not packet.is_reference(label.start))
    return pages | {page for page, count in boxes.items() if count >= _FORM_CHECKBOXES}
