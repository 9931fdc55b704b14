"""Strict loaders for the generator's data: shared vocabulary and per-split phrasings.

Train and eval phrasings are separate files so the eval split can never leak into training;
unknown or missing keys are rejected so a typo cannot silently drop a template.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SPLITS = ("train", "eval")


class DataFileError(ValueError):
    pass


def _strict(cls: type, data: dict[str, Any], where: str) -> Any:
    expected = {f.name for f in fields(cls)}
    unknown, missing = set(data) - expected, expected - set(data)
    if unknown or missing:
        raise DataFileError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    for f in fields(cls):
        value = data[f.name]
        if f.type == "list[str]" and not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            raise DataFileError(f"{where}.{f.name}: expected a non-empty list of strings")
        if f.type == "str" and not isinstance(value, str):
            raise DataFileError(f"{where}.{f.name}: expected a string")
    return cls(**data)


@dataclass(frozen=True)
class Names:
    patient_first: list[str]
    patient_last: list[str]
    physician_first: list[str]
    physician_last: list[str]
    facilities: list[str]
    cities: list[str]


@dataclass(frozen=True)
class FormLabels:
    layout: str
    cover_layout: str
    titles: list[str]
    patient_name: list[str]
    birth_date: list[str]
    member_id: list[str]
    drug: list[str]
    hcpcs: list[str]
    treatment_date: list[str]
    diagnosis: list[str]
    icd10: list[str]
    setting: list[str]
    inpatient: list[str]
    outpatient: list[str]
    expedited: list[str]
    prior_car_t: list[str]
    attest_heading: list[str]
    provider: list[str]
    signature: list[str]
    date: list[str]


@dataclass(frozen=True)
class CoverLabels:
    titles: list[str]
    sender: list[str]
    recipient: list[str]
    date: list[str]
    pages: list[str]
    subject: list[str]
    subjects: list[str]
    confidentiality: list[str]


@dataclass(frozen=True)
class Templates:
    note_titles: list[str]
    intro: list[str]
    relapse: list[str]
    no_prior: list[str]
    prior: list[str]
    prior_trial: list[str]
    plan: list[str]
    family: list[str]
    caregiver: list[str]
    outpatient_plan: list[str]
    inpatient_plan: list[str]
    assessment: list[str]
    pathology_titles: list[str]
    interpretation: list[str]
    donor: list[str]
    history_titles: list[str]
    history_row: list[str]
    label_titles: list[str]
    label_sentences: list[str]
    # Packets for a policy that reads the disease status state it in one note sentence per status
    # (or none: `status_unstated` says nothing of it) and close with a status-free assessment.
    status_refractory: list[str]
    status_first_relapse: list[str]
    status_later_relapse: list[str]
    status_unspecified: list[str]
    status_unstated: list[str]
    status_assessment: list[str]


@dataclass(frozen=True)
class Phrasings:
    split: str
    names: Names
    form: FormLabels
    cover: CoverLabels
    templates: Templates

    def sentences(self) -> set[str]:
        """Every sentence/label this split may print: the unit of train/eval disjointness."""
        out: set[str] = set()
        for section in (self.form, self.cover, self.templates):
            for f in fields(section):
                value = getattr(section, f.name)
                if isinstance(value, list):
                    out.update(value)
        return out


@dataclass(frozen=True)
class Product:
    generic: str  # e.g. "tisagenlecleucel"
    brand: str
    codes: list[str]
    short: str


@dataclass(frozen=True)
class Diagnosis:
    name: str  # normalized, as in the output contract
    terms: list[str]
    icd10: list[str]
    flow: str
    products: list[str]  # generic keys of products plausibly given earlier for this disease
    regimens: list[str]


@dataclass(frozen=True)
class Vocabulary:
    attest_outpatient: str
    attest_safety: str
    extra_hcpcs: list[str]
    products: dict[str, Product]
    diagnoses: dict[str, Diagnosis]


def _product(key: str, data: dict[str, Any]) -> Product:
    raw = _strict(_ProductData, data, f"products.{key}")
    return Product(generic=key.replace("_", " "), brand=raw.brand, codes=raw.codes, short=raw.short)


@dataclass(frozen=True)
class _ProductData:
    brand: str
    codes: list[str]
    short: str


@dataclass(frozen=True)
class _DiagnosisData:
    terms: list[str]
    icd10: list[str]
    flow: str
    products: list
    regimens: list[str]


@dataclass(frozen=True)
class _VocabularyData:
    attest_outpatient: str
    attest_safety: str
    extra_hcpcs: list[str]
    products: dict
    diagnoses: dict


@lru_cache(maxsize=None)
def load_vocabulary(path: Path = HERE / "vocabulary.toml") -> Vocabulary:
    raw = _strict(_VocabularyData, tomllib.loads(path.read_text()), path.name)
    products = {key.replace("_", " "): _product(key, data) for key, data in raw.products.items()}
    diagnoses = {}
    for name, data in raw.diagnoses.items():
        d = _strict(_DiagnosisData, data, f"diagnoses.{name}")
        unknown = [p for p in d.products if p.replace("_", " ") not in products]
        if unknown:
            raise DataFileError(f"diagnoses.{name}.products: unknown products {unknown}")
        diagnoses[name] = Diagnosis(name, d.terms, d.icd10, d.flow,
                                    [p.replace("_", " ") for p in d.products], d.regimens)
    return Vocabulary(raw.attest_outpatient, raw.attest_safety, raw.extra_hcpcs,
                      products, diagnoses)


@lru_cache(maxsize=None)
def load_phrasings(split: str) -> Phrasings:
    if split not in SPLITS:
        raise DataFileError(f"unknown split {split!r}; expected one of {SPLITS}")
    path = HERE / "phrasings" / f"{split}.toml"
    data = tomllib.loads(path.read_text())
    sections = {"names": Names, "form": FormLabels, "cover": CoverLabels, "templates": Templates}
    unknown, missing = set(data) - set(sections), set(sections) - set(data)
    if unknown or missing:
        raise DataFileError(f"{path.name}: unknown sections {sorted(unknown)}, missing {sorted(missing)}")
    parsed = {key: _strict(cls, data[key], f"{path.name}[{key}]") for key, cls in sections.items()}
    return Phrasings(split=split, **parsed)
