"""Whose therapy a mention is about: a relative's, someone the writer met, or the reader's own
(education text written to a patient) rather than the patient's. `therapy_placement` asks."""
from __future__ import annotations

import re

from extraction.fields_support import Mention

# "your" written to a patient, not to the plan or a colleague ("your guideline", "your team").
_SECOND_PERSON = re.compile(r"\byour\b(?!\s+(\w+\s+)?(guidelines?|polic(y|ies)|criteria|team|program|review(er)?s?"
                            r"|office|letter|request|plan|organization|staff|colleagues|cent(er|re)|unit|service"
                            r"|members?|consideration|attention|records)\b)", re.IGNORECASE)
_RELATIVE_OPENS_ROW = re.compile(r"\W*((maternal|paternal|older|younger|half)[\s-]+)?(brother|sister|sibling|mother"
                                 r"|father|cousin|aunt|uncle|son|daughter|niece|nephew|grandmother|grandfather)s?\s",
                                 re.IGNORECASE)
_PATIENT_SUBJECT = re.compile(r"\b(patient|pt|he|she|his|her|him|himself|herself)\b", re.IGNORECASE)
_THIRD_PERSON = re.compile(r"\b(he|she|his|her|him|himself|herself|the patient|pt)\b", re.IGNORECASE)
# "Her younger brother Walter received ciltacabtagene": a relative is the one who received it.
# (A dot glued to the next word, "neighbor.was", or after a colon, "cousin:. DLBCL", is speckle.)
_RELATIVE_SUBJECT = re.compile(
    r"\b(brother|sister|sibling|mother|father|cousin|aunt|uncle|son|daughter|wife|husband|spouse|partner|friend"
    r"|roommate|neighbou?r|relative|niece|nephew|grandmother|grandfather"
    # "I met a woman in our support group who had Tecartus": someone the writer met
    r"|(a|one)\s+(woman|man|lady|gentleman|person|friend|mom|dad|girl|boy)|another\s+(patient|woman|man|person)"
    r"|someone|somebody)"
    r"\b(?:[^.;]|\.(?=\S)|(?<=[:,])\.){0,40}"
    r"\b(received|(was\s+)?treated with"
    r"|was given|got|underwent|had)\b[.,\"”’']{0,2}[^.;]{0,30}$", re.IGNORECASE)  # a verb ends no sentence: a dot there is fax speckle
# "Maternal cousin: DLBCL 2022, treated with Yescarta", "Brother (Callum) - B-ALL 2013; received
# tisagenlecleucel": a family-history row names its relative first.
# "her older brother; Anders, was treated with ...": a comma the fax read as a semicolon before a name.
_APPOSITIVE_SEMICOLON = re.compile(r";(?=\s*[A-Z][\w'’-]*(\s+[A-Z][\w'’-]*)?\s*,)")
_RELATIVE_WORD = re.compile(r"\b(brother|sister|sibling|mother|father|cousin|aunt|uncle|son|daughter|wife|husband"
                            r"|spouse|partner|friend|relative|niece|nephew|donor|family)s?\b", re.IGNORECASE)
_RELATIVE_ROW = re.compile(r"\W*((maternal|paternal|older|younger|half)[\s-]+)?(brother|sister|sibling|mother|father"
                           r"|cousin|aunt|uncle|son|daughter|niece|nephew|grandmother|grandfather)"
                           # "Sister (Nora):", "Sister, 47, treated with ...": a name or an age after the relative
                           r"(\s*\([^)\n]{0,40}\)|,\s*(age\s*)?\d{1,3}\s*(y/?o|yrs?|years?)?\s*(?=,))?\s*[:\-\u2013,]",
                           re.IGNORECASE)


def someone_elses(text: str, mention: Mention, clause_before: str, sentence_before: str,
                  unit_sentence_before: str, row_starts: set[int]) -> bool:
    """The mention is about a relative or another person: its family-history section or modifier,
    a relative as its clause's subject, or a family-history row (which may wrap onto its line)."""
    # "She has not been treated with any CAR T-cell product, family history: her brother ...": a
    # relative named only after a denial about the patient leaves the denial hers. The same holds
    # in a letter's "Family history is notable: ..." paragraph, which a section header ends only at
    # the next header: "... Jordan himself has not had CAR-T cells".
    relative_after_only = mention.negated and not _RELATIVE_WORD.search(sentence_before)
    return bool((mention.family or mention.section == "family_history") and not relative_after_only
                or _RELATIVE_SUBJECT.search(clause_before)
                or _RELATIVE_SUBJECT.search(_APPOSITIVE_SEMICOLON.sub(",", unit_sentence_before))
                or any(_RELATIVE_ROW.match(text, row_start, mention.start)
                       or _relative_table_row(text[row_start:mention.start]) for row_start in row_starts))


def relative_is_subject(clause_before: str) -> bool:
    return bool(_RELATIVE_SUBJECT.search(clause_before))


def _relative_table_row(before: str) -> bool:
    """"Sister   diffuse large B-cell lymphoma 2021; treated with axicabtagene ciloleucel": a family
    history table's row opens with the relative, with no colon, and never turns to the patient."""
    opening = _RELATIVE_OPENS_ROW.match(before)
    return opening is not None and not _PATIENT_SUBJECT.search(before, opening.end())


def written_to_patient(unit: str, sentence: str) -> bool:
    """"your" in the mention's sentence, or in a unit that speaks of nobody in the third person:
    a letter to a colleague ("... in your adult program. He has not had CAR-T cells") is not
    an education sheet."""
    if _SECOND_PERSON.search(sentence):
        return True
    return bool(_SECOND_PERSON.search(unit)) and not _THIRD_PERSON.search(unit)
