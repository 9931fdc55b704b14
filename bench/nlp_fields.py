"""How long does extract_fields take on a packet, and what does the trained NER cost?

Renders synthetic packets as digital PDFs (text layer, so no OCR time), reads their pages,
then times per packet: tokenization alone (the baseline), extract_fields with the rules-only
pipeline, and extract_fields with the packaged NER. Prints seconds and ratios against the
baseline measured in this same run, plus field agreement with the packets' ground truth.

    .venv/bin/python bench/nlp_fields.py [--packets 10] [--split eval]
"""
from __future__ import annotations

import argparse
import time

from extraction.documents import open_document
from extraction.fields import extract_fields
from extraction.limits import Limits
from extraction.nlp import NlpConfig, build_pipeline
from extraction.ocr import TesseractEngine
from extraction.pages import read_pages
from extraction.text import PacketText
from synthetic.packets import build_packet
from synthetic.render import render_pdf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packets", type=int, default=10)
    parser.add_argument("--split", default="eval")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    packets = []
    for index in range(args.packets):
        packet = build_packet(args.split, args.seed, index)
        doc = open_document(render_pdf(packet.pages), Limits())
        pages = [reading.page for reading in read_pages(doc, TesseractEngine(), max_workers=1)]
        packets.append((pages, packet.case.truth_fields()))

    started = time.perf_counter()
    rules_only = build_pipeline(NlpConfig(ner_model=None))
    build_rules = time.perf_counter() - started
    started = time.perf_counter()
    with_ner = build_pipeline(NlpConfig())
    build_ner = time.perf_counter() - started

    def timed(run) -> tuple[float, list]:
        outputs, begin = [], time.perf_counter()
        for pages, _ in packets:
            outputs.append(run(pages))
        return (time.perf_counter() - begin) / len(packets), outputs

    baseline, _ = timed(lambda pages: rules_only.make_doc(PacketText.from_pages(pages).text))
    rules_seconds, rules_fields = timed(lambda pages: extract_fields(pages, rules_only))
    ner_seconds, ner_fields = timed(lambda pages: extract_fields(pages, with_ner))

    pages_per_packet = sum(len(p) for p, _ in packets) / len(packets)
    print(f"{len(packets)} packets, {pages_per_packet:.1f} pages each; pipeline build: rules {build_rules:.2f}s, "
          f"with NER {build_ner:.2f}s")
    print(f"{'variant':24s} {'s/packet':>9s} {'x tokenize':>10s} {'fields right':>12s}")
    for name, seconds, fields in (("tokenize only", baseline, None), ("rules only", rules_seconds, rules_fields),
                                  ("rules + trained NER", ner_seconds, ner_fields)):
        score = "" if fields is None else f"{_agreement(fields, [t for _, t in packets]):.3f}"
        print(f"{name:24s} {seconds:9.3f} {seconds / baseline:10.1f} {score:>12s}")


def _agreement(all_fields, truths) -> float:
    right = total = 0
    for fields, truth in zip(all_fields, truths):
        for name, expected in truth.items():
            got = fields[name].value
            right += (sorted(got or []) == sorted(expected)) if isinstance(expected, list) else got == expected
            total += 1
    return right / total


if __name__ == "__main__":
    main()
