"""Who the packet is about: patient name and member id, from form labels and the trained NER."""
from __future__ import annotations

import difflib
import re
from collections import Counter

from extraction.fields_support import Packet, absent, combine, disagreement, field_from, reliability
from extraction.models import FieldValue

# "Name (last, first MI):": the order the form asks for stands between the label and its colon.
_NAME_ORDER = r"(?:\s*\([^)\n]{0,25}\))?"
_NAME_LABEL = re.compile(
    # Words of one label stand on one line: "Part 1 - Member / Name: ..." is a heading and a label.
    rf"\b(?:patient(?:'s)?[ \t]+name{_NAME_ORDER}|patient|(?:member|enrollee|subscriber|insured)(?:[ \t]+name{_NAME_ORDER})?"
    rf"|pt\.?[ \t]+name|name[ \t]+of[ \t]+patient|re)"
    r"\s*(?:[:#]|;(?=\s*[A-Z]))\s*", re.IGNORECASE)
_BARE_NAME_LABEL = re.compile(rf"(?:^|\s)name{_NAME_ORDER}\s*:\s*", re.IGNORECASE)
_NOT_PATIENT = re.compile(r"\b(provider|physician|prescriber|doctor|contact|facility|practice|donor|plan|drug|"
                          r"product|submitter|office)\b", re.IGNORECASE)
_NAME_WORD = r"[A-Z][A-Za-z'\-]+|[A-Z](?:\.(?![A-Za-z])|(?![A-Za-z.]))"  # an initial, not "D" of "D.O.B."
# A speck may cling to a word's end ("Caleb J.’ Strand"), a period to an initial or the word
# before one ("Harlan J.. Voss", "VOSS, HARLAN. J"), never to a surname ending a sentence.
# A period may also be glued to a middle initial ("OSTROWSKI, JAYLEN.M"), a comma doubled ("MANALO,, LOURDES").
_NAME_GAP = r"(?:[,’‘'\"]?,?\s|(?<=\b[A-Z]\.)\.\s|\.\s?(?=[A-Z]\b))"
_NAME = re.compile(rf"(?P<name>(?:{_NAME_WORD})(?:{_NAME_GAP}(?:{_NAME_WORD})){{1,3}})")
_STOP_WORDS = {"DOB", "Date", "Member", "ID", "Sex", "MRN", "Gender", "Age", "Phone", "Birth", "D.O.B.", "Health"}
# Another field's label the fax set beside the name ("Subscriber Desmond A. Okonkwo-Hale",
# "MARISOL T Plan QUINTANILLA-REYES" from two columns read as one line): no part of it.
_HONORIFIC = re.compile(r"(mr|mrs|ms|miss|mx|dr)\.?", re.IGNORECASE)
_LABEL_WORDS = {"subscriber", "enrollee", "insured", "plan", "policyholder", "beneficiary"}
_SAME_READING = 0.9  # similarity above which two readings are one value misread
_WIDER_SUPPORT = 2  # pages more than the best-read name that make another labelled name the patient's
_SPECKS = re.compile(r"[\s»«\"“”'‘’|.,;:~*]*")
_MEMBER_ID = re.compile(
    r"\b(?:member|subscriber|insurance|policy|health\s+plan)\s*(?:id|#|no\.?|number)(?:\s*(?:#|no\.?|number))?"
    r"\s*[:#]?\s*(?P<value>[A-Z0-9][A-Z0-9\-]{4,})", re.IGNORECASE)


def patient_name_field(packet: Packet) -> FieldValue:
    text = packet.text.text
    candidates: dict[str, list[tuple[int, int, float]]] = {}
    spelled: dict[str, str] = {}
    labelled_ends = set()
    for pattern, base in ((_NAME_LABEL, 0.92), (_BARE_NAME_LABEL, 0.75)):
        for label in pattern.finditer(text):
            if label.end() in labelled_ends:
                continue
            labelled_ends.add(label.end())
            # The bare label's leading space may be the line break before it: its line is the word's.
            word_start = label.start() + len(label.group(0)) - len(label.group(0).lstrip())
            line_start, line_end = packet.text.line_bounds(word_start)
            if packet.text.page_at(label.start()) in packet.foreign_pages:
                continue
            if packet.is_reference(label.start()) or _NOT_PATIENT.search(text[line_start:label.start() + 1]
                                                                         + label.group(0)):
                continue
            # "Patient: » Ferreira-Lund, Nico": fax specks between the label and the name.
            specks = _SPECKS.match(text, label.end(), line_end)
            match = _NAME.match(text, specks.end() if specks else label.end(), line_end)
            name = _clean_name(match.group("name")) if match else None
            if name and pattern is _BARE_NAME_LABEL and _prescriber_name(packet, line_start, match.end()):
                continue
            if name:
                _vote(candidates, spelled, name, label.start(), match.end(),
                      reliability(packet.text, match.start(), match.end(), base))
    labelled = set(candidates)
    for m in packet.mentions:
        if (m.label == "PATIENT_NAME" and not packet.is_reference(m.start)
                and packet.text.page_at(m.start) not in packet.foreign_pages):
            name = _clean_name(text[m.start:m.end])
            # The model only supports a labelled name, or stands in when no form label exists; a
            # signer's name ("Printed name: Rosalind Achterberg, MD") is the clinician's.
            if (name and (not labelled or name.lower() in labelled)
                    and not _CLINICIAN.match(text[m.end:m.end + 8].lstrip(" ,"))):
                _vote(candidates, spelled, name, m.start, m.end, reliability(packet.text, m.start, m.end, 0.6))
    return _best("patient_name", candidates, spelled, packet, _pages_naming)


