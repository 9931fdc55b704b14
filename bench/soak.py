"""Bounded soak: N uploads over a fixed time against a real `intake serve` on loopback (API, RQ
workers, its embedded Redis, SQLite or --database-url), while a worker, a work horse and the
Redis server are SIGKILLed at random moments; then the queue must drain.

The service runs with the settings it ships with (lease, reconciler, retries), unless INTAKE_*
variables in the environment say otherwise. Uploads are a synthetic mix (bench/soak_packets.py):
text-layer PDFs, some faxed pages, bad files failing in the worker and bad files refused at
upload. A gateway's behaviour is copied: an upload without an answer, or answered 5xx, is sent
again (the same bytes are the same document, so a retry never makes a second one).

It prints and saves (JSON, default bench/results/soak.json):
  accepted            uploads answered 202/200 with a document id
  processed once      ready_for_review with one `finished` event and one `page_done` per page
  failed by code      documents that ended `failed`, per error code; refusals at upload, per code
  lost                accepted documents not final when the drain ended (must be 0)
  duplicated          documents with a second finished/failed event, or a page read twice (must be 0)
  unexpected          an outcome other than its file's (a good packet failed, a bad one accepted...)
  peak RSS            per role: API (`intake serve`), workers, work horses, Redis
and exits 1 if lost, duplicated or unexpected is not 0.

    .venv/bin/python bench/soak.py [--uploads 1000] [--duration 600] [--kills 3] [--workers 2]
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from intake.db.models import FINAL_STATUSES, Document, DocumentPage, DocumentStatus, Event  # noqa: E402
from intake.db.session import make_engine, make_sessionmaker, session_scope  # noqa: E402
from serve_process import BenchService, serve_process  # noqa: E402
from soak_faults import FaultInjector, Kill, RssSampler, plan_kills  # noqa: E402
from soak_packets import SoakPacket, make_packets  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
UPLOAD_ATTEMPTS = 6
UPLOAD_RETRY_SECONDS = 2.0
UPLOAD_TIMEOUT_SECONDS = 60.0
DRAIN_POLL_SECONDS = 2.0
PROGRESS_SECONDS = 30.0


@dataclass
class UploadOutcome:
    index: int
    kind: str
    http_status: int | None  # None: no answer after every attempt
    document_id: str | None = None
    error_code: str | None = None  # the refusal's code
    attempts: int = 0


@dataclass
class DocumentOutcome:
    status: str
    error_code: str | None
    page_count: int | None
    pages_done: int
    events: Counter[str]

    @property
    def duplicated(self) -> bool:
        finished, failed = self.events["finished"], self.events["failed"]
        return (finished > 1 or failed > 1 or (finished and failed)
                or self.events["page_done"] > (self.page_count or 0))

    @property
    def processed_once(self) -> bool:
        return (self.status == DocumentStatus.READY_FOR_REVIEW and self.events["finished"] == 1
                and not self.events["failed"] and self.page_count is not None
                and self.pages_done == self.events["page_done"] == self.page_count)


@dataclass
class SoakReport:
    config: dict[str, object]
    accepted: int = 0
    processed_once: int = 0
    failed_by_code: dict[str, int] = field(default_factory=dict)
    refused_at_upload_by_code: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    duplicated: int = 0
    unexpected: int = 0
    uploads_retried: int = 0
    rows_without_answer: int = 0  # documents in the database that no upload was told about
    start_seconds: float = 0.0  # until /readyz answered and every worker had registered
    upload_seconds: float = 0.0
    drain_seconds: float = 0.0
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    processes_seen: dict[str, int] = field(default_factory=dict)
    kills: list[Kill] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # which upload / document, first few of each

    @property
    def passed(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.unexpected == 0


def upload_all(service: BenchService, packets: list[SoakPacket], duration: float, clients: int,
               started: float) -> list[UploadOutcome]:
    """Upload i is sent at started + i * duration / N (or as soon after as a client is free)."""
    interval = duration / max(1, len(packets))
    local = threading.local()

    def send(packet: SoakPacket) -> UploadOutcome:
        time.sleep(max(0.0, started + packet.index * interval - time.monotonic()))
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=service.base_url, headers={"X-API-Key": service.api_key},
                                        timeout=UPLOAD_TIMEOUT_SECONDS)
        outcome = UploadOutcome(packet.index, packet.kind, None)
        for attempt in range(1, UPLOAD_ATTEMPTS + 1):
            outcome.attempts = attempt
            try:
                response = local.client.post("/v1/documents", files={"file": (f"soak-{packet.index}", packet.data)})
            except httpx.HTTPError:
                time.sleep(UPLOAD_RETRY_SECONDS)
                continue
            outcome.http_status = response.status_code
            if response.status_code >= 500:
                time.sleep(UPLOAD_RETRY_SECONDS)
                continue
            body = response.json()
            if response.status_code in (200, 202):
                outcome.document_id = body["id"]
            else:
                outcome.error_code = body["error"]["code"]
            return outcome
        return outcome

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(send, packets))


def read_outcomes(database_url: str, ids: list[str]) -> tuple[dict[str, DocumentOutcome], int]:
    """Each accepted document's state and event counts, and how many rows no upload knows of."""
    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as s:
            docs = s.execute(select(Document.id, Document.status, Document.error_code, Document.page_count)).all()
            events = s.execute(select(Event.document_id, Event.kind, func.count())
                               .group_by(Event.document_id, Event.kind)).all()
            done = dict(s.execute(select(DocumentPage.document_id, func.count())
                                  .where(DocumentPage.status == "done").group_by(DocumentPage.document_id)).all())
    finally:
        engine.dispose()
    counts: dict[str, Counter[str]] = {}
    for document_id, kind, n in events:
        counts.setdefault(document_id, Counter())[kind] = n
    outcomes = {d.id: DocumentOutcome(d.status, d.error_code, d.page_count, done.get(d.id, 0),
                                      counts.get(d.id, Counter())) for d in docs}
    return outcomes, len(set(outcomes) - set(ids))


