"""`intake outbox send [--once]`: deliver due outbox events (completion and determination
callbacks) without the API, e.g. on a host where `intake serve` does not run; `--once` makes one
pass and exits."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("outbox", help="deliver callbacks (completion, determination)")
    actions = parser.add_subparsers(dest="outbox_action", required=True)
    send = actions.add_parser("send", help="send due events, every INTAKE_OUTBOX_INTERVAL seconds")
    send.add_argument("--once", action="store_true", help="one pass, then exit")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import signal

    from intake.commands import service_database
    from intake.db.session import make_sessionmaker
    from intake.logs import configure_logging
    from intake.outbox_sender import OutboxSender, OutboxSenderThread
    from intake.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level)
    sender = OutboxSender(settings, make_sessionmaker(service_database(settings)))
    if args.once:
        report = sender.run_once()
        print(f"delivered {len(report.delivered)}, retrying {len(report.retrying)}, failed {len(report.failed)}")
        return 0
    thread = OutboxSenderThread(sender, settings.outbox_interval_seconds)
    signal.signal(signal.SIGTERM, lambda *_: thread.stop())
    thread.start()
    try:
        while thread.is_alive():
            thread.join(1)
    except KeyboardInterrupt:
        thread.stop()
    return 0