def _prescriber_name(packet: Packet, line_start: int, name_end: int) -> bool:
    """"2. Prescriber information / Name: A. M. Korrigan, MD": a bare "Name:" under a heading
    about someone else, or a name followed by a clinician's degree, is not the patient's."""
    text = packet.text.text
    if _CLINICIAN.match(text[name_end:name_end + 8].lstrip(" ,")):
        return True
    heading_start, heading_end = packet.text.line_bounds(max(0, line_start - 1))
    return line_start > 0 and bool(_CLINICIAN_HEADING.search(text[heading_start:heading_end]))


_CLINICIAN_HEADING = re.compile(r"\b(provider|physician|prescriber|prescribing|doctor|contact|submitter|referring|"
                                r"ordering|requesting)\b", re.IGNORECASE)


def _pages_naming(packet: Packet, key: str) -> int:
    """On how many pages the name's surname-like words stand: the packet's patient is named page
    after page, a misfiled page's patient on that page alone."""
    words = [w for w in re.findall(r"[a-z]{4,}", key)]
    if not words:
        return 0
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    return len({packet.text.page_at(m.start()) for m in pattern.finditer(packet.text.text)})


def member_id_field(packet: Packet) -> FieldValue:
    text = packet.text.text
    candidates: dict[str, list[tuple[int, int, float]]] = {}
    spelled: dict[str, str] = {}
    for shape, pattern in _format_patterns(packet.terminology.member_id_formats):
        for match in pattern.finditer(text):
            if packet.is_reference(match.start()) or packet.text.page_at(match.start()) in packet.foreign_pages:
                continue
            value = _shaped_id(match.group(0), shape)
            line_start, _ = packet.text.line_bounds(match.start())
            labelled = bool(_ID_LABEL.search(text[max(line_start, match.start() - 40):match.start()])) or bool(
                _ID_LABEL.search(packet.text.header_above(match.start(), match.end())))
            _vote(candidates, spelled, value, match.start(), match.end(),
                  reliability(packet.text, match.start(), match.end(), 0.95 if labelled else 0.85))
    if candidates:
        # The plan's own ID shape, read anywhere: other labelled numbers are not the member ID.
        return _best("member_id", candidates, spelled, packet)
    for match in _MEMBER_ID.finditer(text):
        value = match.group("value").upper()
        if packet.is_reference(match.start()) or not any(ch.isdigit() for ch in value):
            continue
        _vote(candidates, spelled, value, match.start(), match.end(),
              reliability(packet.text, match.start("value"), match.end(), 0.93))
    labelled = set(candidates)
    for m in packet.mentions:
        if m.label == "MEMBER_ID" and not packet.is_reference(m.start):
            value = text[m.start:m.end].upper()
            if labelled and value.lower() not in labelled:
                continue
            _vote(candidates, spelled, value, m.start, m.end, reliability(packet.text, m.start, m.end, 0.55))
    return _best("member_id", candidates, spelled, packet)


_ID_LABEL = re.compile(r"\b(member|subscriber|insurance|policy|plan|mbr|ID)\b", re.IGNORECASE)
_ID_DIGIT = "[0-9OoDIl|]"
# Letters of an ID prefix as fax OCR misreads them ("GP 319044872" for CP 319044872).
# A separator may carry a speck beside it ("CP221. 908 476").
_ID_SEPARATOR = r"[ .\-'\u2019]{0,2}"
_ID_LETTERS = {"C": "[CcG(\u00a2\u20ac\u00a9]", "P": "[PpF]", "O": "[O0]", "I": "[I1l|]"}
_DIGITS = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1"})


