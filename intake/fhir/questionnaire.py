"""QuestionnaireResponse (DTR's record of documentation): one item per criterion of the applied
policy, linkId = the criterion id, text = the guideline's words. The answer is the criterion's
status (the reviewer's when they decided, else the system's); extensions carry the system status,
the reviewer's decision and reason, the confidence and each evidence snippet (page, text, box)."""
from __future__ import annotations

from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.questionnaireresponse import (QuestionnaireResponse, QuestionnaireResponseItem,
                                                       QuestionnaireResponseItemAnswer)

from extraction.models import Evidence
from intake.fhir.common import CODE_SYSTEM, NAMESPACE, extension, part, reference, resource_id
from intake.fhir.packet import FhirPacket, ReviewedCriterion

CRITERION_STATUS_SYSTEM = f"{CODE_SYSTEM}/criterion-status"  # met, not_met, insufficient_evidence


def questionnaire_response(packet: FhirPacket) -> QuestionnaireResponse:
    policy = packet.assessment.policy if packet.assessment else None
    authored = packet.decided_at or packet.document.finished_at
    return QuestionnaireResponse(
        id=resource_id(packet.document.id, "QuestionnaireResponse"),
        # completed: a reviewer recorded the determination; before that the answers may change.
        status="completed" if packet.determination else "in-progress",
        questionnaire=_questionnaire(policy.id, policy.version) if policy else None,
        subject=reference(packet.document.id, "Patient"),
        authored=authored.isoformat() if authored else None,
        item=[_item(criterion) for criterion in packet.criteria] or None)


def _questionnaire(policy_id: str, version: str) -> str:
    """The policy as a canonical URL, `|version` when the stored result names one."""
    return f"{NAMESPACE}/Questionnaire/{policy_id}" + (f"|{version}" if version else "")


def _item(criterion: ReviewedCriterion) -> QuestionnaireResponseItem:
    extensions = [extension("criterion-system-status", valueCode=criterion.system_status),
                  extension("criterion-confidence", valueDecimal=round(criterion.confidence, 4))]
    if criterion.decision is not None:
        extensions.append(extension("criterion-reviewer-decision", valueCode=criterion.decision))
    if criterion.reason:
        extensions.append(extension("criterion-reviewer-reason", valueString=criterion.reason))
    extensions += [_evidence(found) for found in criterion.evidence]
    answer = QuestionnaireResponseItemAnswer(
        valueCoding=Coding(system=CRITERION_STATUS_SYSTEM, code=criterion.status))
    return QuestionnaireResponseItem(linkId=criterion.id, text=criterion.guideline_text or None,
                                     answer=[answer], extension=extensions)


def _evidence(found: Evidence) -> Extension:
    parts = [part("page", valueInteger=found.page), part("snippet", valueString=found.text)]
    if found.bbox is not None:  # x0,y0,x1,y1 in PDF points on the upright page
        parts.append(part("box", valueString=",".join(f"{v:g}" for v in found.bbox.as_list())))
    return extension("criterion-evidence", extension=parts)
