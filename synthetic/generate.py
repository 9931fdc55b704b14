"""CLI: python -m synthetic.generate --split eval --count 30 --seed 2026 --out samples/

Same split, policy, seed and count give the same truth rows and the same files. Train packets are
for tuning and go outside samples/ (e.g. data/train-packets); eval packets are the committed set.

Without --policy: the original set, requesting the default policy's product (Aucatzyl, Q2058) with
its hard cases, files `eval-NNN`, rows naming no policy (byte for byte what it has always been).
With --policy ID (an id of `intake policies list`): packets requesting that policy's product
(brand, INN and HCPCS code from its file) whose truth follows that policy's criteria, with hard cases
chosen so each criterion comes out met, not met and undetermined in a small set; split and files are
named after the policy file (`eval-kymriah`, `eval-kymriah-001.pdf`) and every row names the policy.

OUT/truth.jsonl keeps the rows of other splits: this split's rows replace its old ones in place (or
are appended), so several sets share one folder and truth file (samples/).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from synthetic.packets import build_packet, set_name, write_packet
from synthetic.phrasings import SPLITS
from synthetic.policy_profile import load_profile, policy_ids


def generate(split: str, count: int, seed: int, out_dir: Path, policy: str | None = None) -> list[dict]:
    profile = load_profile(policy) if policy else None
    name = set_name(split, profile)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = [write_packet(build_packet(split, seed, i, profile), out_dir, f"{name}-{i + 1:03d}")
               for i in range(count)]
    write_truth(out_dir / "truth.jsonl", name, records)
    return records


def write_truth(path: Path, split: str, records: list[dict]) -> None:
    """`records` become `split`'s rows of the truth file, where its old rows stood; other rows stay."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if path.exists() else []
    first = next((i for i, row in enumerate(rows) if row.get("split") == split), None)
    kept = [row for row in rows if row.get("split") != split]
    at = len(kept) if first is None else sum(1 for row in rows[:first] if row.get("split") != split)
    with open(path, "w") as fh:
        for record in kept[:at] + records + kept[at:]:
            fh.write(json.dumps(record, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthetic.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, required=True)
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--policy", choices=policy_ids(), default=None,
                        help="packets requesting this policy's product, judged by its criteria "
                             "(default: the original set, judged by the default policy)")
    args = parser.parse_args(argv)
    records = generate(args.split, args.count, args.seed, args.out, args.policy)
    print(f"wrote {len(records)} {records[0]['split'] if records else args.split} packets "
          f"and their truth.jsonl rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
