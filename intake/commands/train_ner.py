"""`intake train-ner`: train the packaged NER model on the synthetic corpus (reproducible)."""
from __future__ import annotations

import argparse
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train-ner", help="train the NER model on synthetic packets")
    parser.add_argument("--out", help="model directory (default: models/ner, the packaged model)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--examples", type=int, default=400, help="training passages (pages)")
    parser.add_argument("--iterations", type=int, default=10)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from extraction.ner_training import train_ner  # spaCy loads only for this command
    from extraction.nlp import PACKAGED_NER_MODEL
    from synthetic.corpus import annotated_texts

    started = time.perf_counter()
    corpus = annotated_texts(split="train", count=args.examples, seed=args.seed)
    report = train_ner(args.out or str(PACKAGED_NER_MODEL), corpus, seed=args.seed, iterations=args.iterations)
    print(f"trained on {report.examples} passages ({report.dropped_spans} spans off token boundaries dropped), "
          f"final loss {report.final_loss:.1f}, {time.perf_counter() - started:.0f}s -> {report.output_dir}")
    return 0
