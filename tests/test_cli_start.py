"""`intake --help` and the commands that need no model start without loading spaCy, scikit-learn,
FastAPI or SQLAlchemy: building the parser imports every command module, so each module's top
level imports only what its `register()` needs, and a command's heavy dependencies load when it runs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("spacy", "scispacy", "medspacy", "sklearn", "scipy", "numpy", "fastapi", "starlette", "uvicorn",
         "sqlalchemy", "alembic", "rq", "redis", "PIL", "pdfplumber", "pytesseract")
# Runs the console script's main() in a fresh interpreter, then prints the heavy packages it loaded.
PROBE = """
import json, sys
from intake.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))), file=sys.stderr)
"""


def heavy_modules_loaded(*argv: str) -> list[str]:
    run = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}", *argv], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    return json.loads(run.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [
    ["--help"], ["users", "list", "--help"], ["users", "add", "--help"], ["keys", "--help"],
    ["extract", "--help"], ["evaluate", "--help"], ["calibrate", "--help"], ["train-ner", "--help"],
    ["assertions", "--help"], ["serve", "--help"], ["worker", "--help"], ["policies", "--help"],
], ids=" ".join)
def test_help_loads_no_heavy_dependency(argv):
    assert heavy_modules_loaded(*argv) == []


def test_policies_list_runs_without_the_pipeline_or_the_service():
    # Reading the policy files needs pydantic, not the NLP, the calibration fitters or the database.
    assert heavy_modules_loaded("policies", "list") == []


def test_help_still_lists_every_command_and_its_choices():
    run = subprocess.run([sys.executable, "-m", "intake.cli", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0
    for command in ("assertions", "calibrate", "evaluate", "extract", "keys", "policies", "serve",
                    "train-ner", "users", "worker"):
        assert command in run.stdout
    run = subprocess.run([sys.executable, "-m", "intake.cli", "users", "add", "rita", "--role", "owner"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "invalid choice: 'owner'" in run.stderr


def test_light_copies_of_choices_match_their_source():
    """The command modules name these choices without importing the modules that define them."""
    from extraction.ocr import ENGINE_NAMES
    from intake.commands import calibrate, extract, users
    from intake.db.review_models import ROLES
    from quality.calibration import FITTERS

    assert extract.OCR_ENGINES == ENGINE_NAMES
    assert users.ROLES == ROLES
    assert sorted(calibrate.METHODS) == sorted(FITTERS)


def test_a_worker_loads_neither_scikit_learn_nor_quickumls():
    """What a worker builds before forking its horses (extraction/medspacy_loader.py): medspaCy
    without QuickUMLS's NLTK, SciPy and scikit-learn (about 100 MB per worker), and the calibration
    map applied without its fitters. The pipeline still runs ConText."""
    probe = ("import json, sys\n"
             "from intake.worker_process import build_context\n"
             "from intake.settings import Settings\n"
             "context = build_context(Settings(data_dir=sys.argv[1]))\n"
             "doc = context.assessor.nlp('No prior CAR-T therapy.')\n"
             "loaded = sorted({n.split('.')[0] for n in sys.modules} & {'sklearn', 'scipy', 'nltk', 'quickumls'})\n"
             "print(json.dumps([loaded, [e._.is_negated for e in doc.ents]]))\n")
    with tempfile.TemporaryDirectory() as data_dir:
        run = subprocess.run([sys.executable, "-c", probe, data_dir], cwd=ROOT, capture_output=True, text=True,
                             timeout=300, env={**os.environ, "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert run.returncode == 0, run.stderr[-2000:]
    loaded, negated = json.loads(run.stdout.strip().splitlines()[-1])
    assert loaded == ["quickumls"]  # the stand-in only
    assert negated and all(negated)
