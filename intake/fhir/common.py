"""The project's FHIR namespace and the small builders every resource module shares.

Resource ids are derived from the document id (uuid5), so the same packet always gives the same
ids and a re-export replaces rather than duplicates; references inside the bundle use the
entries' `urn:uuid:` full URLs. A required element whose value the packet does not state carries
the standard data-absent-reason extension instead of an invented value.
"""
from __future__ import annotations

import uuid
from datetime import date

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.reference import Reference

NAMESPACE = "https://fhir.car-t-intake.example/fhir"  # the project's own: extensions, code systems
EXTENSION = f"{NAMESPACE}/StructureDefinition"
CODE_SYSTEM = f"{NAMESPACE}/CodeSystem"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
_IDS = uuid.UUID("6f0c6c2e-55b4-4c57-9d0e-0b7d3c9a1f21")  # uuid5 namespace of resource ids


def resource_id(document_id: str, kind: str) -> str:
    return str(uuid.uuid5(_IDS, f"{document_id}/{kind}"))


def full_url(resource_id_: str) -> str:
    return f"urn:uuid:{resource_id_}"


def reference(document_id: str, kind: str) -> Reference:
    return Reference(reference=full_url(resource_id(document_id, kind)))


def unknown_reference() -> Reference:
    """A required reference the packet does not state (e.g. the payer): absent, said so."""
    return Reference(extension=[Extension(url=DATA_ABSENT_REASON, valueCode="unknown")])


def extension(name: str, **value: object) -> Extension:
    """An extension of the project's namespace, e.g. extension("confidence", valueDecimal=0.9)."""
    return Extension(url=f"{EXTENSION}/{name}", **value)


def concept(system: str, code: str, display: str | None = None) -> CodeableConcept:
    return CodeableConcept(coding=[Coding(system=system, code=code, display=display)])


def part(name: str, **value: object) -> Extension:
    """A sub-extension of a complex extension (its url is the bare name, as FHIR has it)."""
    return Extension(url=name, **value)


def iso_date(value: object) -> date | None:
    """A field's date, or None when it is missing or not a date (then it is left out)."""
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
