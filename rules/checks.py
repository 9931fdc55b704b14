"""The kinds of check a policy's criterion can name: each is one class holding its parameters (read
by the strict loader, the TOML key `check` names the class) and its own test against the extracted
fields. A new kind of check is one class here, listed in CHECKS; rules/policy.py and
rules/evaluator.py need no change.

A check answers with an Outcome: a status, an explanation naming the values for the reviewer (part
of the result, never logged) and the fields the status rests on.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Mapping, Union

from pydantic import BaseModel, ConfigDict, Field

from extraction.models import CriterionStatus, FieldValue

Fields = Mapping[str, FieldValue]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class Outcome:
    status: CriterionStatus
    explanation: str
    used: list[FieldValue]  # fields the status rests on (confidence, evidence)


class AppliesWhen(Strict):
    """The criterion is applicable only when `field` equals `equals` (e.g. setting == outpatient)."""
    field: str
    equals: str | bool


class CriterionBase(Strict):
    id: str
    guideline_text: str = Field(min_length=1)
    applies_when: AppliesWhen | None = None
    limitation: str | None = None  # id of the limitation this criterion enforces
    # "met" needs at least this (calibrated) confidence; below it a reviewer decides
    # (insufficient_evidence). For criteria where a wrong "met" lets an unsafe request through.
    met_min_confidence: float | None = Field(default=None, ge=0.0, le=1.0)

    @property
    def fields(self) -> list[str]:
        """Names of the extracted fields the check reads."""
        raise NotImplementedError

    def outcome(self, fields: Fields) -> Outcome:
        raise NotImplementedError


class _SingleField(CriterionBase):
    field: str

    @property
    def fields(self) -> list[str]:
        return [self.field]


class ValueInCriterion(_SingleField):
    """The field's value is one of `values`. `undetermined_values` leave the question open (an ALL
    whose lineage no page states): insufficient evidence, not unmet."""
    check: Literal["value_in"]
    values: list[str] = Field(min_length=1)
    undetermined_values: list[str] = Field(default_factory=list)

    def outcome(self, fields: Fields) -> Outcome:
        found = present(fields, self.field)
        if found is None:
            return Outcome("insufficient_evidence", f"{self.field} not found in the packet", [])
        value = found.value
        if isinstance(value, str) and fold(value) in {fold(v) for v in self.undetermined_values}:
            return Outcome("insufficient_evidence",
                           f"{self.field} {value!r} does not settle whether it is one of {self.values}", [found])
        ok = isinstance(value, str) and fold(value) in {fold(v) for v in self.values}
        return Outcome("met" if ok else "not_met",
                       f"{self.field} {value!r} {'is' if ok else 'is not'} one of {self.values}", [found])


class _YesNoCriterion(_SingleField):
    def outcome(self, fields: Fields) -> Outcome:
        found = present(fields, self.field)
        if found is None:
            return Outcome("insufficient_evidence", f"{self.field} not found in the packet", [])
        if not isinstance(found.value, bool):
            return Outcome("insufficient_evidence", f"{self.field} is {found.value!r}, not yes/no", [found])
        wanted = self.wanted()
        return Outcome("met" if found.value is wanted else "not_met",
                       f"{self.field} is {'yes' if found.value else 'no'}; {'yes' if wanted else 'no'} required",
                       [found])

    def wanted(self) -> bool:
        raise NotImplementedError


class IsTrueCriterion(_YesNoCriterion):
    check: Literal["is_true"]

    def wanted(self) -> bool:
        return True


class IsFalseCriterion(_YesNoCriterion):
    check: Literal["is_false"]

    def wanted(self) -> bool:
        return False


class _AgeCriterion(CriterionBase):
    """Age in completed years of `birth_field` on the first present date of `on_fields`."""
    years: int = Field(ge=0)
    birth_field: str
    on_fields: list[str] = Field(min_length=1)

    @property
    def fields(self) -> list[str]:
        return [self.birth_field, *self.on_fields]

    def passes(self, age: int) -> bool:
        raise NotImplementedError

    def requirement(self) -> str:
        raise NotImplementedError

    def outcome(self, fields: Fields) -> Outcome:
        birth_field = present(fields, self.birth_field)
        birth = as_date(birth_field.value) if birth_field else None
        if birth is None:
            return Outcome("insufficient_evidence", f"{self.birth_field} not found as a date in the packet", [])
        on_name, on = first_date(fields, self.on_fields)
        if on is None:
            return Outcome("insufficient_evidence",
                           f"none of {self.on_fields} found as a date in the packet", [birth_field])
        age = age_on(birth, on)
        ok = self.passes(age)
        unread = [name for name in self.on_fields[:self.on_fields.index(on_name)] if unreadable(fields, name)]
        if unread and not ok:
            # The preferred date is in the packet but unreadable: the fallback date may show the
            # age requirement met, never that it is not.
            return Outcome("insufficient_evidence",
                           f"age {age} on {on_name} {on.isoformat()}, but {unread[0]} is in the packet and "
                           f"could not be read", [birth_field, fields[on_name], fields[unread[0]]])
        return Outcome("met" if ok else "not_met",
                       f"age {age} on {on_name} {on.isoformat()}; {self.requirement()} required",
                       [birth_field, fields[on_name]])


class AgeAtLeastCriterion(_AgeCriterion):
    check: Literal["age_at_least"]

    def passes(self, age: int) -> bool:
        return age >= self.years

    def requirement(self) -> str:
        return f"at least {self.years}"


class AgeAtMostCriterion(_AgeCriterion):
    """"Up to 25 years of age": 25 in completed years still qualifies, 26 does not."""
    check: Literal["age_at_most"]

    def passes(self, age: int) -> bool:
        return age <= self.years

    def requirement(self) -> str:
        return f"at most {self.years}"


CHECKS = (ValueInCriterion, IsTrueCriterion, IsFalseCriterion, AgeAtLeastCriterion, AgeAtMostCriterion)
Criterion = Annotated[Union[CHECKS], Field(discriminator="check")]  # type: ignore[valid-type]


# ---- shared readings of field values

def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years on `on`: the birthday itself counts. A 29 February birthday falls on
    1 March in common years (the conservative reading: the year is completed when 28 Feb ends)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def first_date(fields: Fields, names: list[str]) -> tuple[str, dt.date | None]:
    for name in names:
        found = present(fields, name)
        if found is not None and (date := as_date(found.value)) is not None:
            return name, date
    return "", None


def unreadable(fields: Fields, name: str) -> bool:
    """The packet shows the field (there is evidence) but its value could not be read."""
    found = fields.get(name)
    return found is not None and found.value is None and bool(found.evidence)


def present(fields: Fields, name: str) -> FieldValue | None:
    found = fields.get(name)
    if found is None or found.value is None or found.value == "" or found.value == []:
        return None
    return found


def fold(value: Any) -> Any:
    return " ".join(value.split()).casefold() if isinstance(value, str) else value
