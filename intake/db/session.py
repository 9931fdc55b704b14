"""Engine and sessions. One engine per process; `session_scope` for jobs and commands,
`get_session` as the FastAPI dependency.

SQLite (the embedded default) is opened in WAL mode with a busy timeout, and every transaction
starts with BEGIN IMMEDIATE: several worker processes write concurrently, and a deferred
transaction that reads then writes would otherwise fail with SQLITE_BUSY instead of waiting.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_SECONDS = 60


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                  "check_same_thread": False, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    else:
        engine = create_engine(url, pool_pre_ping=True)
    # A forked RQ work horse must not reuse the parent's pooled connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any exception."""
    with factory() as session, session.begin():
        yield session


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: a session bound to the app's engine, closed after the request."""
    with request.app.state.sessions() as session:
        yield session
