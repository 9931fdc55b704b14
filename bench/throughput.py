"""OCR throughput of the service against the engine's own limit, in one run (issue 10).

On the packets of samples/ (split eval) and on a generated dense fax packet (50 pages; every
page is OCR), the same run measures:

  service     `intake serve` end to end with 1 and 2 workers: first upload -> last final status,
              CPU seconds of its whole process tree, worker (and work horse) peak RSS (VmHWM)
  engine      the chosen engine (INTAKE_OCR_ENGINE, or --engine) alone on the same page images,
              as many processes as workers (bench/ocr_engines.py measure_engine_alone)
  ocrmypdf    `ocrmypdf --jobs 2` on the same packets, when it is installed (skipped otherwise)
  uploads     POST /v1/documents p50/p99 at 1 and 32 clients (bench/upload_latency.py)

and prints pages/min, the ratios of the issue's "Done when" (service/engine pages/min on the same
OCR pages, the share of a faxed page's CPU spent outside the engine, 2-worker/1-worker latency on
the dense packet), worker peak RSS and upload p50/p99; the figures go to bench/results/ as JSON.

    .venv/bin/python bench/throughput.py            # all of samples/, a 50-page packet
    .venv/bin/python bench/throughput.py --quick    # 6 samples packets, a 20-page packet: minutes
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from intake.commands.evaluate import load_part  # noqa: E402
from intake.settings import Settings  # noqa: E402
from ocr_engines import measure_engine_alone  # noqa: E402
from process_tree import peak_rss_mb, serve_processes  # noqa: E402
from serve_process import serve_process  # noqa: E402
from upload_latency import latency_figures  # noqa: E402
from worker_scaling import LINES, fax_packet, packet_seconds_on  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DENSE_LINES = LINES * 7  # 42 lines of text per page: a dense faxed page
FINAL = ("ready_for_review", "failed")
TARGETS = {"service_vs_engine": ">= 0.85", "outside_engine_cpu_share": "<= 0.10",
           "outside_engine_cpu_seconds_per_page": "-", "two_over_one_dense_latency": "<= 0.55",
           "worker_peak_rss_mb": "<= 400", "upload_p99_ms_32": "<= 50"}


class TreeWatch:
    """CPU seconds of `intake serve` and everything below it, and the peak RSS of its workers and
    work horses, sampled from /proc while a measurement runs."""

    def __init__(self, serve_pid: int, interval: float = 0.5) -> None:
        self.serve_pid, self.interval = serve_pid, interval
        self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def cpu_seconds(self) -> float:
        total = 0.0
        for process in serve_processes(self.serve_pid):
            try:
                t = psutil.Process(process.pid).cpu_times()
            except psutil.Error:
                continue  # gone: its parent has it in children_* once reaped
            total += t.user + t.system + t.children_user + t.children_system
        return total

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            for process in serve_processes(self.serve_pid):
                if process.role in ("worker", "horse"):
                    self.peak_rss_mb = max(self.peak_rss_mb, peak_rss_mb(process.pid) or 0.0)

    def __enter__(self) -> "TreeWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_packets(base_url: str, key: str, paths: list[Path]) -> dict[str, float]:
    """Upload every packet, wait for all to be final: pages, OCR pages, wall seconds."""
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=60) as client:
        started = time.perf_counter()
        urls = []
        for path in paths:
            response = client.post("/v1/documents", files={"file": (path.name, path.read_bytes())})
            response.raise_for_status()
            urls.append(response.json()["status_url"])
        docs: dict[str, dict] = {}
        while len(docs) < len(urls):
            for url in urls:
                if url not in docs and (doc := client.get(url).json())["status"] in FINAL:
                    docs[url] = doc
            time.sleep(0.25)
        wall = time.perf_counter() - started
    details = [p for d in docs.values() if d["result"] for p in d["result"]["page_details"]]
    failed = sum(d["status"] == "failed" for d in docs.values())
    return {"packets": len(paths), "failed": failed, "pages": sum(d["page_count"] or 0 for d in docs.values()),
            "ocr_pages": sum(p["method"] == "ocr" for p in details), "wall_seconds": round(wall, 2)}


def service_run(workers: int, samples: list[Path], dense: bytes, dense_pages: int) -> dict[str, object]:
    with serve_process(workers) as service, TreeWatch(service.process.pid) as watch:
        cpu = watch.cpu_seconds()
        run = run_packets(service.base_url, service.api_key, samples)
        run["cpu_seconds"] = round(watch.cpu_seconds() - cpu, 1)
        run["pages_per_minute"] = round(run["pages"] * 60 / run["wall_seconds"], 1)
        run["ocr_pages_per_minute"] = round(run["ocr_pages"] * 60 / run["wall_seconds"], 1)
        cpu = watch.cpu_seconds()
        latency, _ = packet_seconds_on(service.base_url, service.api_key, workers, dense)
        dense_cpu = watch.cpu_seconds() - cpu
    return {"workers": workers, "samples": run,
            "dense": {"pages": dense_pages, "latency_seconds": round(latency, 2),
                      "cpu_seconds_per_page": round(dense_cpu / dense_pages, 3)},
            "worker_peak_rss_mb": round(watch.peak_rss_mb, 1)}


def ocrmypdf_run(paths: list[Path], pages: int) -> dict[str, object]:
    executable = shutil.which("ocrmypdf")
    if executable is None:
        return {"skipped": "ocrmypdf is not installed"}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        for path in paths:
            subprocess.run([executable, "--jobs", "2", "--force-ocr", "--quiet", str(path), str(Path(tmp) / "out.pdf")],
                           check=False, capture_output=True)
        wall = time.perf_counter() - started
    return {"packets": len(paths), "wall_seconds": round(wall, 2), "pages_per_minute": round(pages * 60 / wall, 1)}


def done_when_ratios(service: dict, engine_alone: dict, uploads: dict) -> dict[str, float]:
    two, one, alone = service[2], service[1], engine_alone
    return {
        # OCR pages per minute of the whole service (its text-layer pages and analysis count in its
        # time) against the engine alone on the same OCR page images, as many processes as workers
        "service_vs_engine": round(two["samples"]["ocr_pages_per_minute"] / alone["samples"]["pages_per_minute"], 2),
        # 1 worker: the service's CPU per dense faxed page that the engine alone does not spend
        "outside_engine_cpu_share": round(1 - alone["dense"]["cpu_seconds_per_page"]
                                          / one["dense"]["cpu_seconds_per_page"], 2),
        "outside_engine_cpu_seconds_per_page": round(one["dense"]["cpu_seconds_per_page"]
                                                     - alone["dense"]["cpu_seconds_per_page"], 3),
        "two_over_one_dense_latency": round(two["dense"]["latency_seconds"] / one["dense"]["latency_seconds"], 2),
        "worker_peak_rss_mb": max(one["worker_peak_rss_mb"], two["worker_peak_rss_mb"]),
        "upload_p99_ms_32": uploads["p99_ms_n"],
    }


def print_report(engine: str, service: dict, engine_alone: dict, ocrmypdf: dict, uploads: dict,
                 ratios: dict[str, float]) -> None:
    for w, run in service.items():
        s, d = run["samples"], run["dense"]
        print(f"service, {w} worker(s): samples {s['pages']} pages ({s['ocr_pages']} OCR, {s['failed']} packets "
              f"failed) in {s['wall_seconds']} s = {s['pages_per_minute']} pages/min "
              f"({s['ocr_pages_per_minute']} OCR pages/min), {s['cpu_seconds']} CPU s; dense {d['pages']} pages "
              f"in {d['latency_seconds']} s, {d['cpu_seconds_per_page']} CPU s/page; "
              f"worker peak RSS {run['worker_peak_rss_mb']} MB")
    for part, f in engine_alone.items():
        print(f"engine {engine} alone, 2 processes, {part}: {f['pages']} OCR pages = {f['pages_per_minute']} "
              f"pages/min, {f['cpu_seconds_per_page']} CPU s/page")
    if "skipped" in ocrmypdf:
        print(f"ocrmypdf --jobs 2: skipped, {ocrmypdf['skipped']}")
    else:
        print(f"ocrmypdf --jobs 2: {ocrmypdf['packets']} packets in {ocrmypdf['wall_seconds']} s = "
              f"{ocrmypdf['pages_per_minute']} pages/min")
    print(f"uploads: 1 client p50 {uploads['p50_ms_1']} ms p99 {uploads['p99_ms_1']} ms; "
          f"32 clients p50 {uploads['p50_ms_n']} ms p99 {uploads['p99_ms_n']} ms")
    for name, value in ratios.items():
        print(f"{name}: {value} (target {TARGETS[name]})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 samples packets and a 20-page dense packet")
    parser.add_argument("--samples", type=Path, default=REPO / "samples")
    parser.add_argument("--engine", choices=("tesseract", "tesserocr"),
                        help="OCR engine for the service and the engine-alone run (default: INTAKE_OCR_ENGINE)")
    parser.add_argument("--render-dir", type=Path, default=REPO / "data" / "corpus-render")
    args = parser.parse_args()
    if args.engine:
        os.environ["INTAKE_OCR_ENGINE"] = args.engine  # the service's processes inherit it
    engine = Settings().ocr_engine
    folder, rows = load_part(args.samples, "eval", args.render_dir)
    samples = [folder / row["file"] for row in rows][:6 if args.quick else None]
    dense_pages = 20 if args.quick else 50
    with tempfile.TemporaryDirectory() as tmp:
        dense_path = Path(tmp) / "dense-fax.pdf"
        dense_path.write_bytes(fax_packet(dense_pages, "throughput", DENSE_LINES))
        print(f"engine {engine}; {len(samples)} samples packets, a {dense_pages}-page dense fax packet", flush=True)
        service = {w: service_run(w, samples, dense_path.read_bytes(), dense_pages) for w in (1, 2)}
        engine_alone = {"samples": measure_engine_alone(engine, [str(p) for p in samples], 2),
                        "dense": measure_engine_alone(engine, [str(dense_path)], 2)}
        ocrmypdf = ocrmypdf_run(samples, service[1]["samples"]["pages"])
    uploads = latency_figures(32, 160 if args.quick else 320, 20 if args.quick else 40)

    ratios = done_when_ratios(service, engine_alone, uploads)
    print_report(engine, service, engine_alone, ocrmypdf, uploads, ratios)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"throughput{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps({"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                               "engine": engine, "quick": args.quick, "cpus": os.cpu_count(),
                               "service": service, "engine_alone": engine_alone, "ocrmypdf": ocrmypdf,
                               "uploads": uploads, "ratios": ratios, "targets": TARGETS}, indent=2) + "\n",
                   encoding="utf-8")
    print(f"saved {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
