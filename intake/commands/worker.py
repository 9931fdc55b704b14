"""`intake worker`: one RQ worker against REDIS_URL / DATABASE_URL (e.g. on another machine)."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="worker name (default host.pid)")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("worker", help="run one worker against REDIS_URL and DATABASE_URL")
    add_arguments(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from intake.settings import Settings
    from intake.worker_process import run_worker  # the pipeline is imported only by the command that needs it
    run_worker(Settings(), name=args.name, burst=args.burst)
    return 0
