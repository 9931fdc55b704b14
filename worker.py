"""Worker entry point: `python worker.py` or `intake worker` (one RQ worker process).

The Assessor (spaCy/scispaCy/medspaCy pipeline, policy, Tesseract engine) is built ONCE here,
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
import sys

from intake.commands.worker import add_arguments
from intake.settings import Settings
from intake.worker_process import run_worker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one intake worker against REDIS_URL / DATABASE_URL.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    run_worker(Settings(), name=args.name, burst=args.burst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
