"""Upload latency (POST /v1/documents -> 202) at 32 concurrent clients, p50/p99.

Baseline in the same run: one client uploading alone; the ratio p50(32)/p50(1) shows how
latency degrades under concurrency on this machine. The API runs without workers so only the
upload path (stream to blob store + fsync, sniff the type, one commit, enqueue) is measured.
`--api-workers 1 2` measures a fresh service with each number of API processes
(INTAKE_API_WORKERS) in the same run; more than one needs `--database-url` on PostgreSQL. Each
service gets a fresh database on that server (dropped afterwards): rows left by earlier runs would
otherwise be reconciled by the API process under test (no workers ever finish them) and cost it CPU.

    .venv/bin/python bench/upload_latency.py [--clients 32] [--uploads 320] [--database-url URL]
    .venv/bin/python bench/upload_latency.py --database-url postgresql+psycopg2://postgres@127.0.0.1/test \
        --api-workers 1 2
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_process import running_service  # noqa: E402

from intake.db.scratch import scratch_database  # noqa: E402


def packet(tag: str, pages: int = 2) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    for n in range(pages):
        c.drawString(72, 720, "Prior Authorization Request - Cellular Therapy (synthetic)")
        c.drawString(72, 100, f"Reference {tag} page {n + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


@contextmanager
def fresh_database(url: str | None) -> Iterator[str | None]:
    """A new, empty database on the PostgreSQL server of `url` for one run (SQLite: the service's own)."""
    if not url or url.startswith("sqlite"):
        yield url
        return
    with scratch_database(url, "bench_upload") as fresh:
        yield fresh


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(base_url: str, key: str, clients: int, uploads: int, tag: str) -> list[float]:
    files = [packet(f"{tag}-{i}") for i in range(uploads)]

    def one_client(index: int) -> list[float]:
        latencies = []
        with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=60) as client:
            for data in files[index::clients]:
                started = time.perf_counter()
                response = client.post("/v1/documents", files={"file": ("p.pdf", data)})
                latencies.append(time.perf_counter() - started)
                if response.status_code != 202:
                    raise RuntimeError(f"upload answered {response.status_code}")
        return latencies

    with ThreadPoolExecutor(clients) as pool:
        return [lat for batch in pool.map(one_client, range(clients)) for lat in batch]


def latency_figures(clients: int, uploads: int, single_uploads: int = 40,
                    database_url: str | None = None, api_workers: int = 1) -> dict[str, float]:
    """p50/p99 (ms) of one client alone and of `clients` concurrent clients, on a fresh API
    without workers (bench/throughput.py reports them too)."""
    run = f"api{api_workers}-{time.time_ns()}"  # unique bytes: a repeat would be answered 200, not stored
    with fresh_database(database_url) as url, \
            running_service(workers=0, database_url=url, api_workers=api_workers) as (base_url, key):
        measure(base_url, key, 4, 16, f"warmup-{run}")
        baseline = measure(base_url, key, 1, single_uploads, f"single-{run}")
        started = time.perf_counter()
        loaded = measure(base_url, key, clients, uploads, f"concurrent-{run}")
        wall = time.perf_counter() - started
    return {"clients": clients, "api_workers": api_workers, "uploads": len(loaded),
            "p50_ms_1": round(statistics.median(baseline) * 1000, 1),
            "p99_ms_1": round(percentile(baseline, 0.99) * 1000, 1),
            "p50_ms_n": round(percentile(loaded, 0.5) * 1000, 1),
            "p99_ms_n": round(percentile(loaded, 0.99) * 1000, 1),
            "uploads_per_second_n": round(len(loaded) / wall, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--uploads", type=int, default=320)
    parser.add_argument("--database-url")
    parser.add_argument("--api-workers", type=int, nargs="+", default=[1], metavar="N",
                        help="API processes; several numbers: one fresh service each, in this run")
    args = parser.parse_args()
    for api_workers in args.api_workers:
        f = latency_figures(args.clients, args.uploads, database_url=args.database_url, api_workers=api_workers)
        print(f"{api_workers} API process(es), 1 client:    p50 {f['p50_ms_1']:.1f} ms  p99 {f['p99_ms_1']:.1f} ms")
        print(f"{api_workers} API process(es), {args.clients} clients: p50 {f['p50_ms_n']:.1f} ms  "
              f"p99 {f['p99_ms_n']:.1f} ms  ({f['uploads']} uploads, {f['uploads_per_second_n']:.0f} uploads/s)")
        print(f"{api_workers} API process(es), ratio p50({args.clients})/p50(1): "
              f"{f['p50_ms_n'] / f['p50_ms_1']:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
