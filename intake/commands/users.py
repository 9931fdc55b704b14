"""`intake users add NAME [--role reviewer|admin] [--password-stdin]`: create a reviewer account.

Without --password-stdin the password is asked twice on the terminal (not echoed). With it, the
first line of standard input is the password, for scripts: `printf '%s\\n' "$PW" | intake users add ...`.
"""
from __future__ import annotations

import argparse
import getpass
import sys

from intake.db.review_models import ROLES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("users", help="manage reviewer accounts")
    actions = parser.add_subparsers(dest="users_command", required=True)
    add = actions.add_parser("add", help="create a reviewer account")
    add.add_argument("name", help="sign-in name")
    add.add_argument("--role", choices=ROLES, default="reviewer")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.set_defaults(handler=add_user)


def _password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        print("intake users add: the passwords differ", file=sys.stderr)
        return None
    return first


def add_user(args: argparse.Namespace) -> int:
    from intake.db.migrate import upgrade_to_head
    from intake.db.session import make_engine, make_sessionmaker, session_scope
    from intake.review.accounts import AccountError, create_user
    from intake.settings import Settings

    password = _password(args.password_stdin)
    if password is None:
        return 1
    url = Settings().database_url_resolved
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with session_scope(make_sessionmaker(engine)) as db:
            create_user(db, args.name, password, args.role)
    except AccountError as exc:
        print(f"intake users add: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"created {args.role} {args.name!r}")
    return 0
