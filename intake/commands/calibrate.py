"""`intake calibrate [--from reviews | --from labelled DIR] [--method isotonic|platt] [--out DIR]`.

Fits the field-confidence calibration map on (raw confidence, correct) pairs, either from the
reviewers' decisions in the service database or by running the assessor (without any map) on
the labelled packets of DIR/truth.jsonl. Packets are split into a fitting part and a held-out
part (by packet, never by field, so one packet's fields do not land on both sides); the map is
fitted on the first and the calibration error before and after is measured on the second and
stored with the map. The map is saved as the next numbered version in --out (default: the
service's calibration directory), where workers pick it up for every new result.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from intake.commands.extract import add_ocr_engine_option, chosen_ocr_engine

if TYPE_CHECKING:
    from quality.calibration import Calibration

Pairs = list[tuple[str, float, bool]]  # (field, raw confidence, correct)
# The keys of quality.calibration.FITTERS (a test keeps them equal); that module imports
# scikit-learn, so it is imported only when a map is fitted, not to build `intake --help`.
METHODS = ("isotonic", "platt")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("calibrate", help="fit the field-confidence calibration map")
    parser.add_argument("--from", dest="source", nargs="+", default=["reviews"],
                        metavar="SOURCE", help="`reviews` (default) or `labelled DIR` (holds truth.jsonl)")
    parser.add_argument("--split", help="labelled packets of this split only (default: every packet)")
    parser.add_argument("--method", choices=METHODS, default="isotonic")
    parser.add_argument("--holdout", type=float, default=0.3,
                        help="share of packets held out to measure the map (default: 0.3)")
    parser.add_argument("--bins", type=int, default=10, help="confidence bins for calibration error")
    parser.add_argument("--workers", type=int, default=2, help="packet processes for labelled data")
    add_ocr_engine_option(parser)
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="where versions are written (default: the service's calibration directory)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from quality.calibration import save_version

    if not 0 <= args.holdout < 1:
        print("intake calibrate: --holdout must be in [0, 1)", file=sys.stderr)
        return 2
    ocr_engine = chosen_ocr_engine(args)
    try:
        pairs, described = _pairs(args, ocr_engine)
    except (OSError, ValueError) as exc:
        print(f"intake calibrate: {exc}", file=sys.stderr)
        return 2
    fit_part, held_out = split_by_packet(pairs, args.holdout)
    fit_pairs = [p for packet in fit_part for p in pairs[packet]]
    if len(fit_pairs) < 2:
        print(f"intake calibrate: too few labelled fields to fit ({len(fit_pairs)})", file=sys.stderr)
        return 1
    calibration = fit_and_measure(pairs, fit_part, held_out, args.method, args.bins,
                                  source=f"{described} ({len(fit_part)} fitted, {len(held_out)} held out)")
    # The engine whose confidences were fitted: the one run on labelled packets, or the one the
    # service reads with (reviewer decisions are on its confidences).
    calibration = dataclasses.replace(calibration, ocr_engine=ocr_engine)
    out_dir = args.out or _settings().calibration_dir_resolved
    path = save_version(calibration, out_dir)
    print(render(calibration, path))
    return 0


def _settings():
    from intake.settings import Settings
    return Settings()


def _pairs(args: argparse.Namespace, ocr_engine: str) -> tuple[dict[str, Pairs], str]:
    kind, *rest = args.source
    if kind == "reviews" and not rest:
        return review_pairs(_settings().database_url_resolved), "reviewer decisions"
    if kind == "labelled" and len(rest) == 1:
        directory = Path(rest[0])
        return (labelled_pairs(directory, args.split, args.workers, ocr_engine),
                f"labelled {directory}")
    raise ValueError("--from takes `reviews` or `labelled DIR`")


def labelled_pairs(directory: Path, split: str | None, workers: int, ocr_engine: str) -> dict[str, Pairs]:
    """Runs the assessor, with no calibration map, on every labelled packet: {file: pairs}."""
    from assessment.config import AssessmentConfig
    from intake.commands.evaluate import FULL, extract_packets, scored_fields

    truth = directory / "truth.jsonl"
    rows = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if split is None or r.get("split") == split]
    if not rows:
        raise ValueError(f"{truth}: no labelled packets" + (f" of split {split!r}" if split else ""))
    config = AssessmentConfig(page_workers=1, ocr_engine=ocr_engine, calibration_path=None)
    outcomes = extract_packets([str(directory / r["file"]) for r in rows], {FULL: config}, workers)
    return {row["file"]: scored_fields([row], [outcome])
            for row, outcome in zip(rows, outcomes) if "error" not in outcome}


def review_pairs(database_url: str) -> dict[str, Pairs]:
    """Reviewed fields from the service database: {document id: pairs} on raw confidences."""
    from intake.db.migrate import upgrade_to_head
    from intake.db.session import make_engine, make_sessionmaker
    from intake.metrics_data import load_review_labels
    from quality.reviews import scored

    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as db:
            labels = load_review_labels(db)
    finally:
        engine.dispose()
    by_document: dict[str, Pairs] = {}
    for label in labels:
        by_document.setdefault(label.document_id, []).extend(scored([label], raw=True))
    return by_document


def split_by_packet(pairs: Mapping[str, Pairs], holdout: float) -> tuple[list[str], list[str]]:
    """Deterministic: packets ordered by a hash of their id; the first `holdout` share is held out."""
    ordered = sorted(pairs, key=lambda packet: hashlib.sha256(packet.encode()).hexdigest())
    cut = round(len(ordered) * holdout)
    return sorted(ordered[cut:]), sorted(ordered[:cut])


def fit_and_measure(pairs: Mapping[str, Pairs], fit_part: Sequence[str], held_out: Sequence[str],
                    method: str, bins: int, source: str) -> Calibration:
    from quality import metrics
    from quality.calibration import FITTERS

    fit_pairs = [p for packet in fit_part for p in pairs[packet]]
    calibration = FITTERS[method]([c for _, c, _ in fit_pairs], [ok for _, _, ok in fit_pairs])
    test_pairs = [p for packet in held_out for p in pairs[packet]]
    evaluation = None
    if test_pairs:
        correct = [ok for _, _, ok in test_pairs]
        evaluation = {
            "packets": len(held_out), "samples": len(test_pairs),
            "ece_before": metrics.expected_calibration_error([c for _, c, _ in test_pairs], correct, bins),
            "ece_after": metrics.expected_calibration_error(
                [calibration.apply(c) for _, c, _ in test_pairs], correct, bins),
            "bins": bins}
    return dataclasses.replace(calibration, source=source, evaluation=evaluation)


def render(calibration: Calibration, path: Path) -> str:
    lines = [f"{calibration.kind} calibration on {calibration.samples} field values "
             f"from {calibration.source} -> {path}"]
    evaluation = calibration.evaluation
    if evaluation:
        lines.append(f"held out: {evaluation['packets']} packets, {evaluation['samples']} field values; "
                     f"ECE before {evaluation['ece_before']:.4f}, after {evaluation['ece_after']:.4f}")
    else:
        lines.append("held out: none (--holdout 0), the map is unmeasured")
    return "\n".join(lines)
