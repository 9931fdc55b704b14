"""CPU seconds per page along the worker's path, stage by stage, without the service around it.

Each packet goes through what the service's jobs run (intake/jobs.py): the page count (the
`process` job), then per page the stored bytes opened again and the page read
(`Assessor.read_page`) and its upright image encoded as PNG (the `read_page` job), then the
packet analyzed (`finish_document`). CPU is this process's plus its children's (Tesseract
subprocesses), so the pytesseract engine is counted too. `--profile FILE` also writes a cProfile
of the whole run (read it with `python -m pstats FILE`).

    .venv/bin/python bench/page_cpu.py samples/eval-004.tif samples/eval-006.tif [--repeat 3]
"""
from __future__ import annotations

import argparse
import cProfile
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from assessment.pipeline import Assessor  # noqa: E402
from intake.jobs import page_png  # noqa: E402
from intake.settings import Settings  # noqa: E402
from ocr_engines import _cpu_seconds  # noqa: E402  (this process's and its children's CPU)

STAGES = ("page_count", "read_page", "png", "analyze")


def worker_path(assessor: Assessor, data: bytes, source: str) -> tuple[int, dict[str, float]]:
    """(pages, CPU seconds per stage) of one packet read as the service's jobs read it."""
    spent = dict.fromkeys(STAGES, 0.0)
    mark = _cpu_seconds()

    def lap(stage: str) -> None:
        nonlocal mark
        now = _cpu_seconds()
        spent[stage] += now - mark
        mark = now

    count = assessor.page_count(data)
    lap("page_count")
    pages = []
    for index in range(count):
        reading = assessor.read_page(data, index)
        lap("read_page")
        if reading.image is not None:
            page_png(reading.image)
        lap("png")
        pages.append(reading.page)
    assessor.analyze(pages, source)
    lap("analyze")
    return count, spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--repeat", type=int, default=3, help="runs over all files; medians are reported")
    parser.add_argument("--profile", type=Path, help="write a cProfile of all runs here")
    args = parser.parse_args()
    assessor = Assessor(Settings().assessment_config())  # built once, as a worker does before forking
    packets = [(path.read_bytes(), str(path)) for path in args.files]
    worker_path(assessor, *packets[0])  # warm: lazy models and caches, as in a worker that has run a job
    profiler = cProfile.Profile() if args.profile else None
    runs = []
    for _ in range(args.repeat):
        if profiler:
            profiler.enable()
        pages, totals = 0, dict.fromkeys(STAGES, 0.0)
        for data, source in packets:
            count, spent = worker_path(assessor, data, source)
            pages += count
            totals = {stage: totals[stage] + spent[stage] for stage in STAGES}
        if profiler:
            profiler.disable()
        runs.append({stage: totals[stage] / pages for stage in STAGES} | {"total": sum(totals.values()) / pages})
    median = {key: round(statistics.median(run[key] for run in runs), 3) for key in runs[0]}
    print(json.dumps({"engine": assessor.engine.name, "files": len(packets), "pages": pages,
                      "cpu_seconds_per_page_median": median,
                      "totals_per_run": [round(run["total"], 3) for run in runs]}, indent=2))
    if profiler:
        profiler.dump_stats(str(args.profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
