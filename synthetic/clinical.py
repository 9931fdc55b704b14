"""Clinical pages of a packet: consult/progress note, pathology/flow report, treatment history,
and an attached label/policy excerpt whose product names are not the patient's therapy (it ends with
the requested product's indication, which is not the patient's disease status either)."""
from __future__ import annotations

import datetime as dt
import random

from extraction.fields_disease import FIRST_RELAPSE, LATER_RELAPSE, REFRACTORY, UNSPECIFIED
from synthetic.case import Case
from synthetic.layout import Composer, PageDraft, Segment, fill
from synthetic.people import age_on, format_date, signed_name
from synthetic.phrasings import Phrasings, Templates

GENERIC_CART = ("CAR-T", "CAR T-cell therapy", "CAR-T cell therapy")
TRIAL_PRODUCTS = ("investigational CD19 CAR-T", "CD19 CAR-T", "CD19-directed CAR T-cell product")
RESPONSES = ("CR, MRD positive", "partial response", "refractory", "CR1, relapsed after 14 months", "no response", "CR2")
# Treatment-history responses of a packet whose notes state a disease status: none states a further one.
STATUS_RESPONSES = {
    REFRACTORY: ("no response", "refractory", "persistent disease"),
    FIRST_RELAPSE: ("CR, MRD negative", "CR, MRD positive", "CR1, relapsed after 14 months"),
    LATER_RELAPSE: ("CR1, relapsed after 14 months", "CR2", "CR, MRD positive"),
    UNSPECIFIED: ("CR, MRD positive", "partial response"),
    None: ("CR, MRD positive", "partial response"),
}


def _status_sentences(t: Templates, status: str | None) -> list[str]:
    return {REFRACTORY: t.status_refractory, FIRST_RELAPSE: t.status_first_relapse,
            LATER_RELAPSE: t.status_later_relapse, UNSPECIFIED: t.status_unspecified,
            None: t.status_unstated}[status]


def _values(rng: random.Random, case: Case) -> dict[str, Segment]:
    dx_date = case.request_date - dt.timedelta(days=rng.randint(300, 2500))
    values: dict[str, Segment] = {
        "patient": (case.patient.written(rng.choice(["first_last", "last_first"])), "PATIENT_NAME"),
        "age": (str(age_on(case.patient.birth_date, case.request_date)), None),
        "diagnosis": (case.diagnosis_term, "DIAGNOSIS"),
        "dx_date": (format_date(dx_date, rng.choice(["long", "mon_abbr", "mdy_slash"])), "OTHER_DATE"),
        "year": (str(case.prior_year), "OTHER_DATE"),
        "cart": (rng.choice(GENERIC_CART), "CAR_T_PRODUCT"),
    }
    if case.prior:
        values["product"] = (case.prior.text, "CAR_T_PRODUCT")
    elif case.prior_kind == "trial":
        values["product"] = (rng.choice(TRIAL_PRODUCTS), "CAR_T_PRODUCT")
    return values


def _header(c: Composer, rng: random.Random, case: Case, title: str) -> None:
    c.text([(case.provider.facility, None)], bold=True, size=c.size + 3)
    c.text([(title, None)], bold=True, size=c.size + 1)
    name = case.patient.written(case.style["name_style"])
    dob = format_date(case.patient.birth_date, case.style["dob_style"])
    c.text([("Patient: ", None), (name, "PATIENT_NAME"), ("    DOB: ", None), (dob, "BIRTH_DATE"),
            ("    Member ID: ", None), (case.member_id, "MEMBER_ID")])
    visit = case.request_date - dt.timedelta(days=rng.randint(1, 20))
    c.text([("Date of service: ", None), (format_date(visit, case.style["date_style"]), "OTHER_DATE")])
    c.rule()


