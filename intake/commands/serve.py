"""`intake serve`: API + N workers + reconciler (+ an embedded Redis when REDIS_URL is unset).

Order matters: Redis and the schema are ready before any worker or request can use them; on
SIGINT/SIGTERM uvicorn stops accepting requests first, then workers finish their jobs, and Redis
(which persists its queue to disk) stops last.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the API, workers and reconciler on this machine")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes to start (0: API only, workers run elsewhere)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from api import create_app
    from intake.db.migrate import upgrade_to_head
    from intake.db.session import make_engine, make_sessionmaker
    from intake.logs import configure_logging, log_event
    from intake.queue import JobQueue, connect
    from intake.reconciler import Reconciler, ReconcilerThread
    from intake.redis_server import EmbeddedRedis
    from intake.settings import Settings
    from intake.supervisor import WorkerPool

    # uvicorn re-raises the SIGTERM it caught once it has drained; with the default action that
    # would kill this process before the finally below stops the workers and Redis.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    settings = Settings()
    configure_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    embedded = None
    if not settings.redis_url:
        embedded = EmbeddedRedis(settings.redis_dir, settings.redis_server_binary)
        settings = settings.model_copy(update={"redis_url": embedded.start()})
    pool = WorkerPool(settings, args.workers)
    reconciler = None
    try:
        upgrade_to_head(settings.database_url_resolved)
        pool.start()
        sessions = make_sessionmaker(make_engine(settings.database_url_resolved))
        reconciler = ReconcilerThread(Reconciler(settings, sessions, JobQueue(connect(settings.redis_url), settings)),
                                      settings.reconcile_interval_seconds)
        reconciler.start()
        log_event(logging.getLogger("intake.serve"), "serving", host=args.host, port=args.port,
                  workers=args.workers, embedded_redis=embedded is not None)
        uvicorn.Server(uvicorn.Config(create_app(settings), host=args.host, port=args.port,
                                      log_config=None, access_log=False)).run()
    finally:
        if reconciler is not None:
            reconciler.stop()
        pool.stop()
        if embedded is not None:
            embedded.stop()
    return 0


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)
