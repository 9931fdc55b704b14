"""A reviewed packet as a FHIR R4 Bundle (Da Vinci PAS / DTR shapes), built with the
`fhir.resources` models (its R4B package: the R4 technical correction, same resources), which
validate on construction. One module per resource group; docs/fhir.md has the mapping.

packet.py          the typed facts a bundle is built from (reviewed values, criteria, decisions)
common.py          the project's extension namespace, ids and references
patient.py         Patient and Coverage
questionnaire.py   QuestionnaireResponse: one item per policy criterion
claim_response.py  ClaimResponse (preauthorization) with the X12 306 review action code
documents.py       DocumentReference (the faxed packet) and Provenance (from the audit trail)
bundle.py          the Bundle
export.py          bundles to files (`intake export`)
"""
