"""One RQ worker process: the Assessor built once before RQ's work loop forks a horse per job
(see worker.py for why), one reconciliation pass at start, then the loop. The work horses and
RQ's scheduler process die with their worker (intake.parent_death): a worker killed with SIGKILL
leaves nothing running on."""
from __future__ import annotations

import gc
import logging
import os
import socket

from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy.exc import SQLAlchemyError

from assessment.pipeline import Assessor
from intake import jobs
from intake.db.migrate import upgrade_to_head
from intake.db.session import make_engine, make_sessionmaker
from intake.logs import configure_logging, log_event
from intake.parent_death import children_die_with_this_process
from intake.queue import JobQueue, connect
from intake.reconciler import Reconciler
from intake.settings import Settings
from intake.storage import BlobStore

log = logging.getLogger("intake.worker")


def build_context(settings: Settings) -> jobs.WorkerContext:
    engine = make_engine(settings.database_url_resolved)
    return jobs.WorkerContext(
        settings=settings, assessor=Assessor(settings.assessment_config()),
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
    children_die_with_this_process()  # RQ forks each horse and its scheduler from here
    # Every object built so far (the spaCy pipeline, the models, the policies) moves to the
    # permanent generation: a work horse's garbage collections no longer walk them, so they stay
    # shared with this process instead of being copied page by page into each horse. Measured on
    # a 20-page text packet: 0.3 CPU s less per page job.
    gc.collect()
    gc.freeze()
    worker = Worker([context.queue.queue], connection=context.queue.redis, name=name)
    worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level.upper())
    log_event(log, "worker_stopped", worker=name)