def note_pages(rng: random.Random, case: Case, ph: Phrasings) -> list[PageDraft]:
    t = ph.templates
    c = Composer("clinical_note", case.style["font"], case.style["size"])
    _header(c, rng, case, rng.choice(t.note_titles))
    v = _values(rng, case)
    course = case.disease_course
    relapse = t.relapse if course is None else _status_sentences(t, course.status)
    hpi: list[Segment] = fill(rng.choice(t.intro), v) + [(" ", None)] + fill(rng.choice(relapse), v)
    regimens = rng.sample(case.diagnosis.regimens, min(3, len(case.diagnosis.regimens)))
    hpi += [(" Prior regimens: " + ", ".join(regimens) + ".", None)]
    if case.prior_kind == "product":
        hpi += [(" ", None)] + fill(rng.choice(t.prior), v)
    elif case.prior_kind == "trial":
        hpi += [(" ", None)] + fill(rng.choice(t.prior_trial), v)
    elif "negation" in case.features:
        hpi += [(" ", None)] + fill(rng.choice(t.no_prior), v)
    c.text([("History of present illness", None)], bold=True)
    c.text(hpi)
    if case.family:
        relation, relative, mention, other_dx = case.family
        fv = dict(v, relation=(relation, None), relative=(relative.name, "OTHER_PERSON"),
                  product=(mention.text, "CAR_T_PRODUCT"), other_diagnosis=(other_dx, "DIAGNOSIS"))
        c.gap(4)
        c.text(fill(rng.choice(t.family), fv))
    if case.other_dob and case.other_dob[0] == "caregiver":
        _, relation, person = case.other_dob
        cv = dict(relation=(relation, None), caregiver=(person.name, "OTHER_PERSON"),
                  caregiver_dob=(format_date(person.birth_date, rng.choice(["mdy_slash", "long", "dmy_mon"])), "OTHER_DATE"))
        c.gap(4)
        c.text([("Social: ", None)] + fill(rng.choice(t.caregiver), cv))
    c.gap(6)
    c.text(fill(rng.choice(t.assessment if course is None else t.status_assessment), v), bold=True)
    plan: list[Segment] = []
    if case.plan:
        plan += fill(rng.choice(t.plan), dict(v, product=(case.plan.text, "CAR_T_PRODUCT"))) + [(" ", None)]
    plan += [(rng.choice(t.outpatient_plan if case.setting == "outpatient" else t.inpatient_plan), None)]
    c.text([("Plan: ", None)] + plan)
    c.gap(16)
    c.text([("Electronically signed by ", None)] + signed_name(case.provider))
    return c.pages


def pathology_pages(rng: random.Random, case: Case, ph: Phrasings) -> list[PageDraft]:
    t = ph.templates
    c = Composer("pathology", rng.choice(["Courier", "Helvetica"]), rng.choice([9, 9.5, 10]))
    _header(c, rng, case, rng.choice(t.pathology_titles))
    c.text([("Specimen: bone marrow aspirate and core biopsy, left posterior iliac crest", None)])
    c.text([("Immunophenotype: " + case.diagnosis.flow, None)])
    c.text([("Cytogenetics: see separate report. Blast percentage by morphology: " + str(rng.randint(12, 85)) + "%", None)])
    c.gap(6)
    term = rng.choice(case.diagnosis.terms)
    c.text(fill(rng.choice(t.interpretation), {"diagnosis": (term, "DIAGNOSIS")}), bold=True)
    if case.other_dob and case.other_dob[0] == "donor":
        _, relation, donor = case.other_dob
        c.gap(6)
        c.text(fill(rng.choice(t.donor), {
            "donor": (donor.name, "OTHER_PERSON"),
            "donor_dob": (format_date(donor.birth_date, rng.choice(["mdy_slash", "mdy_short", "iso", "long"])), "OTHER_DATE")}))
    c.gap(12)
    pathologist = f"{rng.choice(ph.names.physician_first)} {rng.choice(ph.names.physician_last)}"
    c.text([("Pathologist: ", None), (pathologist, "OTHER_PERSON"), (", MD", None)])
    return c.pages


def history_pages(rng: random.Random, case: Case, ph: Phrasings) -> list[PageDraft]:
    t = ph.templates
    c = Composer("treatment_history", case.style["font"], case.style["size"])
    _header(c, rng, case, rng.choice(t.history_titles))
    start = case.request_date - dt.timedelta(days=rng.randint(900, 1800))
    rows: list[tuple[dt.date, Segment]] = []
    for regimen in rng.sample(case.diagnosis.regimens, min(3, len(case.diagnosis.regimens))):
        rows.append((start, (regimen, None)))
        start += dt.timedelta(days=rng.randint(90, 300))
    if case.prior or case.prior_kind == "trial":
        product = case.prior.text if case.prior else rng.choice(TRIAL_PRODUCTS)
        when = dt.date(case.prior_year, rng.randint(1, 12), rng.randint(1, 28))
        rows.append((when, (product, "CAR_T_PRODUCT")))
    style = rng.choice(["mdy_slash", "mon_abbr", "iso"])
    responses = RESPONSES if case.disease_course is None else STATUS_RESPONSES[case.disease_course.status]
    for when, regimen in sorted(rows, key=lambda r: r[0]):
        c.text(fill(rng.choice(t.history_row), {
            "start": (format_date(when, style), "OTHER_DATE"), "regimen": regimen,
            "response": (rng.choice(responses), None)}))
        c.gap(3)
    return c.pages


def label_pages(rng: random.Random, case: Case, ph: Phrasings) -> list[PageDraft]:
    t = ph.templates
    c = Composer("attachment", "Times-Roman", rng.choice([9, 10]))
    c.text([(rng.choice(t.label_titles), None)], bold=True, size=13)
    c.rule()
    for mention in case.label_products:
        for template in rng.sample(t.label_sentences, 2):
            c.text(fill(template, {"product": (mention.text, "CAR_T_PRODUCT")}))
            c.gap(4)
    if case.requested.indication:
        c.text([(case.requested.indication, None)])
    return c.pages
