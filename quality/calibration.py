"""A confidence calibration map: raw field confidence -> probability the field is right.

Fitted with isotonic regression (or Platt scaling, a logistic curve sampled into the same
piecewise-linear form) on (confidence, correct) pairs from a labelled split that is not the
evaluation split, saved as versioned JSON, and applied by the Assessor to every field
confidence before the rules run (so criterion confidences inherit calibrated inputs).
`intake calibrate` writes numbered versions into a directory; the newest one is in use.

Field confidences start from OCR word confidences, so a map belongs to the OCR engine that
produced them: it records the engine (`ocr_engine`; maps from before engines were selectable
were fitted on "tesseract"), and loading it for another engine logs a warning naming both.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from extraction.errors import ConfigurationError

log = logging.getLogger(__name__)
CALIBRATION_VERSION = 1
# Committed with the repo when fitted, one per OCR engine; the Assessor uses the one of its engine
# by default when it exists. DEFAULT_CALIBRATION_PATH is the "tesseract" engine's.
DEFAULT_CALIBRATION_PATH = Path(__file__).resolve().parent / "field_calibration.json"
_KEYS = {"version", "kind", "fitted_at", "samples", "thresholds"}
_OPTIONAL_KEYS = {"source", "evaluation", "ocr_engine"}
UNRECORDED_OCR_ENGINE = "tesseract"  # the only engine before the engine became a setting
KINDS = ("isotonic", "platt")
PLATT_GRID_POINTS = 101  # the logistic curve is stored as this many (raw, calibrated) points
_VERSION_GLOB = "field-calibration-v*.json"


@dataclass(frozen=True)
class Calibration:
    """Piecewise-linear map through `thresholds` [(raw, calibrated), ...], clipped at the ends."""
    kind: str
    thresholds: tuple[tuple[float, float], ...]
    fitted_at: str
    samples: int
    version: int = CALIBRATION_VERSION
    source: str = ""  # what it was fitted on, e.g. "labelled samples/ (21 packets)"
    # Held-out figures measured when it was fitted: {"samples", "ece_before", "ece_after"}.
    evaluation: dict[str, float | int | None] | None = None
    ocr_engine: str = UNRECORDED_OCR_ENGINE  # whose word confidences it was fitted on

    def apply(self, confidence: float) -> float:
        xs, ys = zip(*self.thresholds)
        return float(np.interp(confidence, xs, ys))

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"version": self.version, "kind": self.kind, "fitted_at": self.fitted_at,
                                  "samples": self.samples, "thresholds": [list(t) for t in self.thresholds]}
        if self.source:
            out["source"] = self.source
        if self.evaluation is not None:
            out["evaluation"] = dict(self.evaluation)
        out["ocr_engine"] = self.ocr_engine
        return out


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _check_pairs(confidences: Sequence[float], correct: Sequence[bool]) -> None:
    if len(confidences) != len(correct) or len(confidences) < 2:
        raise ValueError("need at least two (confidence, correct) pairs of equal length")


def fit_isotonic(confidences: Sequence[float], correct: Sequence[bool]) -> Calibration:
    _check_pairs(confidences, correct)
    from sklearn.isotonic import IsotonicRegression  # fitting only: workers that apply a map never load it

    model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    raw = np.asarray(confidences, dtype=float)
    model.fit(raw, np.asarray(correct, dtype=float))
    # A block of n all-right (or all-wrong) samples does not prove certainty: its value is
    # held to the rule of succession, (n + 1) / (n + 2), so no field is ever served as 1.0.
    fitted = model.predict(raw)
    top, bottom = float(fitted.max()), float(fitted.min())
    ceiling = 1.0 - 1.0 / (int(np.sum(fitted == top)) + 2) if top == 1.0 else 1.0
    floor = 1.0 / (int(np.sum(fitted == bottom)) + 2) if bottom == 0.0 else 0.0
    thresholds = tuple((round(float(x), 6), round(float(min(max(y, floor), ceiling)), 6))
                       for x, y in zip(model.X_thresholds_, model.y_thresholds_))
    return Calibration(kind="isotonic", thresholds=thresholds, samples=len(confidences), fitted_at=_now())


def fit_platt(confidences: Sequence[float], correct: Sequence[bool]) -> Calibration:
    """Logistic regression of correctness on the raw confidence (Platt scaling)."""
    _check_pairs(confidences, correct)
    outcomes = np.asarray(correct, dtype=int)
    if outcomes.min() == outcomes.max():  # one class only: the observed rate is all there is
        rate = float(outcomes[0])
        thresholds: tuple[tuple[float, float], ...] = ((0.0, rate), (1.0, rate))
    else:
        from sklearn.linear_model import LogisticRegression  # fitting only, as above

        model = LogisticRegression(C=1e6).fit(np.asarray(confidences, dtype=float).reshape(-1, 1), outcomes)
        grid = np.linspace(0.0, 1.0, PLATT_GRID_POINTS)
        thresholds = tuple((round(float(x), 6), round(float(y), 6))
                           for x, y in zip(grid, model.predict_proba(grid.reshape(-1, 1))[:, 1]))
    return Calibration(kind="platt", thresholds=thresholds, samples=len(confidences), fitted_at=_now())


FITTERS = {"isotonic": fit_isotonic, "platt": fit_platt}


def save_version(calibration: Calibration, directory: str | Path) -> Path:
    """Write the next numbered version into `directory` (never overwriting one) and return its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    newest = newest_calibration_path(directory)
    number = _version_number(newest) + 1 if newest else 1
    # Written aside, then hard-linked into place: a worker never reads a half-written version,
    # and the link fails instead of overwriting when another fit took the number first.
    staging = directory / f".staging-{uuid.uuid4().hex}.json"
    staging.write_text(json.dumps(calibration.to_dict(), indent=2) + "\n", encoding="utf-8")
    try:
        while True:
            path = directory / f"field-calibration-v{number:04d}.json"
            try:
                os.link(staging, path)
                return path
            except FileExistsError:
                number += 1
    finally:
        staging.unlink()


