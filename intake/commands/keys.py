"""`intake keys add NAME [--callback-secret] | list | revoke NAME_OR_ID`: API keys; only their
sha256 is stored. --callback-secret also prints the secret that signs the key's outbox callbacks
(stored as is: signing needs it; see docs/fhir.md)."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("keys", help="manage API keys")
    actions = parser.add_subparsers(dest="keys_action", required=True)
    add = actions.add_parser("add", help="create a key and print it (shown once)")
    add.add_argument("name")
    add.add_argument("--callback-secret", action="store_true",
                     help="also generate the HMAC secret that signs this key's callbacks; printed once")
    actions.add_parser("list", help="list keys (names, ids, status; never the keys)")
    revoke = actions.add_parser("revoke", help="revoke keys by name or id")
    revoke.add_argument("name_or_id")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from intake.auth import create_key, list_keys, revoke_key
    from intake.callback_signing import new_secret
    from intake.commands import service_database
    from intake.db.session import make_sessionmaker, session_scope
    from intake.settings import Settings

    settings = Settings()
    sessions = make_sessionmaker(service_database(settings))
    with session_scope(sessions) as session:
        if args.keys_action == "add":
            row, key = create_key(session, args.name)
            print(key)
            if args.callback_secret:
                row.callback_secret = new_secret()
                print(f"callback secret: {row.callback_secret}")
            return 0
        if args.keys_action == "list":
            for row in list_keys(session):
                state = "revoked" if row.revoked else "active"
                print(f"{row.id}\t{row.name}\t{state}\t{row.created_at:%Y-%m-%d %H:%M}")
            return 0
        count = revoke_key(session, args.name_or_id)
    print(f"revoked {count} key(s)")
    return 0 if count else 1