def _format_patterns(formats: tuple[str, ...]) -> list[tuple[str, re.Pattern]]:
    """A plan ID shape ("CP#########") as OCR and offices print it: separators between any two
    characters, digits read as their look-alike letters."""
    patterns = []
    for shape in formats:
        parts = [_ID_DIGIT if ch == "#" else _ID_LETTERS.get(ch, re.escape(ch)) for ch in shape]
        patterns.append((shape, re.compile(r"(?<![A-Za-z0-9])" + _ID_SEPARATOR.join(parts) + r"(?![A-Za-z0-9])")))
    return patterns


def _shaped_id(raw: str, shape: str) -> str:
    """The ID as the plan writes it: the shape's own letters, digits read back from look-alikes."""
    chars = re.sub(_ID_SEPARATOR, "", raw)
    return "".join(s if s != "#" else c.translate(_DIGITS) for c, s in zip(chars, shape)).upper()


def _joined_id(raw: str) -> str:
    letters = re.sub(r"[\s.\-]", "", raw)
    head = re.match(r"[A-Za-z]*", letters).group(0)
    return (head + letters[len(head):].translate(_DIGITS)).upper()


_DEGREE = re.compile(r"MD|M\.D|NP|PA-C|APRN|RN|PharmD|NPI")  # not "DO": a surname too (Anh Do)
_SUFFIXES = {"jr": "Jr.", "sr": "Sr.", "ii": "II", "iii": "III", "iv": "IV"}


def _clean_name(raw: str) -> str | None:
    raw = re.sub(r"(?<=[A-Za-z]{2})\.(?=[A-Z]\b)", ". ", raw)  # "JAYLEN.M": the initial glued on
    words = [w.rstrip("’‘'\"") for w in raw.replace(",", " , ").split()]
    words = [w[0] + "." if re.fullmatch(r"[A-Z]\.+", w) else w if len(w) < 2 else w.rstrip(".") for w in words]
    kept = []
    for word in words:
        if word.strip(".:") in _STOP_WORDS or (kept and word.endswith(":")):
            break  # "WARSAME, KHADIJA A. MR: 00-5187602": the next field's label
        if _DEGREE.fullmatch(word.strip(".,")):
            return None  # "Okafor, MD": a clinician
        if word.strip(".:#").lower() in _LABEL_WORDS:
            continue
        kept.append(word)
    if "," in kept:  # "Doe, Jane Q" -> "Jane Q Doe"
        comma = kept.index(",")
        before, after = kept[:comma], [w for w in kept[comma + 1:] if w != ","]
        while after and _HONORIFIC.fullmatch(after[-1]):
            after.pop()  # "WARSAME, KHADIJA A. MR: ...": the medical-record label cut short, not a title
        if len(before) >= 2 and len(before[-1].strip(".")) == 1 and len(after) == 1:
            # "Keziah M, Lindqvist": the middle initial's period read as a comma, not "Last, First".
            kept = before + after
        else:
            kept = after + before
    # "PETTIBONE, HAROLD W JR": a suffix ends the name ("Harold W. Pettibone Jr.").
    suffixes = [w for w in kept if w.strip(".").lower() in _SUFFIXES]
    kept = [w for w in kept if w not in suffixes] + [_SUFFIXES[w.strip(".").lower()] for w in suffixes]
    if kept and len(kept[-1].strip(".")) == 1:
        return None  # "Caleb J." with no surname after it: the name was cut short
    kept = [w for w in kept if w != ","]
    # Names are capitalised: a leading lower-case "l" is OCR's reading of "I" ("lvanova").
    kept = ["I" + w[1:] if len(w) > 2 and w[0] == "l" and w[1:].isalpha() else w for w in kept]
    while kept and _HONORIFIC.fullmatch(kept[0]):  # "Mrs Rosalind E. OKAFOR"
        kept = kept[1:]
    # "JANE DOE" on a form, "Rosalind E. OKAFOR" in a letter: one spelling of the name, and a
    # middle initial with its period ("Jane Q Doe" -> "Jane Q. Doe").
    kept = [w.title() if len(w.strip(".")) > 1 and w.isupper() else w for w in kept]
    kept = [w + "." if len(w) == 1 and w.isupper() and 0 < i < len(kept) - 1 else w for i, w in enumerate(kept)]
    return " ".join(kept) if len(kept) >= 2 else None


def _vote(candidates, spelled, value: str, start: int, end: int, confidence: float) -> None:
    key = value.lower()
    spelled.setdefault(key, value)
    candidates.setdefault(key, []).append((start, end, confidence))


