"""ICD-10 and HCPCS codes as faxes print them, repaired from their usual OCR misreadings.

Plain text in, (code, start, end) out: fields.py decides what the codes mean for the packet.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

# OCR reads C as €, ©, ¢, c, 0, 6 or O, "." as "," ":" or ". ." (a space around "." or ",") or drops it;
# all are repaired before the code is kept. A repaired code is only trusted after an ICD/Dx label on
# the same line: no ICD-10 code starts with a digit, and a bare "091.02" or "C9102" is more likely
# some other number. A period right after the code ends the sentence ("... C91. 02. Pre-B ALL").
# (An underscore of the blank it was written on may stand before it: "code(s): _C91.02".)
_ICD10 = re.compile(r"(?<![A-Za-z0-9])([A-TV-Z€©¢0c6]?)([0-9O]{2})(\s?[.,][.,:]?\s?|\s?:|\s|)([0-9O][0-9OA-Z]{0,3})"
                    r"(?!\w|\.\w)")
_MISREAD_C = ("", "0", "c", "©", "¢", "6")
# "ICD", and its misreadings "IcD", "ICcD", "IcbD", "lCD", "Icb", "IGD"; or "Dx", "Diagnosis".
_ICD_WORD = r"([il1|][cg]+[dbo]{1,2}|dx|diagnos[ie]s)"
_ICD_LABEL = re.compile(rf"\b{_ICD_WORD}\b[^\n]*$", re.IGNORECASE)
# A code whose period was lost must follow its label directly ("ICD-10 Code(s): C9102").
_ICD_LABEL_JUST_BEFORE = re.compile(rf"\b{_ICD_WORD}\W*(10)?\W*(code(\(s\)|s)?)?\W*$", re.IGNORECASE)
HCPCS = re.compile(r"(?<!\w)([QCJ]|0(?=20\d\d))\s?([0-9OolI]{4})(?!\w)")
_HCPCS_LABEL = re.compile(r"\bhcpcs\b[^\n]*$", re.IGNORECASE)
_MISREAD_LETTER_HCPCS = re.compile(r"(?<![\w.])([A-Z0-9|]{0,2})([0-9OolI]{4})(?![\w.])")


def icd10_codes(text: str, skip: Callable[[int], bool]) -> Iterator[tuple[str, int, int]]:
    """Every ICD-10 code in `text` as "C91.02", with its character range; `skip(offset)` drops some."""
    for match in _ICD10.finditer(text):
        if skip(match.start()):
            continue
        letter, digits, separator, rest = match.groups()
        misread_letter = letter in _MISREAD_C or (letter == "O" and digits[0] in "89")
        if letter == "6" and digits[0] not in "89":
            continue  # "6" stands for a C only in the leukemia and lymphoma codes
        line_before = _line_before(text, match.start())
        if separator == "":
            # Without its period only a C8x/C9x code (lymphomas, leukemias) right after its label.
            if (letter not in ("C", "c", "€", "©", "¢") or digits[0] not in "89" or len(rest) > 2
                    or not _ICD_LABEL_JUST_BEFORE.search(line_before)):
                continue
        elif separator == " ":
            # "ICD-10-CM C91 02": a period lost to a space, only for a C8x/C9x code after its label.
            if letter != "C" or digits[0] not in "89" or len(rest) != 2 or not _ICD_LABEL.search(line_before):
                continue
        elif misread_letter or separator != ".":
            # "c91.00" in a problem list: only the letter's case was lost, and the shape is a leukemia's.
            lower_case_only = letter == "c" and separator == "." and digits[0] in "89" and len(rest) == 2
            if not lower_case_only and (not _ICD_LABEL.search(line_before) or (letter == "" and digits[0] not in "89")):
                continue
        letter = "C" if misread_letter or letter == "€" else letter
        yield f"{letter}{digits}.{rest}".replace("O", "0"), match.start(), match.end()


def hcpcs_codes(text: str, known: Iterable[str] = ()) -> Iterator[tuple[str, int, int]]:
    """Every HCPCS-shaped code ("Q2058"; OCR's "02058", "Q2O58" repaired) with its range.

    On a line labelled HCPCS, a code whose letter was misread or lost ("53490", "JI9999", "2058") is kept when
    exactly one letter in its place makes a code in `known`.
    """
    known = set(known)
    found = set()
    for match in HCPCS.finditer(text):
        found.add(match.start())
        yield _repaired(match.group(1), match.group(2)), match.start(), match.end()
    for match in _MISREAD_LETTER_HCPCS.finditer(text):
        if match.start() in found or not _HCPCS_LABEL.search(_line_before(text, match.start())):
            continue
        candidates = {_repaired(letter, match.group(2)) for letter in "QCJ"} & known
        if len(candidates) == 1:
            yield candidates.pop(), match.start(), match.end()


def _line_before(text: str, offset: int) -> str:
    return text[text.rfind("\n", 0, offset) + 1:offset]


def _repaired(letter: str, digits: str) -> str:
    return letter.replace("0", "Q") + digits.translate(str.maketrans("OolI", "0011"))
