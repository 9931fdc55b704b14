"""`intake assertions FILE [--rows A:B] [--errors]`: score the assertion rules on an annotated set.

FILE is the NegEx/ConText test set format (tab-separated, header line; columns: number, condition,
sentence, Affirmed/Negated, Recent/Historical/Not particular, Patient/other experiencer). Each
condition is classified in its sentence by extraction.assertions (the rules the packet pipeline
runs). Prints negation accuracy, negated recall/precision/F, historical and other-experiencer
precision/recall/F, then one summary line starting with `assertions:`.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("assertions", help="score negation/temporality/experiencer on a test set")
    parser.add_argument("file", type=Path, metavar="FILE", help="NegEx/ConText annotation file (TSV)")
    parser.add_argument("--rows", default=None, metavar="A:B",
                        help="score rows A..B-1 only (0-based, header excluded), e.g. 0:1188")
    parser.add_argument("--errors", action="store_true", help="list every negation error")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from extraction.assertions import PhraseClassifier
    from quality.metrics import binary_scores

    try:
        with open(args.file, encoding="utf-8", newline="") as handle:
            rows = [r for r in csv.reader(handle, delimiter="\t")][1:]
    except OSError as exc:
        print(f"intake assertions: {args.file}: {exc}", file=sys.stderr)
        return 2
    if args.rows:
        first, last = (int(x) if x else None for x in args.rows.split(":"))
        rows = rows[first:last]
    rows = [r for r in rows if len(r) >= 6]
    if not rows:
        print(f"intake assertions: {args.file}: no annotated rows", file=sys.stderr)
        return 2
    classifier = PhraseClassifier()
    negation, historical, other = [], [], []
    not_found = 0
    for number, condition, sentence, negation_status, temporality, experiencer, *_ in rows:
        found = classifier.classify(sentence, condition)
        if found is None:
            not_found += 1
        negated = bool(found and found.negated)
        expected_negated = negation_status.strip().lower() == "negated"
        negation.append((negated, expected_negated))
        historical.append((bool(found and found.historical), temporality.strip().lower() == "historical"))
        other.append((bool(found and found.other_person), experiencer.strip().lower() != "patient"))
        if args.errors and negated != expected_negated:
            cues = ", ".join(found.cues) if found else "phrase not found"
            print(f"{'FP' if negated else 'FN'} {number}: [{condition}] {sentence.strip()[:160]} ({cues})")
    accuracy = sum(p == e for p, e in negation) / len(negation)
    neg, hist, oth = binary_scores(negation), binary_scores(historical), binary_scores(other)

    def show(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    print(f"sentences {len(rows)} (condition not found in the sentence: {not_found})")
    print(f"negation accuracy {show(accuracy)}")
    for name, scores in (("negated", neg), ("historical", hist), ("other experiencer", oth)):
        print(f"{name:18} precision {show(scores.precision)}  recall {show(scores.recall)}  F {show(scores.f1)}"
              f"  (tp {scores.true_positive}, fp {scores.false_positive}, fn {scores.false_negative})")
    print(f"assertions: negation_accuracy={show(accuracy)} negated_recall={show(neg.recall)} "
          f"negated_precision={show(neg.precision)} historical_f={show(hist.f1)} other_f={show(oth.f1)}")
    return 0
