"""Record entries a packet itself withdraws, wherever they stand in it.

A documentation query, an addendum or a correction quotes the entry it withdraws ('the line
"06/2025 CAR-T (axi-cel) - CR" in the history above was entered in error', 'Problem list entry
"History of CAR-T cell therapy" - RETIRED', 'supersedes the "..." line'). The entry also stands
elsewhere, word for word give or take the fax: in the note it was copied into, in the query that
asked about it. Every occurrence is withdrawn, not only the quotation beside the correction.
"""
from __future__ import annotations

import re

# An opening and a closing quote mark (fax OCR mixes straight and curly ones), at most two line
# breaks between them: a quoted entry, not a quotation running on for a paragraph.
_QUOTE = re.compile(r"[\"\u201c]([^\"\u201c\u201d\n]{3,160}(?:\n[^\"\u201c\u201d\n]{0,160}){0,2})[\"\u201d]")
# What is said of the entry after it: it was wrong, it was someone else's, it is gone.
_WITHDRAWN_AFTER = re.compile(
    r"\b(is|was|are|were)\s+(wrong|incorrect|inaccurate|erroneous|mistaken|(entered\s+)?in\s+error|an\s+error)\b"
    r"|\bentered\s+in\s+error\b|\bretired\b|\b(struck|deleted|removed)\s+(from|as)\b"
    r"|\b(copied|carried)\s+(over\s+|forward\s+)?from\s+(a|an|the)\s+(different|another|other|wrong)\b"
    r"|\bdoes\s+not\s+(fit|describe|belong\s+to|apply\s+to)\b"
    r"|\b(entry|entries|line)\s+(is|was|are|were)\s+(wrong|incorrect|in\s+error)\b",
    re.IGNORECASE)
# Said right after it: 'Problem list entry "CAR-T 10/2025" revised by the attending to "..."'.
_REVISED_AFTER = re.compile(r"^[^\w\n]{0,3}(has\s+been\s+|was\s+|is\s+)?(revised|corrected|amended|replaced)\b",
                            re.IGNORECASE)
# Said right before it: 'Addendum supersedes the "..." line', 'retire the entry "..."'.
_WITHDRAWN_BEFORE = re.compile(r"\b(supersedes?|superseding|replaces?|retired?|strikes?|struck|deletes?|deleted"
                               r"|corrects?|corrected|removes?|removed)\s+(the\s+)?((original|old|erroneous|prior)\s+)?"
                               r"((problem[\s-]+list|history)\s+)?(entry|line|wording|statement)?\s*[:,]?\s*$",
                               re.IGNORECASE)
_AFTER_REACH = 300  # characters after a quotation where its withdrawal may be said (never past the next one)
_BEFORE_REACH = 60
# Letters and digits a withdrawn entry needs to be found again: a dated entry ("CAR-T 10/2025" has
# 10) or a long one; a short undated phrase ("T-cell therapy") recurs in sentences it never was.
_MIN_KEY, _MIN_UNDATED_KEY = 10, 20


def withdrawn_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of an entry the packet withdraws, quotations included."""
    quotes = list(_QUOTE.finditer(text))
    keys = set()
    for index, quote in enumerate(quotes):
        following = quotes[index + 1].start() if index + 1 < len(quotes) else len(text)
        after = text[quote.end():min(quote.end() + _AFTER_REACH, following)]
        before = text[max(quote.start() - _BEFORE_REACH, quotes[index - 1].end() if index else 0):quote.start()]
        if _WITHDRAWN_AFTER.search(after) or _REVISED_AFTER.match(after) or _WITHDRAWN_BEFORE.search(before):
            key = _key(quote.group(1))
            if len(key) >= (_MIN_KEY if re.search(r"\d", key) else _MIN_UNDATED_KEY):
                keys.add(key)
    if not keys:
        return []
    plain, offsets = _plain_with_offsets(text)
    spans = []
    for key in keys:
        at = plain.find(key)
        while at >= 0:
            spans.append((offsets[at], offsets[at + len(key) - 1] + 1))
            at = plain.find(key, at + 1)
    return sorted(spans)


def _key(entry: str) -> str:
    # A quoted entry's closing full stop or dash belongs to the sentence around it, not the entry.
    return re.sub(r"[^a-z0-9]", "", entry.lower())


def _plain_with_offsets(text: str) -> tuple[str, list[int]]:
    """The text's letters and digits, lower-cased, with each one's offset in the text."""
    offsets = [i for i, char in enumerate(text) if char.isascii() and char.isalnum()]
    return "".join(text[i].lower() for i in offsets), offsets
