"""Patient and Coverage from the packet's reviewed fields (patient_name, birth_date, member_id).

Values are the reviewed ones; a field a reviewer changed carries a `field-correction` extension
with the value as read, so both are in the bundle. A field not found is left out.
"""
from __future__ import annotations

from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.patient import Patient

from intake.fhir.common import (CODE_SYSTEM, extension, iso_date, part, reference, resource_id,
                               unknown_reference)
from intake.fhir.packet import FhirPacket

MEMBER_ID_SYSTEM = f"{CODE_SYSTEM}/member-id"  # the plan's member id as read from the packet
PATIENT_FIELDS = ("patient_name", "birth_date")
COVERAGE_FIELDS = ("member_id",)


def patient(packet: FhirPacket) -> Patient:
    document_id = packet.document.id
    name, birth, member = packet.value("patient_name"), packet.value("birth_date"), packet.value("member_id")
    return Patient(
        id=resource_id(document_id, "Patient"),
        name=[HumanName(text=str(name))] if name else None,
        birthDate=iso_date(birth),
        identifier=[Identifier(system=MEMBER_ID_SYSTEM, value=str(member))] if member else None,
        extension=_corrections(packet, PATIENT_FIELDS) or None)


def coverage(packet: FhirPacket) -> Coverage:
    document_id = packet.document.id
    member = packet.value("member_id")
    return Coverage(
        id=resource_id(document_id, "Coverage"),
        status="active",  # the record's status; the packet states no cancellation
        subscriberId=str(member) if member else None,
        beneficiary=reference(document_id, "Patient"),
        payor=[unknown_reference()],  # the fax does not name the plan as a FHIR organization
        extension=_corrections(packet, COVERAGE_FIELDS) or None)


def _corrections(packet: FhirPacket, names: tuple[str, ...]) -> list[Extension]:
    out = []
    for name in names:
        found = packet.fields.get(name)
        if found is None or found.corrected_by is None:
            continue
        parts = [part("field", valueString=name), part("reviewer", valueString=found.corrected_by)]
        if found.extracted is not None:
            parts.append(part("extracted-value", valueString=str(found.extracted)))
        out.append(extension("field-correction", extension=parts))
    return out
