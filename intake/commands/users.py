"""`intake users add|disable|enable|reset-password|list`: reviewer accounts.

    intake users add NAME [--role reviewer|admin] [--password-stdin]   create an account
    intake users disable NAME            no more sign-in; every session of NAME ends now
    intake users enable NAME             sign-in allowed again (also lifts a wrong-password lock)
    intake users reset-password NAME [--password-stdin]   new password; every session ends now
    intake users list                    name, role, state, sessions: never password material

Without --password-stdin a password is asked twice on the terminal (not echoed). With it, the
first line of standard input is the password, for scripts: `printf '%s\\n' "$PW" | intake users add ...`.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# intake.db.review_models.ROLES (a test keeps them equal); that module imports SQLAlchemy, so it
# is imported only when an account is changed, not to build `intake --help`.
ROLES = ("reviewer", "admin")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("users", help="manage reviewer accounts")
    actions = parser.add_subparsers(dest="users_command", required=True)
    add = actions.add_parser("add", help="create a reviewer account")
    add.add_argument("name", help="sign-in name")
    add.add_argument("--role", choices=ROLES, default="reviewer")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.set_defaults(handler=add_user)
    disable = actions.add_parser("disable", help="refuse sign-in and end the account's sessions")
    disable.add_argument("name")
    disable.set_defaults(handler=disable_user)
    enable = actions.add_parser("enable", help="allow sign-in again (also lifts a lock)")
    enable.add_argument("name")
    enable.set_defaults(handler=enable_user)
    reset = actions.add_parser("reset-password", help="set a new password and end the account's sessions")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    reset.set_defaults(handler=reset_password)
    listing = actions.add_parser("list", help="list accounts (no password material)")
    listing.set_defaults(handler=list_users)


def _password(from_stdin: bool, command: str) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        print(f"intake users {command}: the passwords differ", file=sys.stderr)
        return None
    return first


def _in_database(command: str, work: Callable[[Session], str]) -> int:
    """Run `work` in one transaction on the configured database; print what it returns."""
    from intake.commands import service_database
    from intake.db.session import make_sessionmaker, session_scope
    from intake.review.accounts import AccountError
    from intake.settings import Settings

    engine = service_database(Settings())
    try:
        with session_scope(make_sessionmaker(engine)) as db:
            message = work(db)
    except AccountError as exc:
        print(f"intake users {command}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(message)
    return 0


def add_user(args: argparse.Namespace) -> int:
    from intake.review.accounts import create_user

    password = _password(args.password_stdin, "add")
    if password is None:
        return 1

    def work(db: Session) -> str:
        create_user(db, args.name, password, args.role)
        return f"created {args.role} {args.name!r}"
    return _in_database("add", work)


def disable_user(args: argparse.Namespace) -> int:
    from intake.review.account_admin import disable_user as disable

    def work(db: Session) -> str:
        return f"disabled {args.name!r}; ended {disable(db, args.name)} session(s)"
    return _in_database("disable", work)


def enable_user(args: argparse.Namespace) -> int:
    from intake.review.account_admin import enable_user as enable

    def work(db: Session) -> str:
        enable(db, args.name)
        return f"enabled {args.name!r}"
    return _in_database("enable", work)


def reset_password(args: argparse.Namespace) -> int:
    from intake.review.account_admin import reset_password as reset

    password = _password(args.password_stdin, "reset-password")
    if password is None:
        return 1

    def work(db: Session) -> str:
        return f"new password for {args.name!r}; ended {reset(db, args.name, password)} session(s)"
    return _in_database("reset-password", work)


def list_users(_args: argparse.Namespace) -> int:
    from intake.review.account_admin import list_accounts

    def work(db: Session) -> str:
        lines = ["name\trole\tstate\tsessions\tcreated"]
        lines += [f"{a.name}\t{a.role}\t{a.state}\t{a.sessions}\t{a.created_at:%Y-%m-%d %H:%M}"
                  for a in list_accounts(db)]
        return "\n".join(lines)
    return _in_database("list", work)