def wait_for_drain(database_url: str, ids: list[str], timeout: float) -> float:
    started = last_said = time.monotonic()
    while time.monotonic() - started < timeout:
        outcomes, _ = read_outcomes(database_url, ids)
        still_open = sum(1 for i in ids if i not in outcomes or outcomes[i].status not in FINAL_STATUSES)
        if not still_open:
            break
        if time.monotonic() - last_said >= PROGRESS_SECONDS:
            print(f"  draining: {still_open} documents not final after {time.monotonic() - started:.0f} s",
                  flush=True)
            last_said = time.monotonic()
        time.sleep(DRAIN_POLL_SECONDS)
    return time.monotonic() - started


def account(report: SoakReport, packets: list[SoakPacket], uploads: list[UploadOutcome],
            documents: dict[str, DocumentOutcome]) -> None:
    problems: Counter[str] = Counter()

    def problem(kind: str, text: str) -> None:
        problems[kind] += 1
        if problems[kind] <= 5:
            report.problems.append(f"{kind}: {text}")

    failed: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for packet, upload in zip(packets, uploads):
        where = f"upload {upload.index} ({packet.kind})"
        report.uploads_retried += upload.attempts > 1
        if upload.document_id is None:
            if upload.error_code is None:
                report.unexpected += 1
                problem("unexpected", f"{where}: no answer after {upload.attempts} attempts "
                                      f"(last HTTP {upload.http_status})")
                continue
            refused[upload.error_code] += 1
            if packet.must_be_accepted:
                report.unexpected += 1
                problem("unexpected", f"{where}: refused {upload.http_status} {upload.error_code}")
            continue
        report.accepted += 1
        doc = documents.get(upload.document_id)
        if doc is None or doc.status not in FINAL_STATUSES:
            report.lost += 1
            problem("lost", f"{where}: {upload.document_id} {doc.status if doc else 'no row'}")
            continue
        if doc.duplicated:
            report.duplicated += 1
            problem("duplicated", f"{where}: {upload.document_id} events {dict(doc.events)}")
        if doc.status == DocumentStatus.FAILED:
            failed[doc.error_code or "no code"] += 1
        report.processed_once += doc.processed_once
        expected = "ready_for_review" if packet.must_be_ready else "failed with a code"
        ok = doc.processed_once if packet.must_be_ready else (doc.status == DocumentStatus.FAILED and doc.error_code)
        if not packet.must_be_accepted or not ok:
            report.unexpected += 1
            problem("unexpected", f"{where}: {upload.document_id} {doc.status} {doc.error_code}; "
                                  f"expected {expected if packet.must_be_accepted else 'a refusal'}")
    report.failed_by_code, report.refused_at_upload_by_code = dict(failed), dict(refused)


