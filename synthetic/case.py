"""One synthetic request: who, what, and which hard cases it carries, with its ground truth.

Hard cases are assigned round-robin (plus random extras) so each appears several times even in
a small set: `choose_features` for the original set (no --policy), synthetic/policy_plan.py for a
policy's own set. The truth fields are decided here, before any page is written.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from synthetic import people
from synthetic.people import Person, Provider
from synthetic.phrasings import Diagnosis, Phrasings, Vocabulary
from synthetic.policy_profile import STATUS_TAGS, UNSPECIFIED_LINEAGE, PolicyProfile, RequestedProduct

# Ordered so that every pairing choose_features makes, (j, 5j + 2 mod 8), is compatible.
DISQUALIFYING = ("birthday_edge_not_met", "t_all", "prior_trial", "prior_history",
                 "minor", "other_diagnosis", "unchecked_box", "form_note_disagreement")
# NEUTRAL[j] is compatible with the disqualifying pair of slot 2j, so each gets its turn.
NEUTRAL = ("plan_hypothetical", "birthday_edge_met", "family_other_person", "other_person_dob",
           "label_page", "treatment_date_missing", "negation", "attestation_absent")
HARD_CASES = DISQUALIFYING + NEUTRAL
EXCLUSIVE = [{"negation", "prior_history", "prior_trial"},
             {"birthday_edge_met", "birthday_edge_not_met", "minor", "over_age_limit", "treatment_date_missing"},
             {"t_all", "other_diagnosis", "lineage_unspecified"}, {"unchecked_box", "attestation_absent"},
             {"prior_trial", "form_note_disagreement"}, {"negation", "form_note_disagreement"},
             set(STATUS_TAGS.values())]
# A patient who received CAR-T relapsed after it (the note says so): not a first relapse, not silent
# on relapse; and a CD19 CAR-T was given for a leukemia whose lineage was known.
EXCLUSIVE += [{prior, other} for prior in ("prior_history", "prior_trial", "form_note_disagreement")
              for other in (STATUS_TAGS["first relapse"], STATUS_TAGS[None], "lineage_unspecified")]
ABBREVIATIONS = {"B-ALL", "pre-B ALL", "Ph+ B-ALL", "Ph-like B-ALL", "BCP-ALL", "T-ALL", "AML", "CLL", "DLBCL", "MCL", "MM"}


@dataclass
class Mention:
    """A CAR-T product as written: the generic name it stands for and which naming form was used."""
    generic: str
    text: str
    form: str  # generic, brand, generic_brand, code, short


def compatible(chosen: set[str], candidate: str) -> bool:
    """No group of mutually exclusive hard cases holds both the candidate and one already chosen."""
    return all(not (group & chosen and candidate in group) for group in EXCLUSIVE)


@dataclass(frozen=True)
class DiseaseCourse:
    """What the notes say of the leukemia's course, for a policy that reads the disease status: the
    status they state (extraction/fields_disease.py's values), or None when no page states one."""
    status: str | None


@dataclass
class Case:
    split: str
    index: int
    patient: Person
    member_id: str
    provider: Provider
    request_date: dt.date
    treatment_date: dt.date | None
    diagnosis: Diagnosis
    diagnosis_term: str
    icd10: list[str]
    setting: str
    prior: Mention | None  # product the patient received; None with prior_kind "trial" or "none"
    prior_kind: str  # none, product, trial
    prior_year: int
    plan: Mention | None
    family: tuple[str, Person, Mention, str] | None  # relation, relative, product, their diagnosis
    other_dob: tuple[str, str, Person] | None  # kind (donor/caregiver), relation, person
    attestation_present: bool
    attest_checked: tuple[bool, bool]
    expedited: bool
    cover_stamp: str | None
    hcpcs: list[str]
    form_prior_answer: str  # yes / no
    label_products: list[Mention]
    features: set[str]
    requested: RequestedProduct
    style: dict[str, Any] = field(default_factory=dict)
    disease_course: DiseaseCourse | None = None  # None: the policy does not read it (notes as ever)

    def truth_fields(self) -> dict[str, Any]:
        outpatient = self.setting == "outpatient" and self.attestation_present
        status = {"disease_status": self.disease_course.status} if self.disease_course else {}
        return status | {
            "patient_name": self.patient.name,
            "member_id": self.member_id,
            "birth_date": self.patient.birth_date.isoformat(),
            "treatment_date": self.treatment_date.isoformat() if self.treatment_date else None,
            "diagnosis": self.diagnosis.name,
            "diagnosis_icd10": list(self.icd10),
            "prior_car_t": self.prior_kind != "none",
            "prior_car_t_products": [self.prior.generic] if self.prior else [],
            "setting": self.setting,
            "outpatient_appropriate_attested": self.attest_checked[0] if outpatient else None,
            "safety_monitoring_attested": self.attest_checked[1] if outpatient else None,
            "hcpcs_codes": list(self.hcpcs),
            "expedited": self.expedited,
            "request_date": self.request_date.isoformat(),
        }

    def tags(self) -> list[str]:
        tags = set(self.features)
        if self.diagnosis_term in ABBREVIATIONS or "-ALL" in self.diagnosis_term or " ALL" in self.diagnosis_term:
            tags.add("diagnosis_abbreviation")
        mentions = [m for m in (self.prior, self.plan) if m] + ([self.family[2]] if self.family else [])
        for mention in mentions + self.label_products:
            tags.add(f"car_t_name_{mention.form}")
        if self.setting == "inpatient":
            tags.add("inpatient")
        if self.expedited:
            tags.add("expedited")
        if len(self.hcpcs) > 1:
            tags.add("extra_hcpcs_code")
        if self.style["dob_style"] == "mdy_short":
            tags.add("two_digit_year")
        return sorted(tags)


def product_mention(rng: random.Random, vocab: Vocabulary, generic: str) -> Mention:
    p = vocab.products[generic]
    form = rng.choice(["generic", "brand", "generic_brand", "code", "short"])
    text = {"generic": p.generic, "brand": p.brand, "generic_brand": f"{p.generic} ({p.brand})",
            "code": rng.choice(p.codes), "short": p.short}[form]
    return Mention(generic, text, form)


def choose_features(rng: random.Random, index: int, offset: int) -> set[str]:
    """The original set's hard cases (the default policy, Aucatzyl, without --policy): half the packets
    carry one or two disqualifying hard cases, all carry neutral ones, round-robin, so every hard case
    lands in several packets of a small set and clean approvals still exist."""
    slot = index + offset
    chosen: set[str] = set()
    if slot % 2 == 0:
        j = slot // 2
        chosen.add(DISQUALIFYING[j % 8])
        partner = DISQUALIFYING[(5 * j + 2) % 8]  # varies, so no two hard cases always travel together
        if compatible(chosen, partner):
            chosen.add(partner)
    wanted = 2 if slot % 3 == 0 else 1
    for k in range(len(NEUTRAL)):
        extra = NEUTRAL[(slot // 2 + k * 4 + k // 2) % len(NEUTRAL)]
        if len(chosen - set(DISQUALIFYING)) < wanted and compatible(chosen, extra):
            chosen.add(extra)
    if "form_note_disagreement" in chosen:
        chosen.add("prior_history")
    return chosen


def draw_case(rng: random.Random, split: str, index: int, features: set[str], profile: PolicyProfile,
              phrasings: Phrasings, vocab: Vocabulary) -> Case:
    """A request for `profile`'s product carrying `features` (hard cases), drawn from `rng`."""
    features = set(features)
    if not {"prior_history", "prior_trial"} & features and rng.random() < 0.4:
        features.add("negation")  # many real notes state "no prior CAR-T" unprompted
    request_date = dt.date(2025, 7, 1) + dt.timedelta(days=rng.randint(0, 500))
    treatment_date = request_date + dt.timedelta(days=rng.randint(10, 45))
    birth = profile.ages.birth_date(rng, features, treatment_date)
    if birth.month == 2 and birth.day == 29:
        birth = birth.replace(day=28)
    if "treatment_date_missing" in features:
        treatment_date = None
    patient = people.person(rng, phrasings, birth)
    if "t_all" in features:
        diagnosis = vocab.diagnoses["T-cell ALL"]
    elif "other_diagnosis" in features:
        diagnosis = vocab.diagnoses[rng.choice([n for n in vocab.diagnoses if "ALL" not in n])]
    elif "lineage_unspecified" in features:
        diagnosis = vocab.diagnoses[UNSPECIFIED_LINEAGE]
    else:
        diagnosis = vocab.diagnoses["B-cell precursor ALL"]
    icd10 = [rng.choice(diagnosis.icd10)]
    setting = "outpatient" if {"unchecked_box", "attestation_absent"} & features or rng.random() < 0.55 else "inpatient"
    prior_kind = "product" if "prior_history" in features else ("trial" if "prior_trial" in features else "none")
    prior = None
    if prior_kind == "product":
        # Never the requested product itself: a second infusion of one product is another story.
        usual = [p for p in diagnosis.products if p != profile.product.generic]
        candidates = usual or [p for p in ("tisagenlecleucel", "axicabtagene ciloleucel") if p != profile.product.generic]
        prior = product_mention(rng, vocab, rng.choice(candidates))
    plan = product_mention(rng, vocab, profile.product.generic) if "plan_hypothetical" in features else None
    family = None
    if "family_other_person" in features:
        relative = people.person(rng, phrasings, people.adult_birth_date(rng, request_date, 30, 75),
                                 last=patient.last if rng.random() < 0.6 else None)
        other_dx = rng.choice(["DLBCL", "diffuse large B-cell lymphoma", "multiple myeloma", "mantle cell lymphoma"])
        family = (rng.choice(people.RELATIONS), relative,
                  product_mention(rng, vocab, rng.choice(["axicabtagene ciloleucel", "lisocabtagene maraleucel",
                                                          "idecabtagene vicleucel", "ciltacabtagene autoleucel"])),
                  other_dx)
    other_dob = None
    if "other_person_dob" in features:
        kind = rng.choice(["donor", "caregiver"])
        other = people.person(rng, phrasings, people.adult_birth_date(rng, request_date, 20, 70),
                              last=patient.last if kind == "donor" else None)
        other_dob = (kind, rng.choice(["brother", "sister"] if kind == "donor" else people.RELATIONS), other)
    attestation_present = "attestation_absent" not in features
    attest_checked = (True, True)
    if "unchecked_box" in features:
        attest_checked = rng.choice([(False, True), (True, False), (False, False)])
    elif setting == "inpatient":
        attest_checked = (False, False)
    expedited = rng.random() < 0.3
    hcpcs = [profile.product.hcpcs] + ([rng.choice(profile.extra_hcpcs)] if rng.random() < 0.25 else [])
    label_products = [product_mention(rng, vocab, g) for g in rng.sample(sorted(vocab.products), 2)] \
        if "label_page" in features else []
    style = {
        "font": rng.choice(["Helvetica", "Times-Roman", "Courier"]),
        "size": rng.choice([9, 9.5, 10, 10.5, 11, 12]),
        "dob_style": people.date_style(rng, birth),
        "date_style": rng.choice(people.DATE_STYLES),
        "name_style": rng.choice(["first_last", "last_first", "last_first_caps"]),
        "mark": rng.choice(["x", "fill", "check"]),
        "form_dx_lineage_free": diagnosis.name == "T-cell ALL" and rng.random() < 0.5,
    }
    return Case(
        split=split, index=index, patient=patient, member_id=people.member_id(rng),
        provider=people.provider(rng, phrasings), request_date=request_date, treatment_date=treatment_date,
        diagnosis=diagnosis, diagnosis_term=rng.choice(diagnosis.terms), icd10=icd10, setting=setting,
        prior=prior, prior_kind=prior_kind, prior_year=rng.randint(2019, request_date.year - 1),
        plan=plan, family=family, other_dob=other_dob, attestation_present=attestation_present,
        attest_checked=attest_checked, expedited=expedited,
        cover_stamp=rng.choice(["URGENT", "EXPEDITED", None]) if expedited else None, hcpcs=hcpcs,
        form_prior_answer="no" if prior_kind == "none" or "form_note_disagreement" in features else "yes",
        label_products=label_products, features=features, requested=profile.product, style=style,
        disease_course=DiseaseCourse(stated_status(features)) if profile.disease_status else None,
    )


def stated_status(features: set[str]) -> str | None:
    """The disease status a packet's hard cases say its notes state (None: none stated)."""
    return next((status for status, tag in STATUS_TAGS.items() if tag in features), None)
