"""Does a speed change alter what is extracted? Record, then compare, the extraction of packets.

`--save FILE` writes, per packet, the extraction contract without its timings (fields with
values, confidences and evidence, criteria, recommendation, page details) and a digest of every
page's OCR words (text, box, confidence); `--against FILE` extracts again and prints each
difference, exiting 1 if there is any. Pages are read as the service reads them (one page at a
time, the document opened per page, `Assessor.read_page`), then analyzed once (`analyze`).

    .venv/bin/python bench/extract_compare.py samples/eval-00[1-6]* --save /tmp/before.json
    .venv/bin/python bench/extract_compare.py samples/eval-00[1-6]* --against /tmp/before.json
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from assessment.pipeline import Assessor  # noqa: E402
from extraction.models import Page  # noqa: E402
from intake.settings import Settings  # noqa: E402


def words_digest(page: Page) -> str:
    rows = [f"{w.text}\t{w.bbox.as_list()}\t{w.confidence:.4f}\t{w.line}\t{w.circled}" for w in page.words]
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def extraction_of(assessor: Assessor, path: Path) -> dict[str, object]:
    data = path.read_bytes()
    pages = [assessor.read_page(data, index).page for index in range(assessor.page_count(data))]
    out = assessor.analyze(pages, str(path)).to_dict()
    out.pop("seconds")
    for detail in out["page_details"]:
        detail.pop("seconds")
    out["page_words"] = [words_digest(page) for page in pages]
    out["page_checkboxes"] = [[(c.bbox.as_list(), c.checked, c.fill_ratio) for c in page.checkboxes]
                              for page in pages]
    return json.loads(json.dumps(out, default=str))


def differences(before: object, after: object, where: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        return [d for key in sorted(set(before) | set(after), key=str)
                for d in differences(before.get(key, "<absent>"), after.get(key, "<absent>"), f"{where}.{key}")]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [d for i, (b, a) in enumerate(zip(before, after)) for d in differences(b, a, f"{where}[{i}]")]
    return [] if before == after else [f"{where}: {before!r} -> {after!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, metavar="FILE")
    mode.add_argument("--against", type=Path, metavar="FILE")
    args = parser.parse_args()
    assessor = Assessor(Settings().assessment_config())
    results = {path.name: extraction_of(assessor, path) for path in args.files}
    if args.save:
        args.save.write_text(json.dumps({"engine": assessor.engine.name, "packets": results}, indent=1),
                             encoding="utf-8")
        print(f"saved {len(results)} packets ({assessor.engine.name}) to {args.save}")
        return 0
    recorded = json.loads(args.against.read_text(encoding="utf-8"))["packets"]
    found = differences(recorded, results)
    for line in found:
        print(line)
    print(f"{len(results)} packets ({assessor.engine.name}): {len(found)} differences")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
