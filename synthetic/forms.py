"""Fax cover sheet and prior-authorization request form pages."""
from __future__ import annotations

import random

from synthetic.case import Case
from synthetic.layout import PAGE_WIDTH, Composer, PageDraft, Segment
from synthetic.people import format_date, signed_name
from synthetic.phrasings import Phrasings, Vocabulary

PLAN_NAME = "CarePartners of Connecticut"
PLAN_FAX = "617-673-0956"


def _date(case: Case, value, key: str = "date_style") -> Segment:
    return (format_date(value, case.style[key]), "OTHER_DATE")


def cover_page(rng: random.Random, case: Case, ph: Phrasings, total_pages: int) -> PageDraft:
    c = Composer("fax_cover", case.style["font"], case.style["size"] + 1)
    labels = ph.cover
    title = rng.choice(labels.titles)
    if ph.form.cover_layout == "banner":
        c.text([(title, None)], bold=True, size=28)
        c.gap(10)
        c.rule()
    else:
        c.text([(case.provider.facility, None)], bold=True, size=14)
        c.text([(f"{case.provider.city}  Tel {case.provider.phone}", None)])
        c.gap(8)
        c.text([(title, None)], bold=True, size=20, x=PAGE_WIDTH / 2 - 60)
        c.rule()
    if case.cover_stamp:
        c.text([(f"*** {case.cover_stamp} ***", None)], bold=True, size=18)
    rows: list[tuple[str, list[Segment]]] = [
        (rng.choice(labels.recipient), [(f"{PLAN_NAME} Utilization Management", None)]),
        ("Fax:", [(PLAN_FAX, None)]),
        (rng.choice(labels.sender), signed_name(case.provider) + [(f", {case.provider.facility}", None)]),
        ("Fax:" if ph.form.cover_layout == "banner" else "Return fax:", [(case.provider.fax, None)]),
        (rng.choice(labels.date), [_date(case, case.request_date)]),
        (rng.choice(labels.pages), [(str(total_pages), None)]),
        (rng.choice(labels.subject), [(rng.choice(labels.subjects).format(**case.requested.subject_values()), None)]),
    ]
    for label, value in rows:
        c.gap(4)
        c.text([(label, None)], bold=True, advance=False)
        c.text(value, x=c.margin + 150)
    c.gap(30)
    c.text([(rng.choice(labels.confidentiality), None)], size=max(8, case.style["size"] - 1))
    return c.pages[0]


def _short(value: list[Segment]) -> bool:
    return sum(len(text) for text, _ in value) <= 24


def _mark(case: Case, checked: bool) -> str | None:
    return case.style["mark"] if checked else None


def request_form(rng: random.Random, case: Case, ph: Phrasings, vocab: Vocabulary) -> list[PageDraft]:
    f = ph.form
    c = Composer("pa_form", case.style["font"], case.style["size"], margin=48)
    c.text([(PLAN_NAME, None)], size=9)
    c.text([(rng.choice(f.titles), None)], bold=True, size=15)
    c.text([(f"Fax completed form to {PLAN_FAX}", None)], size=9)
    c.rule()
    c.checkbox(_mark(case, case.expedited), [(rng.choice(f.expedited), None)])
    c.gap(4)
    name = case.patient.written(case.style["name_style"])
    treatment = _date(case, case.treatment_date) if case.treatment_date else ("TBD - pending authorization", None)
    # The T-ALL trap: the form often says only "ALL" (same C91.0x code); lineage is in the notes.
    term = "acute lymphoblastic leukemia" if case.style.get("form_dx_lineage_free") else case.diagnosis_term
    diagnosis = [(term, "DIAGNOSIS")]
    pairs: list[tuple[str, list[Segment]]] = [
        (rng.choice(f.patient_name), [(name, "PATIENT_NAME")]),
        (rng.choice(f.birth_date), [(format_date(case.patient.birth_date, case.style["dob_style"]), "BIRTH_DATE")]),
        (rng.choice(f.member_id), [(case.member_id, "MEMBER_ID")]),
        (rng.choice(f.provider), signed_name(case.provider)),
        ("NPI:", [(case.provider.npi, None)]),
        ("Phone / Fax:", [(f"{case.provider.phone} / {case.provider.fax}", None)]),
        (rng.choice(f.drug), [(rng.choice(case.requested.form_names()), None)]),
        (rng.choice(f.hcpcs), [(", ".join(case.hcpcs), None)]),
        (rng.choice(f.treatment_date), [treatment]),
        (rng.choice(f.diagnosis), diagnosis),
        (rng.choice(f.icd10), [(", ".join(case.icd10), None)]),
    ]
    if f.layout == "single":
        for label, value in pairs:
            end = c.text([(label, None)], bold=True, advance=False)
            # Values line up in a column, pushed right of a label too long for it (never over it).
            c.text(value, x=max(c.margin + 170, end + 6))
            c.gap(3)
    else:
        half = (PAGE_WIDTH - 2 * c.margin) / 2
        queue = list(pairs)
        while queue:
            row = [queue.pop(0)]
            if queue and _short(row[0][1]) and _short(queue[0][1]):
                row.append(queue.pop(0))
            for j, (label, value) in enumerate(row):
                x = c.margin + j * half
                end = c.text([(label, None)], bold=True, x=x, advance=False)
                c.text(value, x=end + 5, advance=j == len(row) - 1)
            c.gap(4)
    c.gap(6)
    c.text([(rng.choice(f.setting), None)], bold=True)
    end = c.checkbox(_mark(case, case.setting == "inpatient"), [(f.inpatient[0], None)], advance=False)
    c.checkbox(_mark(case, case.setting == "outpatient"), [(f.outpatient[0], None)], x=end + 24)
    c.gap(6)
    c.text([(rng.choice(f.prior_car_t), None)], bold=True)
    end = c.checkbox(_mark(case, case.form_prior_answer == "yes"), [("Yes", None)], advance=False)
    c.checkbox(_mark(case, case.form_prior_answer == "no"), [("No", None)], x=end + 24)
    if case.attestation_present:
        c.gap(8)
        c.rule()
        c.text([(rng.choice(f.attest_heading), None)], bold=True)
        for checked, statement in zip(case.attest_checked, (vocab.attest_outpatient, vocab.attest_safety)):
            c.gap(3)
            c.checkbox(_mark(case, checked), [(statement + ".", None)])
    c.gap(14)
    end = c.text([(rng.choice(f.signature), None)], bold=True, advance=False)
    c.text([("/s/ ", None)] + signed_name(case.provider), x=end + 8, advance=False)
    c.text([(rng.choice(f.date), None), (" ", None), _date(case, case.request_date)], x=PAGE_WIDTH - 200)
    return c.pages
