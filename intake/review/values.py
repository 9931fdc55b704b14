"""Typed reviewer input for field corrections: what kind a field is, and parsing a typed value.

A field's kind comes from its definition (FIELD_KINDS, one entry per extracted field), never from
the value the assessor produced: a yes/no field the system did not find (value None) is still
yes/no, and "yes" typed into it is stored as true. The form control and the validation both
follow from the kind. Dates are accepted as people type them in the US (MM/DD/YYYY, M/D/YYYY)
or as ISO, and stored ISO.
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Literal

FieldKind = Literal["date", "boolean", "list", "number", "text"]

# The extraction contract's fields (extraction.fields.FIELD_NAMES) and what kind of value each holds.
FIELD_KINDS: dict[str, FieldKind] = {
    "patient_name": "text", "member_id": "text", "birth_date": "date", "treatment_date": "date",
    "request_date": "date", "diagnosis": "text", "diagnosis_icd10": "list", "prior_car_t": "boolean",
    "prior_car_t_products": "list", "setting": "text", "outpatient_appropriate_attested": "boolean",
    "safety_monitoring_attested": "boolean", "hcpcs_codes": "list", "expedited": "boolean",
    "disease_status": "text",
}
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
DATE_HINT = "MM/DD/YYYY or YYYY-MM-DD"
BOOLEAN_WORDS = {"true": True, "yes": True, "false": False, "no": False}
MAX_VALUE_LENGTH = 2000


class InvalidValue(ValueError):
    """The reviewer's input does not fit the field's kind; the message says how to fix it."""


def field_kind(name: str) -> FieldKind:
    """A field outside the contract (none today) is free text."""
    return FIELD_KINDS.get(name, "text")


def parse_date(text: str) -> str:
    """ISO text of a real date typed as YYYY-MM-DD, MM/DD/YYYY or M/D/YYYY."""
    iso, us = ISO_DATE.fullmatch(text), US_DATE.fullmatch(text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3])).isoformat()
        if us:
            return date(int(us[3]), int(us[1]), int(us[2])).isoformat()
    except ValueError as exc:
        raise InvalidValue(f"no such date (check month and day); enter it as {DATE_HINT}") from exc
    raise InvalidValue(f"enter a date as {DATE_HINT}")


def parse_value(kind: FieldKind, raw: str) -> Any:
    """The typed value for the reviewer's text; an empty input means 'not in the packet'."""
    text = raw.strip()
    if len(text) > MAX_VALUE_LENGTH:
        raise InvalidValue(f"value longer than {MAX_VALUE_LENGTH} characters")
    if not text:
        return None
    if kind == "date":
        return parse_date(text)
    if kind == "boolean":
        if text.lower() not in BOOLEAN_WORDS:
            raise InvalidValue("choose yes or no")
        return BOOLEAN_WORDS[text.lower()]
    if kind == "list":
        return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]
    if kind == "number":
        try:
            number = float(text)
        except ValueError as exc:
            raise InvalidValue("enter a number") from exc
        return int(number) if number.is_integer() else number
    return text


def display_value(value: Any) -> str:
    """How a value reads in the UI and in the audit trail (always plain text)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "(none)"
    return str(value)


def input_text(kind: FieldKind, value: Any) -> str:
    """The value pre-filled in the correction input, in the form parse_value reads back."""
    if value is None:
        return ""
    if kind == "boolean":
        return "yes" if value else "no"
    if kind == "list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