def _best(name: str, candidates, spelled, packet: Packet, page_support=None) -> FieldValue:
    if not candidates:
        return absent(name, None)
    readings = list(candidates)
    candidates = _merge_misreadings(candidates)
    scores = {key: combine([c for _, _, c in spans]) for key, spans in candidates.items()}
    best = max(scores, key=scores.get)  # equal support: the merge's order (most read, then longest) decides
    if page_support is not None and len(scores) > 1:
        pages = {key: page_support(packet, key) for key in scores}
        widest = max(pages, key=pages.get)
        if pages[widest] >= pages[best] + _WIDER_SUPPORT:
            best = widest
    value = spelled[best]
    if page_support is not None:
        # A name read with and without its middle initial: the fuller reading ("Reginald O.
        # Thistlewood", not "Reginald Thistlewood").
        words = _long_words(best)
        fuller = [k for k in readings if _long_words(k) == words and len(k.split()) > len(best.split())
                  and words and k.split()[0] == words[0]]
        if fuller:
            value = spelled[max(fuller, key=lambda k: len(k.split()))]
    field = field_from(name, value, candidates[best], packet.text, scores[best])
    if len(scores) > 1:
        field.confidence = round(disagreement(scores[best], max(s for k, s in scores.items() if k != best)), 4)
        field.note = f"{len(scores)} different values found"
    return field


def _long_words(key: str) -> list[str]:
    return re.findall(r"[a-z][a-z'\-]+", key)


def _merge_misreadings(candidates: dict[str, list]) -> dict[str, list]:
    """One-letter OCR variants ("lindgvist" / "lindqvist") support the most-read spelling."""
    # Equally often read, the longer reading wins: a space OCR put inside an ID cuts it short
    # ("CPC604421 184"), while digits are rarely invented.
    ordered = sorted(candidates, key=lambda k: (-len(candidates[k]), -len(k)))
    merged: dict[str, list] = {}
    for key in ordered:
        home = next((m for m in merged if difflib.SequenceMatcher(None, m, key).ratio() >= _SAME_READING), None)
        merged.setdefault(home or key, []).extend(candidates[key])
    return merged


# (A fax may turn the label's colon into a quote mark: 'Patient” Haiold P. Viner'.)
_PAGE_NAME_LABEL = re.compile(r"\b(?:patient(?:'s)?(?:\s+name)?|member\s+name|pt\.?\s+name|name)\s*[:#”\"]", re.IGNORECASE)
_NOT_A_NAME = re.compile(r"\b(request|authori[sz]ation|information|therapy|cellular|leukemia|form|program|clinic|"
                         r"hospital|center|report|note|summary|oncology|hematology|health|plan)\b", re.IGNORECASE)
_CLINICIAN = re.compile(r"\b(MD|M\.D|DO|NP|PA-C|APRN|RN|PharmD|NPI)\b")
_SAME_NAME_WORD = 0.7  # similarity at which two name words are one name read twice
_OTHER_BIRTH = 2  # differing characters that make a labelled birth date another patient's
_OTHER_BIRTH_SAME_NAME = 3
_OTHER_ID = 3  # differing characters that make a labelled member ID another member's, not a misreading


def request_patient_birth(page_births: dict[int, str | None]) -> str | None:
    """The request's patient's birth date: the one most pages name, the first page's on a tie (a
    misfiled page can come before the request's own pages once the fax lost the form's date); a page
    with another date is then the candidate for a misfiled page, whatever its print quality."""
    dated = [(page, birth) for page, birth in sorted(page_births.items()) if birth]
    if not dated:
        return None
    pages_naming = {birth: sum(b == birth for _, b in dated) for _, birth in dated}
    return max(dated, key=lambda item: (pages_naming[item[1]], -item[0]))[1]


