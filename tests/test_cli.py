"""`intake extract` and `intake evaluate` as a user runs them: the real console script on real
(faxed, broken, encrypted) files."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from fax_fixtures import faxed, form_pdf

INTAKE = Path(sys.executable).parent / "intake"
CRITERIA = ["diagnosis_b_all", "age_18_or_older", "no_prior_car_t",
            "outpatient_appropriate_attested", "outpatient_safety_attested"]


def intake(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(INTAKE), *map(str, args)], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("cli")
    paths = {
        "good": tmp / "packet-fax.pdf",
        "two_pages": tmp / "two-pages.pdf",
        "empty": tmp / "empty.pdf",
        "random": tmp / "random.bin",
        "truncated": tmp / "truncated.pdf",
        "encrypted": tmp / "encrypted.pdf",
    }
    paths["good"].write_bytes(faxed(tmp, "fax-one.pdf"))
    paths["two_pages"].write_bytes(form_pdf(pages=2))
    paths["empty"].write_bytes(b"")
    paths["random"].write_bytes(random.Random(7).randbytes(4096))
    digital = form_pdf()
    paths["truncated"].write_bytes(digital[: len(digital) // 2])
    plain = tmp / "plain.pdf"
    plain.write_bytes(digital)
    subprocess.run(["qpdf", "--encrypt", "user-secret", "owner-secret", "256", "--",
                    str(plain), str(paths["encrypted"])], check=True)
    return paths


@pytest.fixture(scope="module")
def mixed_run(files) -> subprocess.CompletedProcess:
    """One call, good file first and last, every kind of bad input in between."""
    return intake("extract", "--json", "--max-pages", "1",
                  files["good"], files["empty"], files["random"], files["truncated"],
                  files["encrypted"], files["two_pages"], files["good"])


def test_good_file_follows_the_output_contract(mixed_run, files):
    lines = mixed_run.stdout.splitlines()
    assert len(lines) == 2, mixed_run.stderr  # the good file, before and after the bad ones
    result = json.loads(lines[0])
    assert result["source"] == str(files["good"])
    assert result["pages"] == 1
    assert result["recommendation"] in {"meets_criteria", "does_not_meet_criteria",
                                        "needs_more_information"}
    assert result["policy"]["id"] == "aucatzyl-2025-07" and result["policy"]["version"]
    assert result["policy"]["chosen_by"]  # the packet's code, or the default when it names none
    for name, field in result["fields"].items():
        assert set(field) >= {"value", "confidence", "evidence"}, name
        assert 0.0 <= field["confidence"] <= 1.0
        for evidence in field["evidence"]:
            assert evidence["page"] == 1 and isinstance(evidence["text"], str)
            assert evidence["bbox"] is None or len(evidence["bbox"]) == 4
    assert [c["id"] for c in result["criteria"]] == CRITERIA
    for criterion in result["criteria"]:
        assert criterion["status"] in {"met", "not_met", "insufficient_evidence", "not_applicable"}
        assert 0.0 <= criterion["confidence"] <= 1.0
        assert criterion["explanation"] and criterion["guideline_text"]
    assert result["fields"]["birth_date"]["value"] == "1971-03-14"


@pytest.mark.parametrize("kind, code", [
    ("empty", "empty_document"),
    ("random", "unsupported_format"),
    ("truncated", "corrupt_document"),
    ("encrypted", "encrypted_document"),
    ("two_pages", "too_many_pages"),
])
def test_bad_input_gives_one_line_naming_the_file(mixed_run, files, kind, code):
    assert mixed_run.returncode == 1
    errors = [line for line in mixed_run.stderr.splitlines() if line.startswith("intake extract: ")]
    assert len(errors) == 5, mixed_run.stderr
    (line,) = [e for e in errors if f" {files[kind]}: " in e]
    assert line == f"intake extract: {files[kind]}: {code}: " + line.split(f": {code}: ", 1)[1]
    assert "Traceback" not in mixed_run.stderr


def test_summary_without_json(files):
    run = intake("extract", files["good"])
    assert run.returncode == 0, run.stderr
    first, *rest = run.stdout.splitlines()
    assert first.startswith(f"{files['good']}: 1 pages,") and "recommendation" in first
    assert [line.split(":")[0].strip() for line in rest[:5]] == CRITERIA


def test_missing_file_is_reported_not_raised(tmp_path):
    run = intake("extract", tmp_path / "nope.pdf")
    assert run.returncode == 1
    assert run.stderr.strip().startswith(f"intake extract: {tmp_path / 'nope.pdf'}: unreadable_file: ")


def test_evaluate_reports_figures_and_lists_failures(tmp_path, files):
    (tmp_path / "good.pdf").write_bytes(files["good"].read_bytes())
    (tmp_path / "broken.pdf").write_bytes(files["truncated"].read_bytes())
    truth_fields = {"birth_date": "1971-03-14", "diagnosis": "B-cell precursor ALL",
                    "patient_name": "Jane Testperson"}
    criteria = dict.fromkeys(CRITERIA, "insufficient_evidence") | {"diagnosis_b_all": "met"}
    rows = [{"file": name, "split": "eval", "media_type": "application/pdf", "fields": truth_fields,
             "criteria": criteria, "recommendation": "needs_more_information", "tags": []}
            for name in ("good.pdf", "broken.pdf")]
    rows.append(rows[0] | {"split": "calibration"})
    (tmp_path / "truth.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "figures.json"
    run = intake("evaluate", tmp_path, "--workers", "1", "--json", out)
    assert run.returncode == 0, run.stderr
    figures = json.loads(out.read_text())["full"]
    assert figures["packets"] == 2 and figures["pages"] == 1
    assert figures["failures"] == [{"file": "broken.pdf", "error": figures["failures"][0]["error"]}]
    assert figures["failures"][0]["error"].startswith("corrupt_document: ")
    assert figures["field_accuracy"]["birth_date"]["total"] == 2
    assert figures["field_accuracy"]["birth_date"]["hits"] <= 1  # the failed packet counts as wrong
    assert figures["recommendation_accuracy"]["total"] == 2
    assert set(figures["criterion_confusion"]) == set(CRITERIA)
    assert figures["prior_car_t_but_no_prior_car_t_met"] == []
    assert "failures: 1" in run.stdout and "broken.pdf: corrupt_document" in run.stdout


def test_a_model_named_by_the_user_is_loaded_as_the_base_pipeline(files):
    """The scispaCy-model path (`--scispacy-model en_core_sci_sm` where installed), exercised
    with the project's own packaged model, which loads the same way (spacy.load)."""
    model = Path(__file__).resolve().parent.parent / "models" / "ner"
    run = intake("extract", "--json", "--no-ner", "--scispacy-model", model, files["two_pages"])
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["fields"]["birth_date"]["value"] == "1971-03-14"
    missing = intake("extract", "--scispacy-model", "en_core_sci_not_installed", files["two_pages"])
    assert missing.returncode == 2 and "en_core_sci_not_installed" in missing.stderr


def test_policies_list_names_each_policy_with_its_codes_and_source():
    run = intake("policies", "list")
    assert run.returncode == 0, run.stderr
    header, *rows = run.stdout.splitlines()
    assert header.split("\t") == ["id", "version", "products", "codes", "source"]
    assert "aucatzyl-2025-07\t2025-07-01\tobecabtagene autoleucel\tQ2058, C9301\t" in rows[0]


def test_policies_list_refuses_a_broken_extra_folder_naming_the_file(tmp_path):
    (tmp_path / "bad.toml").write_text('[policy]\nid = "x"\nunexpected = 1\n', encoding="utf-8")
    run = intake("policies", "list", "--dir", tmp_path)
    assert run.returncode == 2
    assert "bad.toml" in run.stderr and "unknown key 'unexpected'" in run.stderr
