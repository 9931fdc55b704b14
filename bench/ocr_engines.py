"""Pages/min of each OCR engine (INTAKE_OCR_ENGINE) reading the same packets, in one run.

Every page of every packet is read as a worker reads it (extraction.pages.read_page: text layer,
or orientation, OCR, re-reading doubtful lines and circled answers), by `--processes` processes
that each build the engine once, as the service's workers do. Engines take turns on the same
pages; the ratio is against the first engine listed. Accuracy is `intake evaluate --ocr-engine`.
`measure_engine_alone` times the engine by itself on the same page images (bench/throughput.py).

    .venv/bin/python bench/ocr_engines.py samples/ [corpus/blind/test-4] [--processes 2]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from extraction.documents import open_document  # noqa: E402
from extraction.limits import Limits  # noqa: E402
from extraction.ocr import ENGINE_NAMES, OcrEngine, build_engine  # noqa: E402
from extraction.pages import has_real_text, read_page  # noqa: E402
from intake.commands.evaluate import load_part  # noqa: E402

_engine: OcrEngine | None = None  # one per bench process, like one per worker process


def _start(name: str) -> None:
    global _engine
    _engine = build_engine(name)


def _read_packet(path: str) -> tuple[int, int, float]:
    """(pages, pages read by OCR, CPU seconds spent on them, tesseract subprocesses included)"""
    assert _engine is not None
    cpu = _cpu_seconds()
    with open_document(Path(path).read_bytes(), Limits()) as doc:
        methods = [read_page(doc, i, _engine).page.method for i in range(doc.page_count)]
    return len(methods), methods.count("ocr"), _cpu_seconds() - cpu


def _cpu_seconds() -> float:
    user, system, children_user, children_system, _ = os.times()
    return user + system + children_user + children_system


def measure(name: str, paths: list[str], processes: int) -> dict[str, float]:
    with ProcessPoolExecutor(processes, initializer=_start, initargs=(name,)) as pool:
        list(pool.map(_read_packet, paths[:processes]))  # warm: models loaded, caches filled
        started = time.perf_counter()
        counts = list(pool.map(_read_packet, paths))
        wall = time.perf_counter() - started
    pages = sum(c[0] for c in counts)
    return {"pages": pages, "ocr_pages": sum(c[1] for c in counts), "wall_seconds": round(wall, 2),
            "pages_per_minute": round(pages * 60 / wall, 1),
            "cpu_seconds_per_page": round(sum(c[2] for c in counts) / pages, 3)}


def ocr_pages(paths: list[str]) -> list[tuple[str, int]]:
    """(packet, page index) of every page the service reads by OCR: those without a real text layer."""
    found = []
    for path in paths:
        with open_document(Path(path).read_bytes(), Limits()) as doc:
            for index in range(doc.page_count):
                layer = doc.text_layer(index)
                if layer is None or not has_real_text(layer.words):
                    found.append((path, index))
    return found


def _recognize(page: tuple[str, int]) -> tuple[float, float]:
    """(wall, CPU) seconds of the engine alone reading one page image: the page is rasterized at
    its native resolution first (not counted), then read once (no orientation, no re-reads)."""
    assert _engine is not None
    path, index = page
    with open_document(Path(path).read_bytes(), Limits()) as doc:
        raster = doc.raster(index)
    cpu, started = _cpu_seconds(), time.perf_counter()
    _engine.read_words(raster.image, raster.dpi)
    return time.perf_counter() - started, _cpu_seconds() - cpu


def measure_engine_alone(name: str, paths: list[str], processes: int) -> dict[str, float]:
    """The engine by itself on the same page images, `processes` processes each with one engine:
    pages/min from the engine's own busy time (rasterizing, which the engine does not do, is left out)."""
    pages = ocr_pages(paths)
    with ProcessPoolExecutor(processes, initializer=_start, initargs=(name,)) as pool:
        list(pool.map(_recognize, pages[:processes]))  # warm: models loaded
        timings = list(pool.map(_recognize, pages))
    busy = sum(t[0] for t in timings) / processes
    return {"pages": len(pages), "engine_busy_seconds": round(busy, 2),
            "pages_per_minute": round(len(pages) * 60 / busy, 1) if busy else 0.0,
            "cpu_seconds_per_page": round(sum(t[1] for t in timings) / max(1, len(pages)), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directories", type=Path, nargs="+", metavar="DIR")
    parser.add_argument("--split", default=None, help="split of a truth.jsonl (default: eval)")
    parser.add_argument("--engines", nargs="+", choices=ENGINE_NAMES, default=list(ENGINE_NAMES))
    parser.add_argument("--processes", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--render-dir", type=Path, default=Path("data/corpus-render"))
    parser.add_argument("--packets", type=int, help="only the first N packets of each part")
    parser.add_argument("--json", type=Path, dest="json_out", help="write the figures here too")
    args = parser.parse_args()
    report: dict[str, object] = {"processes": args.processes, "parts": {}}
    for directory in args.directories:
        folder, rows = load_part(directory, args.split, args.render_dir)
        paths = [str(folder / row["file"]) for row in rows][:args.packets]
        figures = {name: measure(name, paths, args.processes) for name in args.engines}
        base = figures[args.engines[0]]["pages_per_minute"]
        for name in args.engines:
            figures[name]["ratio"] = round(figures[name]["pages_per_minute"] / base, 2)
            f = figures[name]
            print(f"{directory.name}: {name:<10} {f['pages']} pages ({f['ocr_pages']} OCR) in {f['wall_seconds']}s"
                  f" = {f['pages_per_minute']} pages/min, {f['cpu_seconds_per_page']} CPU s/page,"
                  f" x{f['ratio']} vs {args.engines[0]}")
        report["parts"][directory.name] = figures  # type: ignore[index]
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
