"""Everything an Assessor is built from, in one typed, picklable object.

The service's settings and the CLI options both end up here; the library reads nothing from
the environment itself.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from extraction.limits import Limits
from extraction.ocr import DEFAULT_OCR_ENGINE, ENGINE_NAMES
from quality.calibration import default_calibration_path
from rules.policy import DEFAULT_POLICY_PATH

REPO_NER_MODEL = Path(__file__).resolve().parent.parent / "models" / "ner"
# Stands for "the calibration map committed for the configured OCR engine" until __post_init__.
ENGINE_DEFAULT = Path("<the OCR engine's committed calibration map>")


def _repo_file_or_none(path: Path) -> Path | None:
    return path if path.exists() else None


@dataclass(frozen=True)
class AssessmentConfig:
    limits: Limits = field(default_factory=Limits)
    ocr_engine: str = field(default_factory=lambda: DEFAULT_OCR_ENGINE)  # "tesseract" | "tesserocr"
    ocr_tessdata: str | None = None  # tesserocr's traineddata folder; None -> found on this machine
    ocr_lang: str = "eng"
    ocr_timeout_seconds: float = 60
    ocr_cleanup: bool = False  # deskew/despeckle/line removal before OCR
    page_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    scispacy_model: str | None = None  # an installed scispaCy package name, if any
    ner_model: Path | None = field(default_factory=lambda: _repo_file_or_none(REPO_NER_MODEL))
    policy_path: Path = DEFAULT_POLICY_PATH  # the default: judges packets that name no governed code
    policy_dirs: tuple[Path, ...] = ()  # folders of policy TOML files besides the packaged ones
    # ENGINE_DEFAULT: the map committed for `ocr_engine`, if there is one; None: no calibration.
    calibration_path: Path | None = ENGINE_DEFAULT

    def __post_init__(self) -> None:
        if self.page_workers < 1:
            raise ValueError(f"page_workers must be at least 1, not {self.page_workers}")
        if self.ocr_engine not in ENGINE_NAMES:
            raise ValueError(f"ocr_engine must be one of {ENGINE_NAMES}, not {self.ocr_engine!r}")
        if self.ocr_timeout_seconds <= 0:
            raise ValueError(f"ocr_timeout_seconds must be positive, not {self.ocr_timeout_seconds}")
        if self.calibration_path is ENGINE_DEFAULT:
            object.__setattr__(self, "calibration_path",
                               _repo_file_or_none(default_calibration_path(self.ocr_engine)))
