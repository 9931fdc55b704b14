"""`intake evaluate DIR [DIR ...] [--split eval] [--ablate-ner] [--json OUT]`: measure the assessor.

Each DIR is one corpus part: either rendered packets with a truth.jsonl (packets of one split are
used), or a folder of hand-written packet sources (`*.packet`, corpus/FORMAT.md), which is rendered
first into --render-dir (deterministic, reused while the sources are unchanged). Figures are given
per part, and for all parts together when there are several.

Runs the assessor on every packet and reports, with the
definitions in quality.metrics: per-field accuracy, per-criterion status confusion, recommendation
accuracy, seconds per page, calibration error (overall and per field), the safety count of
packets with prior CAR-T whose `no_prior_car_t` came out met (must be 0), and every failure.
A packet that fails counts as wrong everywhere (no field, no criterion, no recommendation).
--ablate-ner adds the same figures with the NER model disabled (rules only), computed on the
same page readings. Fitting a calibration map is `intake calibrate --from labelled DIR`.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extraction.errors import IntakeError
from intake.commands.extract import add_ocr_engine_option, chosen_ocr_engine, json_default
from quality import metrics

if TYPE_CHECKING:
    from assessment.config import AssessmentConfig

FULL, RULES_ONLY = "full", "rules_only"
_assessors: dict[str, Any] = {}  # per worker process: variant name -> Assessor


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="measure extraction against labelled samples")
    parser.add_argument("directories", type=Path, nargs="+", metavar="DIR",
                        help="a corpus part: truth.jsonl and the files, or *.packet sources")
    parser.add_argument("--split", default=None,
                        help="which split of a truth.jsonl (default: eval); source folders use all packets")
    parser.add_argument("--render-dir", type=Path, default=Path("data/corpus-render"),
                        help="where packet sources are rendered (default: data/corpus-render)")
    parser.add_argument("--ablate-ner", action="store_true", help="also run rules only, side by side")
    parser.add_argument("--json", type=Path, dest="json_out", metavar="OUT", help="write figures as JSON")
    parser.add_argument("--workers", type=int, default=2, help="packet processes (default: 2)")
    parser.add_argument("--bins", type=int, default=10, help="confidence bins for calibration error")
    add_ocr_engine_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from assessment.config import AssessmentConfig  # imports scikit-learn (calibration)

    parts: list[tuple[str, list[dict], list[str]]] = []  # (part name, truth rows, file paths)
    for directory in args.directories:
        try:
            folder, rows = load_part(directory, args.split, args.render_dir)
        except (OSError, ValueError) as exc:
            print(f"intake evaluate: {directory}: {exc}", file=sys.stderr)
            return 2
        parts.append((directory.name, rows, [str(folder / r["file"]) for r in rows]))
    rows = [r for _, part_rows, _ in parts for r in part_rows]
    config = AssessmentConfig(page_workers=1, ocr_engine=chosen_ocr_engine(args))  # parallel across packets
    configs = {FULL: config}
    if args.ablate_ner:
        configs[RULES_ONLY] = dataclasses.replace(config, ner_model=None)

    started = time.perf_counter()
    paths = [p for _, _, part_paths in parts for p in part_paths]
    outcomes = extract_packets(paths, configs, args.workers)
    wall = time.perf_counter() - started

    report = {name: figures(rows, outcomes, name, args.bins) for name in configs}
    report["wall_seconds"] = round(wall, 2)
    report["workers"] = args.workers
    report["calibration"] = str(config.calibration_path) if config.calibration_path else None
    report["ocr_engine"] = config.ocr_engine
    if len(parts) > 1:
        report["parts"] = {}
        offset = 0
        for name, part_rows, _ in parts:
            part_outcomes = outcomes[offset:offset + len(part_rows)]
            offset += len(part_rows)
            report["parts"][name] = {variant: figures(part_rows, part_outcomes, variant, args.bins)
                                     for variant in configs}
    print(render(report, list(configs)))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2, default=json_default) + "\n",
                                 encoding="utf-8")
    return 0


def load_part(directory: Path, split: str | None, render_dir: Path) -> tuple[Path, list[dict]]:
    """(folder holding the files, truth rows) of one corpus part; sources are rendered first."""
    if not (directory / "truth.jsonl").exists() and any(directory.rglob("*.packet")):
        from synthetic.source_packets import render_folder_cached
        folder = render_folder_cached(directory, render_dir)
        split = None  # a source folder is one part: all of its packets
    else:
        folder, split = directory, split or "eval"
    rows = [json.loads(line) for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    if split is not None:
        rows = [r for r in rows if r.get("split") == split]
    if not rows:
        raise ValueError(f"no packets{f' of split {split!r}' if split else ''} in {folder / 'truth.jsonl'}")
    return folder, rows


def extract_packets(paths: list[str], configs: dict[str, AssessmentConfig],
                    workers: int) -> list[dict[str, Any]]:
    """One outcome per packet, in order (see `_run_packet`); `intake calibrate` reuses it."""
    outcomes = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_build_assessors,
                             initargs=(configs,)) as pool:
        for done, outcome in enumerate(pool.map(_run_packet, paths), 1):
            outcomes.append(outcome)
            state = outcome.get("error") or f"{outcome['pages']} pages"
            print(f"[{done}/{len(paths)}] {Path(paths[done - 1]).name}: {state}",
                  file=sys.stderr, flush=True)
    return outcomes


def _build_assessors(configs: dict[str, AssessmentConfig]) -> None:
    from assessment.pipeline import Assessor
    for name, config in configs.items():
        _assessors[name] = Assessor(config)


def _run_packet(path: str) -> dict[str, Any]:
    """Read the pages once, analyze them with every variant; a failure is returned, not raised."""
    started = time.perf_counter()
    try:
        readings = _assessors[FULL].read_pages(Path(path).read_bytes())
        pages = [r.page for r in readings]
        read_seconds = time.perf_counter() - started
        variants = {}
        for name, assessor in _assessors.items():
            analyze_started = time.perf_counter()
            result = assessor.analyze(pages, source=path)
            variants[name] = {
                "fields": {n: (fv.value, fv.confidence) for n, fv in result.fields.items()},
                "criteria": {c.id: c.status for c in result.criteria},
                "recommendation": result.recommendation,
                "policy": result.policy.id if result.policy else None,
                "seconds": read_seconds + time.perf_counter() - analyze_started,
            }
    except IntakeError as exc:
        return {"error": f"{exc.code}: {exc.message}"}
    except Exception as exc:  # an evaluation lists every failure instead of stopping at the first
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return {"error": f"unexpected {type(exc).__name__} at {Path(where.filename).name}:"
                         f"{where.lineno}: {exc}"}
    return {"pages": len(pages), "failed_pages": sum(p.method == "failed" for p in pages),
            "variants": variants}


def _prediction(outcome: dict[str, Any], variant: str) -> dict[str, Any]:
    if "error" in outcome:
        return {"fields": {}, "criteria": {}, "recommendation": "failed", "seconds": 0.0}
    return outcome["variants"][variant]


def scored_fields(rows: list[dict], outcomes: list[dict], variant: str = FULL) -> list[tuple[str, float, bool]]:
    """(field, confidence, correct) for every expected field of every packet; a field the
    prediction lacks counts with confidence 0."""
    scored = []
    for row, outcome in zip(rows, outcomes):
        predicted = _prediction(outcome, variant)["fields"]
        for name, expected in row["fields"].items():
            value, confidence = predicted.get(name, (None, 0.0))
            scored.append((name, confidence, metrics.values_equal(value, expected)))
    return scored


def figures(rows: list[dict], outcomes: list[dict], variant: str, bins: int) -> dict[str, Any]:
    predictions = [_prediction(o, variant) for o in outcomes]
    values = [{n: v for n, (v, _) in p["fields"].items()} for p in predictions]
    field_acc = metrics.field_accuracy(zip(values, (r["fields"] for r in rows)))
    confusion = metrics.criterion_confusion(zip((p["criteria"] for p in predictions),
                                                (r["criteria"] for r in rows)))
    rec_acc = metrics.recommendation_accuracy(
        (p["recommendation"], r["recommendation"]) for p, r in zip(predictions, rows))
    calibration = metrics.calibration_summary(scored_fields(rows, outcomes, variant), bins)
    pages = sum(o.get("pages", 0) for o in outcomes)
    seconds = sum(p["seconds"] for p in predictions)
    prior_car_t_met = [r["file"] for r, p in zip(rows, predictions)
                       if r["fields"].get("prior_car_t") is True
                       and p["criteria"].get("no_prior_car_t") == "met"]
    return {
        "packets": len(rows),
        "pages": pages,
        "field_accuracy": {n: r.to_dict() for n, r in field_acc.items()},
        "field_accuracy_overall": metrics.overall(field_acc.values()).to_dict(),
        "criterion_confusion": confusion,
        "criterion_accuracy": {c: metrics.confusion_accuracy(t).to_dict() for c, t in confusion.items()},
        "recommendation_accuracy": rec_acc.to_dict(),
        "seconds_per_page": metrics.seconds_per_page(seconds, pages),
        "ece": calibration["ece"],
        "ece_per_field": calibration["ece_per_field"],
        "reliability": calibration["reliability"],
        "prior_car_t_but_no_prior_car_t_met": prior_car_t_met,
        # Rows naming the policy that should judge them (corpus sources always do).
        "policy_accuracy": metrics.Ratio(
            sum(p.get("policy") == r["policy"] for p, r in zip(predictions, rows) if "policy" in r),
            sum("policy" in r for r in rows)).to_dict(),
        "failed_pages": sum(o.get("failed_pages", 0) for o in outcomes),
        "failures": [{"file": r["file"], "error": o["error"]}
                     for r, o in zip(rows, outcomes) if "error" in o],
        "misses": [m for m in (_misses(r, p) for r, p in zip(rows, predictions)) if m["items"]],
    }


def _misses(row: dict[str, Any], prediction: dict[str, Any]) -> dict[str, Any]:
    """What one packet got wrong: field names (values in the JSON only), criterion and
    recommendation outcomes as expected -> predicted."""
    items = []
    for name, expected in row["fields"].items():
        value = prediction["fields"].get(name, (None, 0.0))[0]
        if not metrics.values_equal(value, expected):
            items.append({"kind": "field", "name": name, "expected": expected, "predicted": value})
    for criterion, expected in row["criteria"].items():
        predicted = prediction["criteria"].get(criterion)
        if predicted != expected:
            items.append({"kind": "criterion", "name": criterion, "expected": expected, "predicted": predicted})
    if prediction["recommendation"] != row["recommendation"]:
        items.append({"kind": "recommendation", "name": "recommendation",
                      "expected": row["recommendation"], "predicted": prediction["recommendation"]})
    return {"file": row["file"], "tags": row.get("tags", []), "items": items}


def _summary(figures_: dict[str, Any], variant: str) -> str:
    criteria = metrics.overall(metrics.Ratio(**{k: v for k, v in r.items() if k != "value"})
                               for r in figures_["criterion_accuracy"].values())
    rec = figures_["recommendation_accuracy"]
    ece = "-" if figures_["ece"] is None else f"{figures_['ece']:.3f}"
    return (f"{variant}: packets {figures_['packets']}, criteria {criteria.hits}/{criteria.total}, "
            f"recommendation {rec['hits']}/{rec['total']}, ECE {ece}, "
            f"prior CAR-T but met {len(figures_['prior_car_t_but_no_prior_car_t_met'])}"
            + (f", policy {figures_['policy_accuracy']['hits']}/{figures_['policy_accuracy']['total']}"
               if figures_["policy_accuracy"]["total"] else ""))


def render(report: dict[str, Any], variants: list[str]) -> str:
    first = report[variants[0]]
    lines = [f"packets {first['packets']}, pages {first['pages']}, "
             f"wall {report['wall_seconds']}s with {report['workers']} workers, "
             f"calibration map: {report['calibration'] or 'none'}, OCR engine: {report['ocr_engine']}"]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"  {label:<38}" + "".join(f"{c:>17}" for c in cells))

    def pct(ratio: dict[str, Any]) -> str:
        return "-" if ratio["value"] is None else f"{ratio['value']:.1%} ({ratio['hits']}/{ratio['total']})"

    def num(value: float | None, fmt: str = ".3f") -> str:
        return "-" if value is None else format(value, fmt)

    lines.append("")
    row("", variants)
    lines.append("field accuracy")
    for name in first["field_accuracy"]:
        row(name, [pct(report[v]["field_accuracy"][name]) for v in variants])
    row("all fields", [pct(report[v]["field_accuracy_overall"]) for v in variants])
    lines.append("criterion status accuracy")
    for criterion in first["criterion_accuracy"]:
        row(criterion, [pct(report[v]["criterion_accuracy"][criterion]) for v in variants])
    row("recommendation accuracy", [pct(report[v]["recommendation_accuracy"]) for v in variants])
    row("seconds per page", [num(report[v]["seconds_per_page"], ".2f") for v in variants])
    row("ECE (all fields)", [num(report[v]["ece"]) for v in variants])
    for name in first["ece_per_field"]:
        row(f"ECE {name}", [num(report[v]["ece_per_field"][name]) for v in variants])
    row("prior CAR-T but no_prior_car_t met", [str(len(report[v]["prior_car_t_but_no_prior_car_t_met"]))
                                               for v in variants])
    row("failed pages", [str(report[v]["failed_pages"]) for v in variants])
    for variant in variants:
        lines.append(f"\ncriterion confusion ({variant}; rows expected, columns predicted: "
                     "met / not_met / insufficient / n.a.)")
        for criterion, table in report[variant]["criterion_confusion"].items():
            cells = " | ".join(" ".join(f"{n:>3}" for n in table[s].values()) for s in table)
            lines.append(f"  {criterion:<34} {cells}")
        lines.append(f"reliability ({variant}): bin count mean_confidence accuracy")
        for b in report[variant]["reliability"]:
            if b["count"]:
                lines.append(f"  [{b['lower']:.1f}, {b['upper']:.1f})  {b['count']:>5}  "
                             f"{b['mean_confidence']:.3f}  {b['accuracy']:.3f}")
    for part, part_report in report.get("parts", {}).items():
        lines.append(f"\npart {part}: " + "; ".join(_summary(part_report[v], v) for v in variants))
    lines.append(f"\nmisses ({variants[0]}; field values only in --json output)")
    for miss in first["misses"]:
        what = ", ".join(i["name"] if i["kind"] == "field" else f"{i['name']} {i['expected']}->{i['predicted']}"
                         for i in miss["items"])
        lines.append(f"  {miss['file']}: {what}")
    failures = first["failures"]
    lines.append(f"\nfailures: {len(failures)}")
    lines += [f"  {f['file']}: {f['error']}" for f in failures]
    for variant in variants:
        for name in report[variant]["prior_car_t_but_no_prior_car_t_met"]:
            lines.append(f"  SAFETY ({variant}): {name} has prior CAR-T but no_prior_car_t came out met")
    return "\n".join(lines)
