"""`intake serve`: API + N workers + reconciler + outbox sender (+ an embedded Redis when REDIS_URL
is unset).

Order matters: Redis and the schema are ready before any worker or request can use them; on
SIGINT/SIGTERM uvicorn stops accepting requests first, then workers finish their jobs, and Redis
(which persists its queue to disk) stops last. Redis and the workers are restarted if they die
(intake.supervisor) and die with this process if it is killed (intake.parent_death); with the
embedded Redis the data folder is locked (intake.data_dir_lock) until the last of them is gone.

INTAKE_API_WORKERS > 1 (PostgreSQL only) serves the API from that many processes on one socket
(uvicorn's multiprocess supervisor, which restarts one that dies); each builds its own app from
the environment this process resolved, and dies with it. The reconciler, outbox sender, metrics
address and worker supervision stay in this process.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the API, workers and reconciler on this machine")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes to start (0: API only, workers run elsewhere)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from api import create_app, create_metrics_app
    from extraction.errors import ConfigurationError
    from intake.data_dir_lock import DataDirLock
    from intake.db.migrate import upgrade_to_head
    from intake.db.session import make_engine, make_sessionmaker
    from intake.logs import configure_logging, log_event
    from intake.outbox_sender import OutboxSender, OutboxSenderThread
    from intake.queue import JobQueue, connect
    from intake.reconciler import Reconciler, ReconcilerThread
    from intake.redis_server import EmbeddedRedis
    from intake.settings import Settings
    from intake.supervisor import RedisChild, Supervisor, worker_children, worker_environment

    # uvicorn re-raises the SIGTERM it caught once it has drained; with the default action that
    # would kill this process before the finally below stops the workers and Redis.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    settings = Settings()
    configure_logging(settings.log_level)
    if settings.api_workers > 1 and settings.database_is_sqlite:
        print(f"intake serve: INTAKE_API_WORKERS={settings.api_workers} needs PostgreSQL (DATABASE_URL): "
              "SQLite allows one writing process", file=sys.stderr)
        return 1
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock, inherited_fds, supervisor = None, (), Supervisor()
    if not settings.redis_url:  # the embedded Redis: one `intake serve` per data folder
        lock = DataDirLock(settings.data_dir)
        try:
            inherited_fds = (lock.acquire(),)
        except ConfigurationError as exc:
            print(f"intake serve: {exc}", file=sys.stderr)
            return 1
    reconciler = sender = metrics_server = None
    try:
        if lock is not None:
            own_ports = {args.port} | ({_host_port(settings.metrics_listen)[1]} if settings.metrics_listen else set())
            embedded = EmbeddedRedis(settings.redis_dir, settings.redis_server_binary, inherited_fds=inherited_fds,
                                     avoid_ports=own_ports)  # both are bound only after Redis starts
            supervisor.start_group([RedisChild(embedded)])
            settings = settings.model_copy(update={"redis_url": embedded.url})
        upgrade_to_head(settings.database_url_resolved)
        supervisor.start_group(worker_children(settings, args.workers, inherited_fds))
        supervisor.watch()
        sessions = make_sessionmaker(make_engine(settings.database_url_resolved))
        reconciler = ReconcilerThread(Reconciler(settings, sessions, JobQueue(connect(settings.redis_url), settings)),
                                      settings.reconcile_interval_seconds)
        reconciler.start()
        sender = OutboxSenderThread(OutboxSender(settings, sessions), settings.outbox_interval_seconds)
        sender.start()
        log_event(logging.getLogger("intake.serve"), "serving", host=args.host, port=args.port,
                  workers=args.workers, api_workers=settings.api_workers, embedded_redis=lock is not None)
        app = create_app(settings)  # also checks the policies before any API process starts
        if settings.metrics_listen:
            metrics_server = _serve_in_thread(create_metrics_app(app), settings.metrics_listen)
        if settings.api_workers > 1:
            os.environ.update(worker_environment(settings))  # the API processes resolve the same stores
            os.environ[_API_PARENT_PID] = str(os.getpid())
            uvicorn.run(f"{__name__}:{api_process_app.__name__}", factory=True, host=args.host, port=args.port,
                        workers=settings.api_workers, log_config=None, access_log=False)
        else:
            uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_config=None,
                                          access_log=False)).run()
    finally:
        if metrics_server is not None:
            metrics_server.should_exit = True
        if reconciler is not None:
            reconciler.stop()
        if sender is not None:
            sender.stop()
        supervisor.stop()
        if lock is not None:
            lock.release()
    return 0


_API_PARENT_PID = "INTAKE_SERVE_PID"  # set by `intake serve` for its API processes, not by operators


def api_process_app():
    """The app of one API process (INTAKE_API_WORKERS > 1), started by uvicorn in a fresh
    interpreter: it dies with `intake serve` (a SIGKILLed parent runs no cleanup)."""
    from api import create_app
    from intake.logs import configure_logging
    from intake.parent_death import die_with_parent
    from intake.settings import Settings

    die_with_parent(int(os.environ[_API_PARENT_PID]))
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)


def _serve_in_thread(app, listen: str):
    """A second uvicorn server (HOST:PORT) in a daemon thread: signals stay with the main one."""
    import threading

    import uvicorn

    host, port = _host_port(listen)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False))
    threading.Thread(target=server.run, name="metrics-server", daemon=True).start()
    return server


def _host_port(listen: str) -> tuple[str, int]:
    """HOST:PORT (INTAKE_METRICS_LISTEN; an IPv6 host in brackets) as (host, port)."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)
