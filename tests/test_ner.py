"""NER training is reproducible, and the packaged model plugs into the pipeline."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from extraction.ner_training import train_ner
from extraction.nlp import PACKAGED_NER_MODEL, NlpConfig, build_pipeline
from page_builders import build_page

TINY_CORPUS = [
    ("Patient: Maria Lopez DOB: 04/02/1979", [(9, 20, "PATIENT_NAME"), (26, 36, "BIRTH_DATE")]),
    ("Referring physician: Dr. Omar Haddad", [(25, 36, "OTHER_PERSON")]),
    ("Member ID: ZX99812345 Diagnosis: B-ALL", [(11, 21, "MEMBER_ID"), (33, 38, "DIAGNOSIS")]),
    ("Received tisagenlecleucel on 05/06/2022", [(9, 25, "CAR_T_PRODUCT"), (29, 39, "OTHER_DATE")]),
]


def test_training_is_reproducible_from_the_seed(tmp_path):
    first = train_ner(tmp_path / "a", TINY_CORPUS, seed=7, iterations=3)
    train_ner(tmp_path / "b", TINY_CORPUS, seed=7, iterations=3)
    assert first.examples == 4 and first.dropped_spans == 0
    assert (tmp_path / "a" / "ner" / "model").read_bytes() == (tmp_path / "b" / "ner" / "model").read_bytes()


@pytest.mark.skipif(not PACKAGED_NER_MODEL.exists(), reason="packaged NER model not trained")
def test_packaged_model_is_small_and_runs_in_the_pipeline():
    size = sum(p.stat().st_size for p in PACKAGED_NER_MODEL.rglob("*") if p.is_file())
    assert size < 10_000_000
    nlp = build_pipeline(NlpConfig())
    assert "trained_ner" in nlp.pipe_names
    fields = extract_fields([build_page(["Patient Name: Jane Doe  DOB: 03/14/1985",
                                         "Relapsed after tisagenlecleucel in 2022."])], nlp)
    assert fields["patient_name"].value == "Jane Doe"
    assert fields["prior_car_t"].value is True


@pytest.mark.slow
@pytest.mark.skipif(not PACKAGED_NER_MODEL.exists(), reason="packaged NER model not trained")
def test_packaged_model_is_what_train_ner_builds_from_the_current_corpus(tmp_path):
    """`intake train-ner` with its defaults rebuilds the committed model, so a corpus, label or
    tokenizer change that is not followed by a retrain fails here. Labels and vocabulary must match
    byte for byte. The weights are compared by what they find: the same seed gives the same bytes
    on one kind of CPU (test above), but BLAS kernels differ between CPU kinds (seen: AVX-512 Intel
    vs AMD EPYC), and 12 epochs amplify the last-bit differences."""
    import spacy

    from intake.cli import main
    from synthetic.corpus import annotated_texts

    assert main(["train-ner", "--out", str(tmp_path / "ner")]) == 0
    for part in ("ner/moves", "vocab/strings.json"):
        assert (tmp_path / "ner" / part).read_bytes() == (PACKAGED_NER_MODEL / part).read_bytes(), part
    rebuilt, packaged = spacy.load(tmp_path / "ner"), spacy.load(PACKAGED_NER_MODEL)
    found = {"rebuilt": 0, "packaged": 0, "both": 0}
    for text, _ in annotated_texts(split="eval", count=100, seed=7):
        mine = {(e.start_char, e.end_char, e.label_) for e in rebuilt(text).ents}
        theirs = {(e.start_char, e.end_char, e.label_) for e in packaged(text).ents}
        found["rebuilt"] += len(mine)
        found["packaged"] += len(theirs)
        found["both"] += len(mine & theirs)
    agreement = 2 * found["both"] / (found["rebuilt"] + found["packaged"])
    assert agreement >= _SAME_MODEL_AGREEMENT, agreement


# Entity-level F between two builds of one model on different CPU kinds: 0.878 measured (100 eval
# passages, this machine's rebuild against the committed weights). A stale corpus shows above first.
_SAME_MODEL_AGREEMENT = 0.8