def default_calibration_path(ocr_engine: str) -> Path:
    """The map committed with the repo for `ocr_engine` (it may not exist)."""
    if ocr_engine == UNRECORDED_OCR_ENGINE:
        return DEFAULT_CALIBRATION_PATH
    return DEFAULT_CALIBRATION_PATH.with_name(f"field_calibration-{ocr_engine}.json")


def newest_calibration_path(directory: str | Path, ocr_engine: str | None = None) -> Path | None:
    """The newest version in `directory`; with `ocr_engine`, the newest fitted on that engine (a map
    fitted on another engine's confidences would miscalibrate this one's)."""
    paths = sorted((p for p in Path(directory).glob(_VERSION_GLOB) if _version_number(p) is not None),
                   key=_version_number, reverse=True)  # type: ignore[arg-type,return-value]
    if ocr_engine is None:
        return paths[0] if paths else None
    return next((p for p in paths if _recorded_engine(p) == ocr_engine), None)


def _recorded_engine(path: Path) -> str | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None  # unreadable: load_calibration reports it if it is ever chosen
    return str(raw.get("ocr_engine", UNRECORDED_OCR_ENGINE)) if isinstance(raw, dict) else None


def _version_number(path: Path) -> int | None:
    digits = path.stem.removeprefix("field-calibration-v")
    return int(digits) if digits.isdigit() else None


def save_calibration(calibration: Calibration, path: str | Path) -> None:
    Path(path).write_text(json.dumps(calibration.to_dict(), indent=2) + "\n", encoding="utf-8")


def load_calibration(path: str | Path, ocr_engine: str | None = None) -> Calibration:
    """The map at `path`; `ocr_engine`, when given, is the engine it will be applied for."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"calibration file {path}: cannot be read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"calibration file {path}: not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigurationError(f"calibration file {path}: expected a JSON object")
    unknown = sorted(set(raw) - _KEYS - _OPTIONAL_KEYS)
    missing = sorted(_KEYS - set(raw))
    if unknown or missing:
        raise ConfigurationError(
            f"calibration file {path}: unknown keys {unknown}, missing keys {missing}")
    if raw["version"] != CALIBRATION_VERSION or raw["kind"] not in KINDS:
        raise ConfigurationError(
            f"calibration file {path}: unsupported version {raw['version']!r} / kind {raw['kind']!r}")
    try:
        thresholds = tuple((float(x), float(y)) for x, y in raw["thresholds"])
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"calibration file {path}: thresholds must be [x, y] pairs") from exc
    if not thresholds or any(a[0] > b[0] for a, b in zip(thresholds, thresholds[1:])):
        raise ConfigurationError(f"calibration file {path}: thresholds must be non-empty and sorted")
    evaluation = raw.get("evaluation")
    if evaluation is not None and not isinstance(evaluation, dict):
        raise ConfigurationError(f"calibration file {path}: evaluation must be an object")
    fitted_on = str(raw.get("ocr_engine", UNRECORDED_OCR_ENGINE))
    if ocr_engine is not None and ocr_engine != fitted_on:
        log.warning("calibration map %s was fitted on OCR engine %r but is applied to %r: refit it with "
                    "`intake calibrate` under this engine", path.name, fitted_on, ocr_engine)
    return Calibration(kind=raw["kind"], thresholds=thresholds, fitted_at=str(raw["fitted_at"]),
                       samples=int(raw["samples"]), version=raw["version"],
                       source=str(raw.get("source", "")), evaluation=evaluation, ocr_engine=fitted_on)
