"""A payer policy as data: a TOML file under rules/policies/, read by a strict loader.

A new payer policy is a new TOML file, not new code: each criterion names one check from
rules/checks.py (`value_in`, `is_true`, `is_false`, `age_at_least`, `age_at_most`) and the extracted
fields it reads. Unknown keys, unknown checks and missing parameters are ConfigurationErrors
naming the file and the key, because a silently ignored typo in a policy changes decisions.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from extraction.errors import ConfigurationError
from rules.checks import Criterion, Strict

POLICIES_DIR = Path(__file__).resolve().parent / "policies"
DEFAULT_POLICY_PATH = POLICIES_DIR / "aucatzyl.toml"


_Strict = Strict


class PolicyInfo(_Strict):
    id: str
    version: str = Field(min_length=1)
    # The product(s) this policy governs, by INN generic name as extraction normalizes them.
    products: list[str] = Field(min_length=1)
    # The payer's document the criteria quote, relative to the policy file (kept in the repository).
    source: str = Field(min_length=1)
    name: str
    # What the criteria quote: a payer's guideline, or (said plainly to the reviewer) a product's
    # FDA-approved indication standing in for a guideline the project does not have.
    basis: Literal["payer guideline", "FDA-approved indication"] = "payer guideline"
    payer: str
    applies_to: list[str] = []
    effective: dt.date
    drug: str
    fda_indication: str = ""
    coverage_statement: str = ""
    setting_note: str = ""


class Limitation(_Strict):
    id: str
    text: str


class BillingCode(_Strict):
    """A code the policy lists; `replaces` are retired codes that stop being valid on `effective`."""
    system: str
    code: str
    description: str
    effective: dt.date | None = None
    replaces: list[str] = []
    revision_note: str = ""
    codes_field: str | None = None  # the extracted field holding requested codes
    service_date_fields: list[str] = []


class Policy(_Strict):
    policy: PolicyInfo
    criteria: list[Criterion] = Field(min_length=1)
    limitations: list[Limitation] = []
    codes: list[BillingCode] = []

    @model_validator(mode="after")
    def _references_resolve(self) -> "Policy":
        ids = [c.id for c in self.criteria]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate criterion ids {duplicates}")
        limitation_ids = {lim.id for lim in self.limitations}
        for criterion in self.criteria:
            if criterion.limitation and criterion.limitation not in limitation_ids:
                raise ValueError(
                    f"criterion {criterion.id!r} names unknown limitation {criterion.limitation!r}")
        return self

    @property
    def id(self) -> str:
        return self.policy.id


def load_policy(path: str | Path = DEFAULT_POLICY_PATH) -> Policy:
    path = Path(path)
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"policy file {path}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"policy file {path}: not valid TOML ({exc})") from exc
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as exc:
        raise ConfigurationError(f"policy file {path}: {_describe(exc)}") from exc
    if not (path.parent / policy.policy.source).is_file():
        raise ConfigurationError(f"policy file {path}: policy.source {policy.policy.source!r} is not a file "
                                 "next to it (the payer's document the criteria quote)")
    return policy


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown key {error['loc'][-1]!r} at {location}")
        else:
            problems.append(f"{location}: {error['msg']}")
    return "; ".join(problems)
