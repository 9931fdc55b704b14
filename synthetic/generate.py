"""CLI: python -m synthetic.generate --split eval --count 30 --seed 2026 --out samples/

Same split, seed and count give the same truth.jsonl and the same files. Train packets are for
tuning and go outside samples/ (e.g. data/train-packets); eval packets are the committed set.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from synthetic.packets import build_packet, write_packet
from synthetic.phrasings import SPLITS


def generate(split: str, count: int, seed: int, out_dir: Path) -> list[dict]:
    records = [write_packet(build_packet(split, seed, i), out_dir, f"{split}-{i + 1:03d}") for i in range(count)]
    with open(out_dir / "truth.jsonl", "w") as fh:
        for record in records:
            fh.write(json.dumps(record, sort_keys=True) + "\n")
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthetic.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, required=True)
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    records = generate(args.split, args.count, args.seed, args.out)
    print(f"wrote {len(records)} {args.split} packets and truth.jsonl to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
