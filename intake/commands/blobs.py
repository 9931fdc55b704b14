"""`intake blobs sweep [--grace-seconds S] [--dry-run]`: remove stored files no row references.

`intake serve` sweeps every INTAKE_BLOB_SWEEP_INTERVAL on its own; this runs one pass now (e.g.
from cron when only standalone workers and an external API server run). Prints what it found:
examined (blobs older than the grace period), removed, bytes, abandoned partial uploads."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("blobs", help="maintain the blob store")
    actions = parser.add_subparsers(dest="blobs_command", required=True)
    sweep = actions.add_parser("sweep", help="remove blobs no document or page references")
    sweep.add_argument("--grace-seconds", type=float, default=None,
                       help="keep blobs younger than this (default INTAKE_BLOB_SWEEP_GRACE)")
    sweep.add_argument("--dry-run", action="store_true", help="count only, remove nothing")
    sweep.set_defaults(handler=_sweep)


def _sweep(args: argparse.Namespace) -> int:
    from intake.blob_sweep import record_sweep, sweep_orphan_blobs
    from intake.commands import service_database
    from intake.db.session import make_sessionmaker
    from intake.queue import connect
    from intake.settings import Settings
    from intake.storage import BlobStore

    settings = Settings()
    sessions = make_sessionmaker(service_database(settings))
    grace = settings.blob_sweep_grace_seconds if args.grace_seconds is None else args.grace_seconds
    report = sweep_orphan_blobs(BlobStore(settings.blob_dir), sessions, grace, dry_run=args.dry_run)
    if settings.redis_url and not args.dry_run:
        record_sweep(connect(settings.redis_url), settings.queue_name, report)
    verb = "would remove" if args.dry_run else "removed"
    print(f"examined {report.examined} blob(s) older than {grace:g} s; {verb} {report.removed} "
          f"({report.removed_bytes:,} bytes) and {report.temp_removed} abandoned partial upload(s)")
    return 0
