"""Worker entry point: `python worker.py` or `intake worker` (one RQ worker process).

The Extractor (spaCy/scispaCy/medspaCy pipeline, policy, Tesseract engine) is built ONCE here,
before RQ's work loop starts. We use RQ's default `Worker`, which forks a work horse per job:
the horse inherits the loaded pipeline copy-on-write, so no job pays for loading models, and a
job that crashes, leaks or hangs (SIGALRM timeout, or SIGKILL by the monitor) takes down only its
horse, never the worker - "a worker never dies of one file". `SimpleWorker` would avoid the fork
(~ms) but run every job in the long-lived process, where one bad file could corrupt or kill it.

No threads are started in this process before forking (a lock held by another thread at fork
time would deadlock the horse); the periodic reconciler runs in `intake serve`, and this
process only runs one reconciliation pass at start.
"""
from __future__ import annotations

import argparse
import logging
import os
import socket
import sys

from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy.exc import SQLAlchemyError

from extraction.pipeline import Extractor
from intake import jobs
from intake.commands.worker import add_arguments
from intake.db.migrate import upgrade_to_head
from intake.db.session import make_engine, make_sessionmaker
from intake.logs import configure_logging, log_event
from intake.queue import JobQueue, connect
from intake.reconciler import Reconciler
from intake.settings import Settings
from intake.storage import BlobStore

log = logging.getLogger("intake.worker")


def build_context(settings: Settings) -> jobs.WorkerContext:
    engine = make_engine(settings.database_url_resolved)
    return jobs.WorkerContext(
        settings=settings, extractor=Extractor(settings.extraction_config()),
        sessions=make_sessionmaker(engine), store=BlobStore(settings.blob_dir),
        queue=JobQueue(connect(settings.redis_url), settings))


def run_worker(settings: Settings, name: str | None = None, burst: bool = False) -> None:
    if not settings.redis_url:
        raise SystemExit("REDIS_URL is not set: a standalone worker needs the shared Redis")
    configure_logging(settings.log_level)
    upgrade_to_head(settings.database_url_resolved)
    context = build_context(settings)
    jobs.install(context)
    try:
        Reconciler(settings, context.sessions, context.queue).run_once()
    except (RedisError, SQLAlchemyError) as exc:  # the periodic reconciler in `intake serve` retries
        log_event(log, "reconcile_failed", logging.WARNING, error=type(exc).__name__)
    name = name or f"{socket.gethostname()}.{os.getpid()}"
    log_event(log, "worker_started", worker=name, queue=settings.queue_name)
    worker = Worker([context.queue.queue], connection=context.queue.redis, name=name)
    worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level.upper())
    log_event(log, "worker_stopped", worker=name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one intake worker against REDIS_URL / DATABASE_URL.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    run_worker(Settings(), name=args.name, burst=args.burst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
