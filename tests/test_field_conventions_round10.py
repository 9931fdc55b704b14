"""Tenth round (test-10, read after its first run), each a class seen on an office's packets: dates
written day first ("14/09/1971", "09/04/2026" in a British consultant's letter) and a lone date that
only reads day first left alone (a handwritten 11 the fax read as 22), a family-history table row
opening with the relative, a requirement naming a lineage ("Candidacy ... requires a B-cell
precursor ALL"), a signature "... Date" label and a signature years older than the packet, a
second row of boxes after junk the fax left on the first row's wrapped line, "c91.00" in a problem
list, a section heading above a bare "Name:" label, honorifics and surnames in capitals, a name
read with and without its middle initial, and a date label read as "Dates". Built pages; no OCR."""
from __future__ import annotations

from extraction.dates import find_dates
from extraction.fields import extract_fields
from page_builders import build_packet

_HISTORY = "Treatment history: hyper-CVAD 2024, blinatumomab 2025, inotuzumab 2026."


def test_a_text_writing_dates_day_first_is_read_day_first():
    letter = "Date: 09/04/2026\nDOB 14/09/1971. Marrow 26/05/2026 showed relapse."
    assert [d.value.isoformat() for d in find_dates(letter)] == ["2026-04-09", "1971-09-14", "2026-05-26"]
    us_form = "Date: 09/04/2026\nDOB 09/14/1971, seen 10/19/2026 and 26/05/2026"
    assert [d.value.isoformat() for d in find_dates(us_form)][:3] == ["2026-09-04", "1971-09-14", "2026-10-19"]
    # One date that only reads day first is more likely a misread digit: it stays unread.
    assert [d.value.isoformat() for d in find_dates("DOB 22/07/1983, seen 11/07/2026")] == ["2026-11-07"]


def test_a_family_history_table_row_opening_with_the_relative_is_the_relatives(nlp):
    pages = build_packet(["PROBLEM LIST", _HISTORY, "Cell therapy: none (no transplant, no CAR-T)",
                          "FAMILY - HISTORY",
                          "Sister   diffuse large B-cell lymphoma 2021; treated with axicabtagene ciloleucel",
                          "Brother  hypertension"])
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t_products"].value == []


def test_a_requirement_naming_a_lineage_is_not_the_patients_lineage(nlp):
    pages = build_packet(["PROGRESS NOTE",
                          "ASSESSMENT: Relapsed acute lymphoblastic leukemia, lineage not yet documented in our records.",
                          "Candidacy for obecabtagene autoleucel requires a B-cell precursor ALL with CD19 expression."])
    assert extract_fields(pages, nlp)["diagnosis"].value == "ALL, lineage unspecified"


def test_the_forms_signature_date_beats_an_old_records_signature(nlp):
    pages = build_packet(["MEDICATION PRIOR AUTHORIZATION REQUEST", "Prescriber signature TMHalvorsen Date 06/22/2026",
                          "Anticipated start: TBD"],
                         ["DISCHARGE SUMMARY (outside record)", "Tisagenlecleucel infused on protocol in 2019.",
                          "Dictated by K. Ostrowski MD 09/03/2019"])
    assert extract_fields(pages, nlp)["request_date"].value == "2026-06-22"


def test_a_second_row_of_boxes_is_its_own_item_after_junk_on_the_first(nlp):
    pages = build_packet(["MEDICATION PRIOR AUTHORIZATION REQUEST", "Setting: [[x]] Outpatient hospital",
                          "Plan-required attestations for cellular therapy given outpatient",
                          f"{'':62}Yes   No",
                          f"{'Prescriber has assessed the member and determined outpatient':62}[[x]]  [[ ]]",
                          "administration is clinically appropriate : un, - to,",
                          f"{'Member meets and understands the safety and monitoring':62}[[ ]]  [[ ]]",
                          "requirements after infusion"])
    fields = extract_fields(pages, nlp)
    assert fields["outpatient_appropriate_attested"].value is True
    assert fields["safety_monitoring_attested"].value is None


def test_a_lower_case_c_in_a_problem_list_code(nlp):
    pages = build_packet(["PROBLEM LIST", "B-cell ALL, Ph negative, CD19+, primary refractory c91.00 04/2026",
                          "Hyperlipidemia E78.5"])
    assert extract_fields(pages, nlp)["diagnosis_icd10"].value == ["C91.00"]


def test_a_heading_above_a_bare_name_label_and_a_capitalised_surname(nlp):
    pages = build_packet(["PRE-SERVICE REQUEST: CELLULAR & GENE THERAPIES", "Part 1- Member",
                          "Name: Amara N. Castellanos", "Date of birth: 05/26/1979"])
    assert extract_fields(pages, nlp)["patient_name"].value == "Amara N. Castellanos"
    letter = build_packet(["Re: Mrs Rosalind E. OKAFOR, DOB 09/14/1971", "Dear colleague,"])
    assert extract_fields(letter, nlp)["patient_name"].value == "Rosalind E. Okafor"


def test_a_name_read_with_and_without_its_middle_initial_keeps_the_initial(nlp):
    pages = build_packet(["Patient: Reginald Thistlewood  DOB 03/02/1961"], ["Patient: Reginald Thistlewood"],
                         ["Patient: Reginald O. Thistlewood  MRN 22-1"])
    assert extract_fields(pages, nlp)["patient_name"].value == "Reginald O. Thistlewood"


def test_a_date_label_the_fax_read_as_dates(nlp):
    pages = build_packet(["FAX COVER", "\u201cDates 10/14/2026", "To: CarePartners UM"],
                         ["PROGRESS NOTE", "Infusion day 0 03/05/2024 on study in London (records awaited)."])
    assert extract_fields(pages, nlp)["request_date"].value == "2026-10-14"


def test_a_qualified_date_after_another_field_is_not_the_request_date(nlp):
    pages = build_packet(["PRIOR AUTHORIZATION REQUEST", "Request Date: 07/22/2026",
                          "HCPCS: Q2058   Scheduled Treatment Date: 2026-08-25"])
    fields = extract_fields(pages, nlp)
    assert fields["request_date"].value == "2026-07-22"
    assert fields["treatment_date"].value == "2026-08-25"


def test_the_d_of_dob_is_no_middle_initial(nlp):
    pages = build_packet(["Patient: LINDQVIST, ZELDA D.O.B. 01/02/1990"], ["Patient: Zelda Lindqvist"])
    assert extract_fields(pages, nlp)["patient_name"].value == "Zelda Lindqvist"
