"""Each cellular-therapy mention placed on its own, with its reasons.

Every mention (brand, INN, short INN, research code, "CD19 CAR", "CAR-T") is placed - received,
planned, negated, another person's, reference text, collected but never infused, unknown, a form
question, or unplaced - from the section it sits in, ConText's cues and the words of its statement
unit. `therapy_history` weighs the placements into the packet's answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from extraction import form_answers, therapy_subjects
from extraction.dates import find_dates
from extraction.fields_support import Mention, Packet
from extraction.spelling import edit_distance
from extraction.statements import words_pattern
from extraction.text import plain_letters

HISTORY_SECTIONS = {"treatment_history", "past_medical_history"}
# "allo-HCT after CAR-T if MRD-negative CR": a step that waits on the therapy's outcome.
_CONDITION_AFTER = re.compile(r"[^.;]{0,20}\b(if|once|provided|assuming|pending)\b", re.IGNORECASE)
_ROW_LABEL_BEFORE = re.compile(r"\W*(prior|previous|history\s+of|hx\s+of)\s*$", re.IGNORECASE)
_SPECULATED_AS = re.compile(r"\b(could|might|may)\s+have\s+been\b", re.IGNORECASE)
_NAIVE = re.compile(r"na[iï]ve", re.IGNORECASE)
# "He is CAR-T naive: ...": said of the mention right after it, before any relative or donor nearby.
_NAIVE_AFTER = re.compile(r"[\s-]{0,2}(cell\s+therapy\s+|therapy\s+)?na[iï]ve\b", re.IGNORECASE)
_CAR_WORDS = re.compile(r"CAR|chimeric", re.IGNORECASE)
# A form question whose "?" a fax lost: "Has the patient previously received a CAR-T cell therapy."
_INTERROGATIVE = re.compile(r"^\W*([A-Z]?\d+(\.\d+)*[a-z]?[.):]?\s*)?(has|have|is|are|was|were|did|does|do)\s+(the\s+)?"
                            r"(patient|member|pt)\b", re.IGNORECASE)
# "Prior CAR-T: NONE documented", "CAR-T therapy:.. No": a labelled row answered no.
# The rest of a label after the mention ("CAR [T- -cell therapy]:"), its colon, then the answer.
# A structured field's label may end in its verb and lead to its answer with dots: "CAR-T infused ..... NO".
_LABEL_ANSWER = re.compile(r"^([^\w\n]{0,3}(T|cell|cells|therapy|therapies|product|products|infusion|treatment"
                           r"|infused|received|given|administered)\b)*"
                           r"([^\w\n]{0,3}[:=]|[ \t._\-]*\.{3,}[ \t._\-]*)[^\w\n]{0,4}(?P<answer>[A-Za-z/]+)\b",
                           re.IGNORECASE)
_NO_ANSWERS = ("none", "no", "nil", "n/a", "na", "negative", "never", "denied", "denies")
# The answer slot of a labelled row holds one of a few words, so a misreading ("tione" for
# "none": n read as "ti") is still the nearest of them.
_ANSWER_WORDS = _NO_ANSWERS + ("yes", "unknown", "unk", "pending", "see")
# "CAR-T therapy (any product, incl. trial)": a question's scope, not a patient's history.
_QUESTION_SCOPE = re.compile(r"^[^\w\n]{0,3}((cell\s+)?(product|products|therapy|therapies|infusion)\s*)?"
                             r"\(\s*(any|all|incl\w*|including|commercial\s+or|either)\b", re.IGNORECASE)
# "Member has EVER received a CAR-T product": a form item asks; prose says "has never" or "received".
# "Asked about prior CAR-T because the family hx mentions it": a question put to someone.
_EVER_ASKED = re.compile(r"\b(has|have|had)\s+(the\s+)?(patient|member|pt)?\s*ever\b|\b(patient|member|pt)\s+(has|have)\s+ever\b"
                         r"|\b(asked|inquired|checked|verified)\s+(about|whether|if|for)\b",
                         re.IGNORECASE)
# A list of ticked prior therapies: "Prior therapies (check all that apply)".
# ("Prior authorization" is the form's name, not a question about past therapy.)
_PRIOR_LIST = re.compile(r"\b(prior(?![\s.]*auth)|previous|previously|past|history|hx|received|tried|failed|ever|never|"
                         r"before|infusions|to date)\b", re.IGNORECASE)
_BARE_AFTER = re.compile(r"after\b", re.IGNORECASE)  # "after CAR-T", not "relapsed after CAR-T"
_FORM_ITEM = re.compile(r"^\W{0,2}(\d{1,2}[a-z]?|[a-zA-Z])[.)]\s")  # "5c.", "c)", "C."
# "Cellular Therapy Clinic", "CAR-T Program": a department, not a therapy.
_ORGANIZATION = re.compile(r"\s*(Clinic|Unit|Program|Programme|Service|Center|Centre|Coordinator|Department|Dept|"
                           r"Office|Lab|Laboratory|Team|Institute|Pharmacy)\b", re.IGNORECASE)
# "Had he already received a CAR-T product, I would have ...": an inverted auxiliary is a condition too.
_CONDITION_OPENS = re.compile(r"\W{0,3}(if|should|unless|in case|provided that|assuming)\b", re.IGNORECASE)
_CONDITION_BEFORE = re.compile(r"\b(if|unless|whether|in case|should (the )?records?"
                               r"|(had|were) (he|she|they|the patient|this patient))\b", re.IGNORECASE)
_OFFICE_BOX = re.compile(r"\buse[\s.]{1,3}only\b", re.IGNORECASE)
# "received the CAR-T teaching", "CAR-T consult 03/10", "here to finalize cellular therapy plan": an
# encounter or a plan about the therapy, not a dose of it.
# (A speck read as a full stop may stand before it: "CAR-T. policy", lower case after it.)
_TOPIC = re.compile(r"\s*(\.\s*(?=(?-i:[a-z])))?(teaching|education|class|orientation|consult|consultation|evaluation|eval|work-?up"
                    r"|screening|referral|intake|information|info|handout|visit|seminar|plan|planning|candidacy"
                    # "Levetiracetam prophylaxis per institutional CAR-T policy": a document about it
                    r"|polic(y|ies)|SOP|guidelines?|order\s+sets?|pathway)\b",
                    re.IGNORECASE)
# "This would be her first CAR-T therapy": a first one means none before.
_FIRST_OF_KIND = re.compile(r"\b(would|will|to|is\s+to)\s+be\s+(his|her|their|the\s+(patient|member|pt)'?s?)\s+"
                            r"first\s+(\w+\s+){0,2}$", re.IGNORECASE)
# A negator right before an administration cue: "was never treated with", "has not been given".
_NEGATOR_BEFORE = re.compile(r"\b(never|not|no|nor|n't)\b[^\w\s]{0,3}(\s+(been|yet|ever|previously|already|actually|in\s+fact"
                             r"|truly|really|\w|[^\w\s]{1,3}))*\s*$",
                             re.IGNORECASE)  # a one-letter word or a speck between: OCR's stray marks
# "we intend transplant consolidation after CAR-T if he achieves remission": intent and conditions
# look forward; nothing in such a clause says the therapy was given.
_IMPLIED_REACH = 60  # characters between an implying word and the mention it is about
_FUTURE = re.compile(r"\b(will|would|to be|going to|plan(ned|s)? to|once|revisit\w*|pending|await\w*|until after|defer\w*"
                     r"|intend\w*|anticipat\w*|hope\w*|if (he|she|they|the patient) (achieves?|reaches?|attains?)"
                     # "Transplant remains a consideration after response to CAR-T"
                     r"|remains?\s+(an?\s+)?(consideration|option|possibility)|to\s+consider|under\s+consideration"
                     r")\b", re.IGNORECASE)
_NEGATOR = re.compile(r"\b(never|not|n't)\b", re.IGNORECASE)
# "CAR-T therapy received: none (obe-cel is the product now requested)".
_NOW_REQUESTED = re.compile(r"\b((is|as) the (product|therapy|treatment) (now |being |currently )?requested|"
                            r"(now|being|currently) requested|requested now)\b", re.IGNORECASE)
KIND_UNSTATED = "a cell therapy whose kind is not stated"  # the reason therapy_history looks for
STRONG, WEAK = 0.9, 0.6  # reliability of an administration stated outright / only implied
UNPLACED_CONFIDENCE = 0.5


class Placement(str, Enum):
    RECEIVED = "received"
    PLANNED = "planned or requested"
    NEGATED = "negated"
    SCOPED_NEGATION = "negated for one disease only"
    HYPOTHETICAL = "hypothetical"
    OTHER_PERSON = "another person"
    REFERENCE = "reference text"
    COLLECTED_ONLY = "collected, never infused"
    UNKNOWN = "unknown to the sender"
    QUESTION = "form question"
    FORM_CHOICE = "a form's product choice"
    DISCUSSED = "discussed, not given"
    UNPLACED = "no context"


@dataclass(frozen=True)
class PlacedMention:
    mention: Mention
    placement: Placement
    strength: float  # how sure the placement is, before OCR confidence
    reasons: tuple[str, ...]


def place(packet: Packet, mention: Mention) -> PlacedMention:
    cues = packet.terminology.therapy_cues
    start, end = packet.unit_around(mention.start)
    unit = packet.text.text[start:end]
    requested = mention.normalized in packet.requested_products
    kind_unknown = mention.normalized == packet.terminology.unspecified_cell_therapy.label
    generic = kind_unknown or mention.normalized == packet.terminology.generic_car_t.label

    def placed(placement: Placement, strength: float, *reasons: str) -> PlacedMention:
        if placement is Placement.RECEIVED and kind_unknown:
            # "she received immune cells on a trial": given, but nothing says it was a CAR-T.
            return PlacedMention(mention, Placement.UNKNOWN, min(strength, 0.8),
                                 reasons + (KIND_UNSTATED,))
        return PlacedMention(mention, placement, strength, reasons)

    clause_start, clause = _clause(unit, mention.start - start)
    clause_before = clause[:mention.start - start - clause_start]
    if packet.is_reference(mention.start):
        return placed(Placement.REFERENCE, 1.0, "inside attached reference text")
    if packet.is_withdrawn(mention.start, mention.end):
        # 'The problem list carries "s/p CAR-T (brexu-cel) 2025". This entry is wrong: ...', and the
        # entry itself wherever it stands (copied into a note from another patient's).
        return placed(Placement.NEGATED, 0.8, "a record entry the packet withdraws (in error, retired, superseded)")
    line_start = packet.text.line_bounds(mention.start)[0]
    above_start = packet.text.line_bounds(max(0, line_start - 1))[0]
    if _OFFICE_BOX.search(packet.text.text, above_start, mention.start):
        # "FOR PLAN USE ONLY / Received ___ Criteria set: Aucatzyl MNG": the payer's own box.
        return placed(Placement.REFERENCE, 0.9, "in a box for the plan's or office's own use")
    if generic and therapy_subjects.written_to_patient(unit, _sentence(unit, mention.start - start)[1]):
        # "Going home after your CAR T-cell therapy": written to a patient, an education sheet.
        return placed(Placement.REFERENCE, 0.8, "written to the patient (education text)")
    if _NAIVE.search(packet.text.text[mention.start:mention.end]) or _NAIVE_AFTER.match(packet.text.text, mention.end):
        return placed(Placement.NEGATED, 0.9, "named as naive to it")
    if packet.text.page_at(mention.start) in packet.foreign_pages:
        return placed(Placement.OTHER_PERSON, 1.0, "on a page about another patient")
    sentence_before = _sentence(clause_before, len(clause_before))[1]
    unit_before = unit[:mention.start - start]
    if (_SPECULATED_AS.search(sentence_before) and not requested
            and not therapy_subjects.relative_is_subject(clause_before)):
        # "It could have been a stem-cell product, a donor cell infusion, an investigational CAR-T
        # product": one guess at what a past treatment was, whoever else the guesses name.
        return placed(Placement.UNKNOWN, 0.8, "one of the guesses at what a past treatment was")
    if therapy_subjects.someone_elses(packet.text.text, mention, clause_before, sentence_before,
                                      _sentence(unit_before, len(unit_before))[1], {line_start, start}):
        return placed(Placement.OTHER_PERSON, 0.9, "about a relative or another person")
    after = packet.text.text[mention.end:end]
    if _label_answered_no(after):
        return placed(Placement.NEGATED, 0.85, "its label is answered no")
    if generic and _ORGANIZATION.match(packet.text.text, mention.end):
        return placed(Placement.UNPLACED, UNPLACED_CONFIDENCE, "part of a department's name")
    if generic and _TOPIC.match(packet.text.text, mention.end):
        return placed(Placement.DISCUSSED, 0.8, "the subject of a teaching, consult or referral")
    if _unknown_receipt(packet, start + clause_start, clause, cues) and not requested:
        # "We cannot tell whether this was a CAR T-cell product": not knowing is no negation.
        return placed(Placement.UNKNOWN, 0.8, "the sender does not know")
    if _POLICY_SAYS.search(sentence_before):
        # "The guideline requires that 'the Member has not received prior treatment with a CAR-T
        # therapy'": the policy's criterion, quoted or paraphrased, says nothing of this patient.
        return placed(Placement.REFERENCE, 0.8, "the policy's own words")
    # A question mark is the mention's sentence's only: "... never been infused with any CAR T-cell
    # product. Marrow 06/22: second relapse, CD19 bright?" (a speck read as "?") asks nothing of it.
    mention_at, mention_sentence = _sentence(unit, mention.start - start)
    sentence_end = start + mention_at + len(mention_sentence)
    if mention.negated and "?" not in mention_sentence and not _INTERROGATIVE.match(unit):
        return _negated(packet, mention, start, end, cues, placed)
    if ("?" in packet.text.text[mention.end:sentence_end] or _INTERROGATIVE.match(unit)
            or form_answers.yes_no_answer(packet.text, mention.end) is not None
            or (form_answers.is_question(packet.text, mention.end)
                and packet.text.line_bounds(mention.end)[1] <= sentence_end + 1)
            or form_answers.trailing_mark(packet.text, start, end) is not None
            or (generic and (_QUESTION_SCOPE.match(after) or _EVER_ASKED.search(clause_before)))
            # "5c. Member has previously received a CAR-T product   Yes  No": a numbered form item
            # about any CAR-T, answered (or not) beside it, even where OCR lost the answer.
            or (generic and _FORM_ITEM.match(unit) and _PRIOR_LIST.search(unit)
                and not _YEAR_OR_DATE.search(unit))
            # "PRIOR CAR-T OR OTHER IMMUNE EFFECTOR CELL TX   YES  ((NO))": a checklist row's label,
            # nothing but the therapy after "prior", whose circled answer the fax may have lost.
            or (generic and _ROW_LABEL_BEFORE.match(packet.text.text, line_start, mention.start)
                and not re.search(r"\d|\b(received|given|infused|treated|had|s/p|status post|after)\b",
                                  packet.text.text[line_start:packet.text.line_bounds(mention.start)[1]],
                                  re.IGNORECASE))):
        if _PRIOR_LIST.search(unit):
            return placed(Placement.QUESTION, 1.0, "a form question about past therapy")
        return placed(Placement.PLANNED if requested else Placement.HYPOTHETICAL, 1.0,
                      "a form question about the request, not about past therapy")
    if len(_PRODUCTS_NAMED(packet, start, end)) >= 3:
        return placed(Placement.REFERENCE, 0.9, "one of a list of products (a menu, handout or policy)")
    choice = packet.text.checkbox_for(mention.start, mention.end)
    if choice is not None and choice.label and _PRIOR_LIST.search(unit) and form_answers.leading_columns(
            packet.text, mention.start, mention.end) is not None:
        # "[ ] [v]  Member has received a CAR-T product before": a checklist row under Yes / No heads.
        return placed(Placement.QUESTION, 1.0, "a form question about past therapy")
    if choice is not None and choice.label:
        above = packet.text.text[packet.text.line_bounds(max(0, choice.line_start - 200))[0]:choice.start]
        if choice.checkbox.checked and _PRIOR_LIST.search(above[-200:]) and not requested and (
                not generic or _CAR_WORDS.search(packet.text.text[mention.start:mention.end])):
            return placed(Placement.RECEIVED, 0.85, "ticked in the form's list of prior therapies")
        return placed(Placement.FORM_CHOICE, 1.0, "a choice in a form's product list")
    if _unknown_receipt(packet, start, unit, cues) and not requested:
        return placed(Placement.UNKNOWN, 0.8, "the sender does not know")
    if mention.negated:
        return _negated(packet, mention, start, end, cues, placed)
    # The collection's fate is often told a sentence or two around it (a memo's title, its last line).
    before_start = packet.unit_around(max(0, start - 2))[0]
    after_end = end
    for _ in range(5):
        after_end = packet.unit_around(min(len(packet.text.text) - 1, after_end + 1))[1]
    # Cue words are matched without the accents fax OCR sprinkles on them ("collectéd").
    following = plain_letters(packet.text.text[before_start:after_end + 1])
    # "Enrolled on a study of a CAR T-cell product. Leukapheresis on January 14, but the product
    # failed release; she never received an infusion": enrolment is no infusion. An infusion stated in
    # the mention's own clause ("leukapheresis 12/2023, KTE-X19 infused 02/06/2024") stands.
    infused_here = (words_pattern(cues.infused).search(clause)
                    and not words_pattern(cues.not_infused).search(clause))
    if (not infused_here and words_pattern(cues.collected).search(following)
            and words_pattern(cues.not_infused).search(following)):
        return placed(Placement.COLLECTED_ONLY, 0.85, "cells collected but never infused")
    if _quoted(unit, mention.start - start) and _PLANS_WORDS.search(
            packet.text.text, max(0, start - _PLANS_WORDS_REACH), mention.start):
        # An appeal quoting the plan's denial ('Reason for denial (quoted): "Records document that
        # the member underwent CAR-T ..."'): the plan's reading, which the letter answers.
        return placed(Placement.REFERENCE, 0.8, "the plan's own words, quoted")
    at = mention.start - start - clause_start
    # The administration cue is the mention's sentence's: a clause may run over a sentence whose full
    # stop the fax kept ("Confirms NO prior CAR-T. (Peds had talked about Kymriah - never done.)").
    sentence_at, sentence = _sentence(clause, at)
    administered = words_pattern(cues.administered).search(sentence)
    if _administration_denied(clause, at, mention.end - mention.start, cues):
        return placed(Placement.NEGATED, 0.85, "its administration is denied")
    if _STEP_BEFORE.search(clause_before) and not requested:
        # "Assess disease burden and CD19 expression prior to cellular therapy": a step before it,
        # the therapy still to come (not "prior CAR-T", a therapy in the past).
        return placed(Placement.HYPOTHETICAL, 0.7, "a step taken before the therapy")
    if _FIRST_OF_KIND.search(clause_before):
        return placed(Placement.NEGATED, 0.8, "the requested treatment would be the first of its kind")
    # "Cellular therapy" alone names a department as often as a treatment: a date beside it is no history.
    car_words = _CAR_WORDS.search(packet.text.text[mention.start:mention.end])
    dated = _dated_entry(packet, mention.start) and (not generic or (mention.section in HISTORY_SECTIONS
                                                                    and car_words is not None))
    if administered and _CONDITION_BEFORE.search(clause_before):
        # "If those records show that he received a CD19 CAR-T product, we would not proceed".
        return placed(Placement.HYPOTHETICAL, 0.8, "given only inside a condition")
    if mention.hypothetical and not (administered and not requested
                                     and _just_before(administered, sentence, at - sentence_at)):
        return placed(Placement.PLANNED if requested else Placement.HYPOTHETICAL, 0.8, "planned, requested or considered")
    if requested and not (mention.historical and administered and not _FUTURE.search(clause)
                          and not _NOW_REQUESTED.search(unit)):
        return placed(Placement.PLANNED, 0.8, "the product this packet requests")
    if administered and (mention.historical or dated or not generic):
        return placed(Placement.RECEIVED, STRONG, f"administration stated ({administered.group(0)})")
    if not generic and _history_row(packet, mention, cues) and not words_pattern(cues.discussed).search(clause):
        # A dated row with its response ("03/2016 CTL019 (protocol) CR, MRD neg") is an administration
        # as plainly as a sentence saying so.
        return placed(Placement.RECEIVED, STRONG, "a treatment-history row with a date and an outcome")
    # "allo-HCT to be revisited after CAR-T response": an outcome still to come implies nothing given.
    # The implying word is about the mention ("relapsed after CAR-T", "CAR-T failed"), not another
    # therapy further along its clause ("has already failed a bispecific ... the CAR design").
    implied = None if _FUTURE.search(clause) else next(
        (m for m in words_pattern(cues.implied).finditer(clause)
         if m.start() - _IMPLIED_REACH <= at <= m.end() + _IMPLIED_REACH), None)
    clause_after = clause[mention.end - start - clause_start:]
    if (implied and (mention.section == "assessment_and_plan" or _CONDITION_AFTER.match(clause_after))
            and not dated and _BARE_AFTER.match(implied.group(0))):
        # "- Allo-HCT consultation after CAR-T response assessment": a plan's next step, after the
        # therapy being requested.
        return placed(Placement.HYPOTHETICAL, 0.7, "a step planned after the therapy")
    if implied and not generic and mention.historical and _YEAR_OR_DATE.search(clause):
        # "relapsed after prior CD19 CAR-T on trial (KTE-X19, 2023)": a named product, dated.
        return placed(Placement.RECEIVED, STRONG, f"a dated named product it followed ({implied.group(0)})")
    if implied and (mention.historical or dated or not generic):
        return placed(Placement.RECEIVED, WEAK, f"administration implied ({implied.group(0)})")
    if dated or (not generic and mention.historical):
        if words_pattern(cues.discussed).search(clause):
            # "03/10/2026 CAR-T consult at Yale": a dated encounter about the therapy, not a dose of it.
            return placed(Placement.DISCUSSED, 0.8, "a dated consult, referral or teaching about it")
        return placed(Placement.RECEIVED, WEAK, "dated history entry" if dated else "past-tense cue")
    if words_pattern(cues.discussed).search(unit):
        return placed(Placement.DISCUSSED, 0.8, "discussed (its label, trade-offs or place among the options)")
    return placed(Placement.UNPLACED, UNPLACED_CONFIDENCE, "named without context")


# "never been treated with a CAR-T product or. enrolled on a cellular therapy trial": the second
# mention shares the first's denial ("or." ends no sentence: the dot is fax speckle).
_OR_JOINED = re.compile(r"[^;:]{0,30}?\b(or|nor)\b[^;:]{0,30}$", re.IGNORECASE)
_JOINABLE = (Placement.UNKNOWN, Placement.UNPLACED)
# "no CAR T-cell product, approved or investigational, has ever been infused": one denied subject,
# its kinds listed, then the verb they share.
_KINDS_JOINED = re.compile(r"\W{0,3}(approved|commercial|licensed|marketed|FDA-approved)?\W{0,3}(or|nor)\s*$",
                           re.IGNORECASE)


def coordinated_negation(packet: Packet, placed: list[PlacedMention]) -> list[PlacedMention]:
    text = packet.text.text
    result: list[PlacedMention] = []
    for item in placed:
        before = result[-1] if result else None
        same_unit = (before is not None and before.placement is Placement.NEGATED
                     and packet.unit_around(before.mention.start) == packet.unit_around(item.mention.start))
        if same_unit and ((item.placement in _JOINABLE and _OR_JOINED.match(text, before.mention.end, item.mention.start))
                          or (item.placement is Placement.RECEIVED
                              and _KINDS_JOINED.match(text, before.mention.end, item.mention.start))):
            item = PlacedMention(item.mention, Placement.NEGATED, before.strength,
                                 ("negated with the therapy it is coordinated with",))
        result.append(item)
    return result


def _label_answered_no(after: str) -> bool:
    """"Prior CAR-T: NONE documented", "CAR-T therapy:.. No": a labelled row answered no."""
    match = _LABEL_ANSWER.match(after)
    if match is None:
        return False
    word = match.group("answer").lower()
    distances = {choice: edit_distance(word, choice, 2) for choice in _ANSWER_WORDS}
    best = min(distances.values())
    nearest = [choice for choice, distance in distances.items() if distance == best]
    return best <= (0 if len(word) <= 3 else 2) and len(nearest) == 1 and nearest[0] in _NO_ANSWERS


def _negated(packet: Packet, mention: Mention, unit_start: int, unit_end: int, cues, placed) -> PlacedMention:
    after = packet.text.text[mention.end:unit_end]
    at, sentence = _sentence(packet.text.text[unit_start:unit_end], mention.start - unit_start)
    if _CONDITION_OPENS.match(sentence):
        # "If it was donor lymphocytes, he has never received CAR-T; if it was an engineered product,
        # ...": a denial inside a condition decides nothing.
        return placed(Placement.HYPOTHETICAL, 0.8, "denied only inside a condition")
    if words_pattern(cues.scoped_negation).match(re.sub(r"^\W*(cells?\s+)?(therapy|treatment|products?)?\s*", "", after)):
        # "never received CAR-T for her leukemia", "... CAR-T cells in the United States": not anywhere, ever.
        return placed(Placement.SCOPED_NEGATION, 0.8, "negated for one disease or place only")
    return placed(Placement.NEGATED, 0.9, "negated")


def _PRODUCTS_NAMED(packet: Packet, start: int, end: int) -> set[str]:
    generic = unnamed_labels(packet)
    return {m.normalized for m in packet.mentions_starting_in("CAR_T_PRODUCT", start, end)
            if m.normalized not in generic}


def unnamed_labels(packet: Packet) -> set[str]:
    """Labels of mentions that name no product ("CAR-T", "cellular therapy")."""
    return {packet.terminology.generic_car_t.label, packet.terminology.unspecified_cell_therapy.label}


# Said of what is still to happen ("whether she will tolerate it", after the doubt); "records
# pending" is about the past.
_WILL = re.compile(r"\b(will|would|to be|going to|plan(ned|s)? to)\b", re.IGNORECASE)
# What a "we do not know" must be about to leave prior therapy open: something given in the past.
_PAST = re.compile(r"\b(prior|previous(ly)?|outside|records?|history|hx|received|given|infused|infusions?|was|were|"
                   r"had|enrolled|trial|study)\b", re.IGNORECASE)


def _unknown_receipt(packet: Packet, offset: int, text: str, cues) -> bool:
    """'Unclear whether it was CAR-T', 'prior cell therapy unknown, records pending' - not 'timing
    unclear' or 'unclear whether she will tolerate it', which say nothing of the past, nor a form's
    'Unknown' offered beside Yes and No and left unmarked. `text` starts at `offset`; each cue is
    judged in its own sentence."""
    for cue in words_pattern(cues.unknown).finditer(text):
        at = offset + cue.start()
        box = packet.text.checkbox_for(at, offset + cue.end())
        if (box is not None and not box.checkbox.checked) or _EMPTY_BOX_BEFORE.search(text, 0, cue.start()):
            continue
        sentence_start, sentence = _sentence(text, cue.start())
        if _PAST.search(sentence) and not _WILL.search(sentence, cue.start() - sentence_start):
            return True
    return False


# "[ ] Unknown", "( ) Unknown", "[J Unknown" (a box OCR read as type) right before the word.
_EMPTY_BOX_BEFORE = re.compile(r"(\[\s*[\]J|]?|\(\s*\)|[☐□])\s*$")
# A speck the fax left after the period ("therapy. 7 / Because ...") does not join the sentences,
# nor does a space the fax lost after a doubled or word-ending period ("response..He has had").
# "... NO prior CAR-T. (Peds had talked about Kymriah ...)": a bracket may open the next sentence.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?:[^\sA-Za-z]{1,2}\s+|[(\[])?(?=[A-Z])|(?<=[a-z]\.\.)(?=[A-Z][a-z])")


def _sentence(text: str, at: int) -> tuple[int, str]:
    """(offset, text) of the sentence of `text` holding offset `at`."""
    start = 0
    for match in _SENTENCE_BREAK.finditer(text):
        if match.start() >= at:
            return start, text[start:match.start()]
        start = match.end()
    return start, text[start:]


_STEP_BEFORE = re.compile(r"\b(prior\s+to|ahead\s+of|in\s+preparation\s+for)\s+((the|any|her|his|their|planned)\s+)?$",
                          re.IGNORECASE)
_POLICY_SAYS = re.compile(r"\b(guideline|policy|criteria|criterion|limitations?(\s+section)?|medical\s+necessity\s+"
                          r"guideline)\W{0,3}\s+([rt]equires?|required|states?|stated|says|said|excludes?|reads?|"
                          r"specif(y|ies))\b", re.IGNORECASE)
_PLANS_WORDS = re.compile(r"\b(denial|denied|adverse determination|determination letter|reason for (the )?(denial|"
                          r"determination|pend)|your (letter|notice|reviewer)|the plan'?s (letter|notice|reviewer|reason)|"
                          r"reviewer (wrote|stated|noted))\b", re.IGNORECASE)
_PLANS_WORDS_REACH = 200  # characters before the quotation's statement unit


def _quoted(unit: str, at: int) -> bool:
    """The offset sits inside a quotation ("...", “...”) of its unit."""
    before = unit[:at]
    return (before.count('"') % 2 == 1) or before.rfind("\u201c") > before.rfind("\u201d")


_DENIAL_REACH = 60  # characters after the mention: "brexucabtagene autoleucel (Tecartus) ... NOT ADMINISTERED"


def _administration_denied(clause: str, at: int, length: int, cues) -> bool:
    """A negated administration cue right before the mention ("was never treated with CAR-T") or
    right after it ("CAR-T cell therapy: not previously received")."""
    administered = words_pattern(cues.administered)
    # "No prior CAR-T": a cue may hold the mention's first word ("prior CAR").
    before = [m for m in administered.finditer(clause[:at + length])
              if m.start() < at < m.end() or _just_before(m, clause, at)]
    if before and _NEGATOR_BEFORE.search(clause[:before[-1].start()][-40:]):
        return True
    tail = clause[at + length:at + length + _DENIAL_REACH]
    after = administered.search(tail)
    return after is not None and not re.search(r"[,;]", tail[:after.start()]) and bool(
        _NEGATOR.search(tail[:after.start()]))


def _just_before(cue: re.Match, clause: str, at: int) -> bool:
    """The administration cue is about this mention: right before it, with no comma between."""
    between = clause[cue.end():at]
    return cue.end() <= at and len(between) <= 25 and not re.search(r"[,;:]", between)


def _clause(unit: str, at: int) -> tuple[int, str]:
    """(offset, text) of the clause of `unit` holding offset `at`: clauses end at ; and at ' - '."""
    start = 0
    for match in re.finditer(r";|\s[-\u2013]\s", unit):
        if match.start() >= at:
            return start, unit[start:match.start()]
        start = match.end()
    return start, unit[start:]


_YEAR_OR_DATE = re.compile(r"\b(\d{1,2}/)?(\d{1,2}/)?(19|20)\d{2}\b|\b\d{1,2}/\d{2}\b")


def _history_row(packet: Packet, mention: Mention, cues) -> bool:
    """The product's own line carries a date (or year) and an outcome: a row of a treatment table."""
    line_start, line_end = packet.text.line_bounds(mention.start)
    line = packet.text.text[line_start:line_end]
    return bool(_YEAR_OR_DATE.search(line)) and bool(words_pattern(cues.outcome).search(line))


def _dated_entry(packet: Packet, offset: int) -> bool:
    line_start, line_end = packet.text.line_bounds(offset)
    dates = find_dates(packet.text.text[line_start:line_end])
    return bool(dates) and dates[0].start <= 2
