"""`intake export --fhir ID | --since DATE DIR`: write FHIR R4 bundles (docs/fhir.md) to files
for batch hand-off: one packet by id, or every packet with a determination recorded on or after
DATE (UTC). One `<document id>.fhir.json` per packet; each export is audited as a PHI read."""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="write packets as FHIR bundles to files")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--fhir", metavar="ID", help="the packet with this document id")
    which.add_argument("--since", metavar="DATE", type=dt.date.fromisoformat,
                       help="every packet decided on or after DATE (YYYY-MM-DD, UTC)")
    parser.add_argument("folder", type=Path, metavar="DIR")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import sys

    from intake.commands import service_database
    from intake.db.session import make_sessionmaker, session_scope
    from intake.fhir.export import decided_since, export_bundles
    from intake.settings import Settings

    settings = Settings()
    engine = service_database(settings)
    try:
        sessions = make_sessionmaker(engine)
        if args.fhir:
            ids = [args.fhir]
        else:
            since = dt.datetime.combine(args.since, dt.time(), tzinfo=dt.timezone.utc)
            with session_scope(sessions) as db:
                ids = decided_since(db, since)
        try:
            written = sum(1 for _ in export_bundles(sessions, ids, args.folder))
        except LookupError as exc:
            print(f"intake export: {exc}", file=sys.stderr)
            return 1
    finally:
        engine.dispose()
    print(f"wrote {written} bundle(s) to {args.folder}")
    return 0
