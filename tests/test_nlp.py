"""The spaCy pipeline: scispaCy tokenization, terminology rules, sections, ConText, abbreviations."""
from __future__ import annotations

import shutil

import pytest

from extraction.errors import ConfigurationError
from extraction.nlp import NlpConfig, PACKAGED_NER_MODEL, build_pipeline
from extraction.terminology import TERMINOLOGY_DIR, load_terminology
from extraction.text import PacketText
from page_builders import build_page


@pytest.fixture(scope="module")
def nlp(rules_nlp):
    return rules_nlp


def ents(doc):
    return {e.text: e for e in doc.ents}


def test_car_t_at_sentence_end_is_matched(nlp):
    doc = nlp("No prior CAR-T.\nRelapsed B-ALL.")
    found = ents(doc)
    assert found["CAR-T"]._.normalized == "car-t (unspecified)"
    assert found["B-ALL"]._.normalized == "B-cell precursor ALL"


def test_products_normalize_to_generic_names(nlp):
    doc = nlp("Options: Kymriah, CTL019, axi-cel, KTE-X19, JCAR017, bb2121, LCAR-B38M, Aucatzyl, AUTO1.")
    assert [e._.normalized for e in doc.ents] == [
        "tisagenlecleucel", "tisagenlecleucel", "axicabtagene ciloleucel", "brexucabtagene autoleucel",
        "lisocabtagene maraleucel", "idecabtagene vicleucel", "ciltacabtagene autoleucel",
        "obecabtagene autoleucel", "obecabtagene autoleucel"]


def test_t_all_is_not_b_all(nlp):
    found = ents(nlp("Early T-cell precursor ALL and T-lymphoblastic lymphoma; not B-ALL."))
    assert found["Early T-cell precursor ALL"]._.normalized == "T-cell ALL"
    assert found["T-lymphoblastic lymphoma"]._.normalized == "T-cell ALL"


def test_context_negation_history_plan_family(nlp):
    doc = nlp("Patient is CAR-T naive.\nStatus post tisagenlecleucel in 2022.\n"
              "Would consider obe-cel.\nHer brother received Kymriah.")
    found = ents(doc)
    categories = {text: {m.category for m in e._.modifiers} for text, e in found.items()}
    assert "NEGATED_EXISTENCE" in categories["CAR-T"]
    assert "HISTORICAL" in categories["tisagenlecleucel"]
    assert categories["obe-cel"] == {"HYPOTHETICAL"}
    assert "FAMILY" in categories["Kymriah"]


def test_abbreviation_defined_in_text_takes_long_form_label(nlp):
    doc = nlp("Precursor B-cell acute lymphoblastic leukemia (PBL) was diagnosed in 2023.\nPBL relapsed in 2025.")
    short = [e for e in doc.ents if e.text == "PBL"]
    assert len(short) == 2
    assert all(e._.normalized == "B-cell precursor ALL" for e in short)


def test_sections_are_found_at_line_starts_only(nlp):
    doc = nlp("Past Medical History\nHypertension.\nTreatment plan discussed.\nFamily History\nMother had AML.")
    assert [s.category for s in doc._.sections] == ["past_medical_history", "family_history"]


def test_packet_text_maps_offsets_to_page_and_box():
    pages = [build_page(["Patient Name: Jane Doe"]), build_page(["DOB: 03/14/1985"], number=2)]
    packet = PacketText.from_pages(pages)
    start = packet.text.index("03/14/1985")
    evidence = packet.evidence(start, start + 10)
    assert evidence.page == 2 and evidence.text == "03/14/1985"
    assert evidence.bbox.x0 == pytest.approx(72 + 5 * 6)


def test_checkbox_label_is_the_text_to_its_right():
    page = build_page(["Site of care: [[ ]] Inpatient [[x]] Outpatient"])
    packet = PacketText.from_pages([page])
    labels = [(c.label, c.checkbox.checked) for c in packet.checkbox_labels]
    assert labels == [("Inpatient", False), ("Outpatient", True)]
    start = packet.text.index("Outpatient")
    assert packet.checkbox_for(start, start + 3).checkbox.checked


def test_scispacy_model_by_name_or_path_is_the_base(tmp_path):
    if not PACKAGED_NER_MODEL.exists():
        pytest.skip("packaged NER model not trained yet")
    nlp = build_pipeline(NlpConfig(scispacy_model=str(PACKAGED_NER_MODEL), ner_model=None))
    assert "ner" in nlp.pipe_names and "medspacy_context" in nlp.pipe_names
    found = ents(nlp("Status post Kymriah in 2021."))
    assert found["Kymriah"]._.normalized == "tisagenlecleucel"


def test_missing_scispacy_model_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="en_core_sci_nonexistent"):
        build_pipeline(NlpConfig(scispacy_model="en_core_sci_nonexistent", ner_model=None))


def test_terminology_with_unknown_key_is_rejected(tmp_path):
    directory = tmp_path / "terms"
    shutil.copytree(TERMINOLOGY_DIR, directory, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    products = directory / "car_t_products.toml"
    products.write_text(products.read_text().replace('generic = "tisagenlecleucel"',
                                                     'generic = "tisagenlecleucel"\nbrand = "Kymriah"'))
    with pytest.raises(ConfigurationError, match="unknown keys"):
        load_terminology(directory)
    assert load_terminology(TERMINOLOGY_DIR).requested_product == "obecabtagene autoleucel"