def foreign_pages(packet: Packet, name: str | None, birth_date: str | None,
                  page_births: dict[int, str | None], as_of: str | None = None) -> set[int]:
    """Pages about another patient (misfiled): a labelled date of birth that is not a misreading
    of the packet's, or a labelled patient name sharing no word with the packet's, on a page that
    does not also carry the packet's date of birth; or, on a page with neither read, a note's
    "81-year-old man" years away from the patient's age on `as_of` (the request date). Their
    history is not this patient's."""
    names = _page_name_agreement(packet, name) if name else {}
    foreign = set()
    if birth_date and as_of:
        for page in _pages_of_another_age(packet, _age_on(birth_date, as_of)):
            if not names.get(page) and page_births.get(page) != birth_date:
                foreign.add(page)
    for page, page_birth in page_births.items():
        if not (birth_date and page_birth):
            continue
        # OCR turns two digits of a faxed date at times (08/19/1953 -> 09/19/1983); on a page whose
        # labelled patient is the packet's, only a date further off makes it another patient's.
        differing = sum(a != b for a, b in zip(page_birth, birth_date))
        if differing >= (_OTHER_BIRTH_SAME_NAME if names.get(page) else _OTHER_BIRTH):
            foreign.add(page)
    for page, same in names.items():
        if not same and not (birth_date and page_births.get(page) == birth_date):
            foreign.add(page)
    # A labelled member ID far from the packet's (not a misreading), on a page that names neither
    # the packet's patient nor its date of birth.
    page_ids = _page_member_ids(packet)
    counted = Counter(value for values in page_ids.values() for value in set(values))
    if len(counted) > 1:
        packet_id = max(counted, key=lambda value: (counted[value], -min(p for p, v in page_ids.items() if value in v)))
        for page, values in page_ids.items():
            if (all(sum(a != b for a, b in zip(value, packet_id)) >= _OTHER_ID for value in values)
                    and not names.get(page) and not (birth_date and page_births.get(page) == birth_date)):
                foreign.add(page)
    return foreign


def _page_member_ids(packet: Packet) -> dict[int, list[str]]:
    """The plan-shaped member IDs each page labels as such ("Member ID: CP...")."""
    text = packet.text.text
    found: dict[int, list[str]] = {}
    for shape, pattern in _format_patterns(packet.terminology.member_id_formats):
        for match in pattern.finditer(text):
            line_start, _ = packet.text.line_bounds(match.start())
            if packet.is_reference(match.start()) or not _ID_LABEL.search(
                    text[max(line_start, match.start() - 40):match.start()]):
                continue
            found.setdefault(packet.text.page_at(match.start()), []).append(_shaped_id(match.group(0), shape))
    return found


def _page_name_agreement(packet: Packet, name: str) -> dict[int, bool]:
    """Per page with a labelled patient name: whether that name is the packet's patient (any name
    word read alike); True wins when a page labels several names."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]{3,}", name)]
    text = packet.text.text
    agreement: dict[int, bool] = {}
    for label in _PAGE_NAME_LABEL.finditer(text):
        page = packet.text.page_at(label.start())
        _, line_end = packet.text.line_bounds(label.start())
        match = _NAME.search(text, label.end(), line_end)
        other = _clean_name(match.group("name")) if match else None
        line = text[packet.text.line_bounds(label.start())[0]:line_end]
        if (not other or packet.is_reference(label.start()) or _NOT_A_NAME.search(other)
                or _CLINICIAN.search(line) or _NOT_PATIENT.search(line)):
            continue
        other_words = [w.lower() for w in re.findall(r"[A-Za-z]{3,}", other)]
        if not other_words:
            continue
        same = any(difflib.SequenceMatcher(None, a, b).ratio() >= _SAME_NAME_WORD
                   for a in words for b in other_words)
        agreement[page] = agreement.get(page, False) or same
    return agreement


# "81-year-old man with IgG kappa myeloma": a note's opening about its own patient (a relative's
# age, "his 45-year-old brother", is another person's and ruled out by the words before it).
_STATED_AGE = re.compile(r"(?<![\w-])(?P<age>\d{1,3})[\s-]*(?:year|yr)s?[\s-]*old[\s:;,.-]+"
                         r"(?:man|woman|male|female|gentleman|lady|patient|boy|girl|[MF]\b)", re.IGNORECASE)
_SOMEONE_ELSES = re.compile(r"\b(his|her|their|whose|patient's|mother|father|brother|sister|son|daughter|wife|"
                            r"husband|spouse|donor|sibling|cousin|aunt|uncle|friend)\W+(\w+\W+)?$", re.IGNORECASE)
_AGE_SLACK = 2  # years: a birthday between note and request, or a rounded age


def _age_on(birth_date: str, as_of: str) -> int:
    born, day = [tuple(int(part) for part in value.split("-")) for value in (birth_date, as_of)]
    return day[0] - born[0] - ((day[1], day[2]) < (born[1], born[2]))


def _pages_of_another_age(packet: Packet, age: int) -> set[int]:
    """Pages whose every stated patient age is years away from the packet patient's."""
    ages: dict[int, list[int]] = {}
    text = packet.text.text
    for match in _STATED_AGE.finditer(text):
        if packet.is_reference(match.start()) or _SOMEONE_ELSES.search(text[max(0, match.start() - 30):match.start()]):
            continue
        ages.setdefault(packet.text.page_at(match.start()), []).append(int(match.group("age")))
    return {page for page, stated in ages.items() if all(abs(a - age) > _AGE_SLACK for a in stated)}
