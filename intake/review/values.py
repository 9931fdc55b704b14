"""Typed reviewer input for field corrections: what kind a field is, and parsing a typed value.

A field's kind comes from its name (``*_date`` fields are dates) or else from the type of the
value the assessor produced; the form control and the validation both follow from it.
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Literal

FieldKind = Literal["date", "boolean", "list", "number", "text"]

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BOOLEAN_WORDS = {"true": True, "yes": True, "false": False, "no": False}
MAX_VALUE_LENGTH = 2000


class InvalidValue(ValueError):
    """The reviewer's input does not fit the field's kind; the message says how to fix it."""


def field_kind(name: str, extracted: Any) -> FieldKind:
    if name.endswith("_date") or name == "date_of_birth":
        return "date"
    if isinstance(extracted, bool):
        return "boolean"
    if isinstance(extracted, list):
        return "list"
    if isinstance(extracted, (int, float)):
        return "number"
    return "text"


def parse_value(kind: FieldKind, raw: str) -> Any:
    """The typed value for the reviewer's text; an empty input means 'not in the packet'."""
    text = raw.strip()
    if len(text) > MAX_VALUE_LENGTH:
        raise InvalidValue(f"value longer than {MAX_VALUE_LENGTH} characters")
    if not text:
        return None
    if kind == "date":
        try:
            if not ISO_DATE.fullmatch(text):
                raise ValueError(text)
            return date.fromisoformat(text).isoformat()
        except ValueError as exc:
            raise InvalidValue("enter a real date as YYYY-MM-DD") from exc
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
