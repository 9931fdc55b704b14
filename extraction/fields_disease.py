"""Disease status of the leukemia, for policies that ask how far it has gone: refractory, a first
relapse, a second or later relapse, or "relapsed or refractory" without saying which.

Read from the packet's own pages (not attached reference text, not another patient's pages). The
most advanced status stated wins: a second relapse that is also refractory qualifies either way.
"""
from __future__ import annotations

import re

from extraction.fields_support import Packet, absent, field_from, reliability
from extraction.models import FieldValue

REFRACTORY = "refractory"
FIRST_RELAPSE = "first relapse"
LATER_RELAPSE = "second or later relapse"
UNSPECIFIED = "relapsed or refractory, not specified"

_ORDINAL_LATER = r"(second|2nd|third|3rd|fourth|4th|fifth|5th|multiple|multiply|subsequent)"
_RELAPSE_NOUN = r"(hematologic(al)?\s+|marrow\s+|bone\s+marrow\s+|combined\s+|CNS\s+|isolated\s+|medullary\s+)?relapse[sd]?"
# Ordered: the first pattern that finds something outside reference text decides.
_STATUSES = (
    (LATER_RELAPSE, re.compile(rf"\b{_ORDINAL_LATER}\s+(or\s+(later|greater|subsequent)\s+)?{_RELAPSE_NOUN}\b"
                               rf"|\brelapse\s*(#|no\.?)\s*[2-5]\b"
                               rf"|\brelapsed\s+(twice|three\s+times|again)\b", re.IGNORECASE), 0.85),
    (REFRACTORY, re.compile(r"\b(primary|primarily|chemo-?|induction[-\s])?refractory\b(?!\s+(or|/)\s*relapse)"
                            r"|\b(primary\s+)?induction\s+failure\b"
                            # "never went into remission despite two inductions": refractory in words.
                            r"|\b(never|not|failed\s+to|did\s+not|unable\s+to)\s+(achieve[ds]?|attain(ed)?|reach(ed)?|"
                            r"go|went|gone|get|got)\s+(into\s+|to\s+)?(an?\s+)?(first\s+|complete\s+|morphologic(al)?\s+)*"
                            r"(remission|CR)\b", re.IGNORECASE), 0.8),
    (FIRST_RELAPSE, re.compile(rf"\b(first|1st)\s+{_RELAPSE_NOUN}\b|\brelapsed\s+once\b|\b(one|a\s+single)\s+relapse\b",
                               re.IGNORECASE), 0.8),
    (UNSPECIFIED, re.compile(r"\b(relapsed|relapse|r/r|relapsed\s*/\s*refractory)\b", re.IGNORECASE), 0.6),
)
_DENIED = re.compile(r"\b(not|non|never)[\s-]*$", re.IGNORECASE)  # "not refractory", "non-refractory"
# "relapsed or refractory" is the generic phrase (forms and labels), not a statement of refractoriness.
_GENERIC_PAIR = re.compile(r"\b(relapsed|relapse)\s*(or|/|and/or)\s*refractory\b", re.IGNORECASE)


def disease_status_field(packet: Packet) -> FieldValue:
    text = packet.text.text
    generic = [m.span() for m in _GENERIC_PAIR.finditer(text)]

    def own(start: int, status: str) -> bool:
        return (not packet.is_reference(start) and packet.text.page_at(start) not in packet.foreign_pages
                and not _DENIED.search(text[max(0, start - 8):start])
                and (status == UNSPECIFIED or not any(a <= start < b for a, b in generic)))

    for status, pattern, base in _STATUSES:
        spans = [(m.start(), m.end(), reliability(packet.text, m.start(), m.end(), base))
                 for m in pattern.finditer(text) if own(m.start(), status)]
        if spans:
            return field_from("disease_status", status, spans[:3], packet.text)
    return absent("disease_status", None)
