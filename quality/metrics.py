"""Exact metric definitions, as pure functions over plain values.

`intake evaluate` and the service's review metrics both use these, so a figure means the same
thing everywhere. Values are compared after `normalize`: dates as ISO dates, strings
case-insensitively with whitespace collapsed, lists as sets.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping, Sequence

from extraction.models import CRITERION_STATUSES


@dataclass(frozen=True)
class Ratio:
    hits: int
    total: int

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    def to_dict(self) -> dict[str, Any]:
        return {"hits": self.hits, "total": self.total, "value": self.value}


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float
    upper: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


def normalize(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = " ".join(value.split())
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return text.casefold()
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(normalize(v) for v in value)
    return value


def values_equal(predicted: Any, expected: Any) -> bool:
    return normalize(predicted) == normalize(expected)


def field_accuracy(rows: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> dict[str, Ratio]:
    """rows: (predicted values, expected values) per packet. Every expected field counts; a
    field the prediction lacks counts as None (right only when None was expected)."""
    hits: dict[str, int] = {}
    totals: dict[str, int] = {}
    for predicted, expected in rows:
        for name, want in expected.items():
            totals[name] = totals.get(name, 0) + 1
            hits[name] = hits.get(name, 0) + values_equal(predicted.get(name), want)
    return {name: Ratio(hits[name], totals[name]) for name in sorted(totals)}


def overall(ratios: Iterable[Ratio]) -> Ratio:
    ratios = list(ratios)
    return Ratio(sum(r.hits for r in ratios), sum(r.total for r in ratios))


def criterion_confusion(
    rows: Iterable[tuple[Mapping[str, str], Mapping[str, str]]],
) -> dict[str, dict[str, dict[str, int]]]:
    """rows: (predicted {criterion: status}, expected {criterion: status}).
    Returns {criterion: {expected status: {predicted status: count}}}; a criterion missing
    from the prediction counts as 'insufficient_evidence'."""
    matrix: dict[str, dict[str, dict[str, int]]] = {}
    for predicted, expected in rows:
        for criterion, want in expected.items():
            got = predicted.get(criterion, "insufficient_evidence")
            table = matrix.setdefault(criterion, {s: dict.fromkeys(CRITERION_STATUSES, 0)
                                                  for s in CRITERION_STATUSES})
            table[want][got] += 1
    return {c: matrix[c] for c in sorted(matrix)}


def confusion_accuracy(table: Mapping[str, Mapping[str, int]]) -> Ratio:
    return Ratio(sum(table[s][s] for s in table),
                 sum(n for row in table.values() for n in row.values()))


def recommendation_accuracy(rows: Iterable[tuple[str, str]]) -> Ratio:
    """rows: (predicted, expected) recommendation per packet."""
    pairs = list(rows)
    return Ratio(sum(p == e for p, e in pairs), len(pairs))


def reliability_table(confidences: Sequence[float], correct: Sequence[bool],
                      bins: int = 10) -> list[ReliabilityBin]:
    """Equal-width confidence bins over [0, 1]; bin i holds i/bins <= c < (i+1)/bins, the last
    bin also holds c == 1."""
    if len(confidences) != len(correct):
        raise ValueError("confidences and correct differ in length")
    members: list[list[int]] = [[] for _ in range(bins)]
    for i, c in enumerate(confidences):
        members[min(int(c * bins), bins - 1)].append(i)
    table = []
    for b, idx in enumerate(members):
        n = len(idx)
        table.append(ReliabilityBin(
            lower=b / bins, upper=(b + 1) / bins, count=n,
            mean_confidence=sum(confidences[i] for i in idx) / n if n else None,
            accuracy=sum(bool(correct[i]) for i in idx) / n if n else None,
        ))
    return table


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool],
                               bins: int = 10) -> float | None:
    """ECE = sum over bins of n_b / N * |accuracy_b - mean confidence_b|; None without data."""
    total = len(confidences)
    if not total:
        return None
    return sum(b.count / total * abs(b.accuracy - b.mean_confidence)
               for b in reliability_table(confidences, correct, bins) if b.count)


def seconds_per_page(seconds: float, pages: int) -> float | None:
    return seconds / pages if pages else None


def calibration_summary(scored: Sequence[tuple[str, float, bool]], bins: int = 10) -> dict[str, Any]:
    """scored: (field, confidence, correct). ECE overall and per field, and the overall
    reliability table, as plain JSON-ready values; `intake evaluate` and the review metrics
    both report calibration through this."""
    names = sorted({name for name, _, _ in scored})
    return {
        "ece": expected_calibration_error([c for _, c, _ in scored], [ok for _, _, ok in scored], bins),
        "ece_per_field": {
            name: expected_calibration_error([c for n, c, _ in scored if n == name],
                                             [ok for n, _, ok in scored if n == name], bins)
            for name in names},
        "reliability": [asdict(bin_) for bin_ in
                        reliability_table([c for _, c, _ in scored], [ok for _, _, ok in scored], bins)],
    }


@dataclass(frozen=True)
class BinaryScores:
    """Precision, recall and F1 of one label (predicted, expected) over items; None when undefined."""
    true_positive: int
    false_positive: int
    false_negative: int

    @property
    def precision(self) -> float | None:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else None

    @property
    def recall(self) -> float | None:
        relevant = self.true_positive + self.false_negative
        return self.true_positive / relevant if relevant else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else None


def binary_scores(rows: Iterable[tuple[bool, bool]]) -> BinaryScores:
    tp = fp = fn = 0
    for predicted, expected in rows:
        tp += predicted and expected
        fp += predicted and not expected
        fn += expected and not predicted
    return BinaryScores(tp, fp, fn)