def run(args: argparse.Namespace) -> SoakReport:
    rng = random.Random(args.seed)
    packets = make_packets(args.uploads, args.fax_share, args.bad_share, args.seed)
    report = SoakReport(config={k: v for k, v in vars(args).items() if k != "out"}
                        | {"kinds": dict(Counter(p.kind for p in packets))})
    log_path = args.out.with_suffix(".serve.log")
    log_path.unlink(missing_ok=True)
    starting = time.monotonic()
    with serve_process(args.workers, args.database_url, embedded_redis=True, log_path=log_path) as service:
        sampler = RssSampler(service.process.pid)
        sampler.start()
        started = time.monotonic()
        report.start_seconds = started - starting
        faults = FaultInjector(service.process.pid, service.data_dir,
                               plan_kills(args.kills, args.duration, rng), started)
        faults.start()
        print(f"soak: service ready; {len(packets)} uploads over {args.duration:.0f} s", flush=True)
        uploads = upload_all(service, packets, args.duration, args.clients, started)
        report.upload_seconds = time.monotonic() - started
        print(f"soak: uploads sent in {report.upload_seconds:.0f} s; waiting for the queue to drain", flush=True)
        faults.join()  # every kill is planned within the upload window; a late one finishes here
        ids = [u.document_id for u in uploads if u.document_id]
        report.drain_seconds = wait_for_drain(service.database_url, ids, args.drain_timeout)
        sampler.sample()
        sampler.stopping.set()
        documents, report.rows_without_answer = read_outcomes(service.database_url, ids)
    account(report, packets, uploads, documents)
    report.kills, report.peak_rss_mb = faults.kills, {k: round(v) for k, v in sampler.peak.by_role.items()}
    report.processes_seen = sampler.peak.processes_seen
    for name in ("start_seconds", "upload_seconds", "drain_seconds"):
        setattr(report, name, round(getattr(report, name), 1))
    return report


def print_report(report: SoakReport) -> None:
    c = report.config
    print(f"soak: {c['uploads']} uploads over {c['duration']:.0f} s, {c['workers']} workers, seed {c['seed']}; "
          f"kinds {c['kinds']}")
    for kill in report.kills:
        when = f"at {kill.done_at:.1f} s, pid {kill.pid}" if kill.done_at is not None else kill.note
        back = f", replaced after {kill.replaced_after:.1f} s" if kill.replaced_after is not None else ""
        print(f"  killed {kill.kind:6} {when}{back}")
    print(f"service ready in {report.start_seconds:.0f} s; "
          f"uploads sent in {report.upload_seconds:.0f} s ({report.uploads_retried} retried); "
          f"queue drained {report.drain_seconds:.0f} s later")
    print(f"accepted:            {report.accepted}")
    print(f"processed once:      {report.processed_once} (ready_for_review)")
    print(f"failed by code:      {report.failed_by_code}")
    print(f"refused at upload:   {report.refused_at_upload_by_code}")
    print(f"lost:                {report.lost}")
    print(f"duplicated:          {report.duplicated}")
    print(f"unexpected outcome:  {report.unexpected}")
    print(f"rows without answer: {report.rows_without_answer}")
    print("peak RSS MB:         " + ", ".join(f"{role} {mb}" for role, mb in sorted(report.peak_rss_mb.items()))
          + f" (processes seen: {report.processes_seen})")
    for line in report.problems:
        print(f"  {line}")
    print("PASS" if report.passed else "FAIL: lost, duplicated or unexpected is not 0")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=600.0, help="seconds over which the uploads are spread")
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs of each kind: worker, horse, Redis")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4, help="concurrent uploading clients")
    parser.add_argument("--fax-share", type=float, default=0.05)
    parser.add_argument("--bad-share", type=float, default=0.06)
    parser.add_argument("--drain-timeout", type=float, default=600.0, help="seconds to wait for the queue to drain")
    parser.add_argument("--seed", type=int, default=random.SystemRandom().randrange(10**6))
    parser.add_argument("--database-url", help="default: SQLite in the throwaway data dir")
    parser.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # A SIGTERM (e.g. `timeout`) unwinds like Ctrl-C, so the service and its data dir are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    print(f"soak: starting `intake serve --workers {args.workers}` (seed {args.seed})", flush=True)
    report = run(args)
    print_report(report)
    args.out.write_text(json.dumps(asdict(report) | {"passed": report.passed}, indent=2, default=str) + "\n")
    print(f"saved {args.out}")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
