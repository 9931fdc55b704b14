"""The blind-authored corpus tooling: packet sources render to faxed files with their truth,
errors name the file and line, `intake evaluate` takes source folders as corpus parts, and
`intake assertions` scores the ConText rules on the repository's copy of the NegEx set."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from intake.cli import main
from synthetic.source_packets import SourceError, parse_source, render_folder, render_folder_cached

DATA = Path(__file__).resolve().parent / "data" / "packets"
REPO = Path(__file__).resolve().parent.parent
NEGEX = REPO / "corpus" / "benchmarks" / "rsAnnotations-1-120-random.txt"


def test_a_source_renders_with_its_truth(tmp_path):
    records = render_folder(DATA, tmp_path)
    assert [r["file"] for r in records] == ["letter-example.pdf"]
    truth = [json.loads(line) for line in (tmp_path / "truth.jsonl").read_text().splitlines()]
    assert truth[0]["pages"] == 1 and truth[0]["fields"]["treatment_date"] == "2026-05-18"
    assert truth[0]["tags"][-1] == "digital_pdf"
    assert (tmp_path / "letter-example.pdf").read_bytes().startswith(b"%PDF")


def test_a_faxed_render_is_an_image_only_pdf_at_standard_resolution(tmp_path):
    source = (DATA / "letter-example.packet").read_text().replace('render = "digital-pdf"',
                                                                  'render = "fax-standard-pdf"\nrotate = { 1 = 180 }')
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "faxed.packet").write_text(source)
    record = render_folder(tmp_path / "src", tmp_path / "out")[0]
    assert record["rotated_pages"] == {"1": 180}
    import pdfplumber
    with pdfplumber.open(tmp_path / "out" / "faxed.pdf") as pdf:
        assert not pdf.pages[0].extract_words()
        assert abs(pdf.pages[0].width - 612) < 4 and abs(pdf.pages[0].height - 792) < 4  # letter size


@pytest.mark.parametrize("change, message", [
    (("seed = 1", "seed = 1\ncolour = 2"), "unknown key 'colour'"),
    (('recommendation = "meets_criteria"', 'recommendation = "does_not_meet_criteria"'), "does not follow"),
    (("# Letter of Medical Necessity", "\n".join(["line"] * 70)), "overflows"),
])
def test_a_bad_source_is_reported_with_its_file(tmp_path, change, message):
    path = tmp_path / "bad.packet"
    path.write_text((DATA / "letter-example.packet").read_text().replace(*change))
    with pytest.raises(SourceError, match=message) as raised:
        parse_source(path)
    assert "bad.packet" in str(raised.value)


def test_renders_are_cached_by_content(tmp_path):
    first = render_folder_cached(DATA, tmp_path)
    assert render_folder_cached(DATA, tmp_path) == first
    copy = tmp_path / "copy"
    shutil.copytree(DATA, copy)
    (copy / "letter-example.packet").write_text((DATA / "letter-example.packet").read_text() + "more\n")
    assert render_folder_cached(copy, tmp_path) != first


def test_evaluate_reports_each_corpus_part(tmp_path, capsys):
    other = tmp_path / "second-part"
    shutil.copytree(DATA, other)
    out = tmp_path / "report.json"
    assert main(["evaluate", str(DATA), str(other), "--render-dir", str(tmp_path / "renders"),
                 "--workers", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report["parts"]) == {"packets", "second-part"}
    assert report["full"]["packets"] == 2
    assert report["full"]["recommendation_accuracy"]["hits"] == 2
    assert "part second-part: full: packets 1" in capsys.readouterr().out


def test_assertions_meet_the_published_negex_figures(capsys):
    assert main(["assertions", str(NEGEX)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("assertions: negation_accuracy=")
    figures = dict(item.split("=") for item in last.split()[1:])
    assert float(figures["negation_accuracy"]) >= 0.977
    precision, recall = float(figures["negated_precision"]), float(figures["negated_recall"])
    assert 2 * precision * recall / (precision + recall) >= 0.946
    assert {"historical_f", "other_f"} <= set(figures)
