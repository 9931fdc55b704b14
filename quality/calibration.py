"""A confidence calibration map: raw field confidence -> probability the field is right.

Fitted with isotonic regression on (confidence, correct) pairs from a labelled split that is
not the evaluation split, saved as versioned JSON, and applied by the Extractor to every field
confidence before the rules run (so criterion confidences inherit calibrated inputs).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.isotonic import IsotonicRegression

from extraction.errors import ConfigurationError

CALIBRATION_VERSION = 1
# Committed with the repo when fitted; the Extractor uses it by default when it exists.
DEFAULT_CALIBRATION_PATH = Path(__file__).resolve().parent / "field_calibration.json"
_KEYS = {"version", "kind", "fitted_at", "samples", "thresholds"}


@dataclass(frozen=True)
class Calibration:
    """Piecewise-linear map through `thresholds` [(raw, calibrated), ...], clipped at the ends."""
    kind: str
    thresholds: tuple[tuple[float, float], ...]
    fitted_at: str
    samples: int
    version: int = CALIBRATION_VERSION

    def apply(self, confidence: float) -> float:
        xs, ys = zip(*self.thresholds)
        return float(np.interp(confidence, xs, ys))

    def to_dict(self) -> dict[str, object]:
        return {"version": self.version, "kind": self.kind, "fitted_at": self.fitted_at,
                "samples": self.samples, "thresholds": [list(t) for t in self.thresholds]}


def fit_isotonic(confidences: Sequence[float], correct: Sequence[bool]) -> Calibration:
    if len(confidences) != len(correct) or len(confidences) < 2:
        raise ValueError("need at least two (confidence, correct) pairs of equal length")
    model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    model.fit(np.asarray(confidences, dtype=float), np.asarray(correct, dtype=float))
    thresholds = tuple((round(float(x), 6), round(float(y), 6))
                       for x, y in zip(model.X_thresholds_, model.y_thresholds_))
    return Calibration(kind="isotonic", thresholds=thresholds, samples=len(confidences),
                       fitted_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


def save_calibration(calibration: Calibration, path: str | Path) -> None:
    Path(path).write_text(json.dumps(calibration.to_dict(), indent=2) + "\n", encoding="utf-8")


def load_calibration(path: str | Path) -> Calibration:
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"calibration file {path}: cannot be read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"calibration file {path}: not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigurationError(f"calibration file {path}: expected a JSON object")
    unknown = sorted(set(raw) - _KEYS)
    missing = sorted(_KEYS - set(raw))
    if unknown or missing:
        raise ConfigurationError(
            f"calibration file {path}: unknown keys {unknown}, missing keys {missing}")
    if raw["version"] != CALIBRATION_VERSION or raw["kind"] != "isotonic":
        raise ConfigurationError(
            f"calibration file {path}: unsupported version {raw['version']!r} / kind {raw['kind']!r}")
    try:
        thresholds = tuple((float(x), float(y)) for x, y in raw["thresholds"])
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"calibration file {path}: thresholds must be [x, y] pairs") from exc
    if not thresholds or any(a[0] > b[0] for a, b in zip(thresholds, thresholds[1:])):
        raise ConfigurationError(f"calibration file {path}: thresholds must be non-empty and sorted")
    return Calibration(kind=raw["kind"], thresholds=thresholds, fitted_at=str(raw["fitted_at"]),
                       samples=int(raw["samples"]), version=raw["version"])
