"""Engine and sessions. One engine per process; `session_scope` for jobs and commands,
`get_session` as the FastAPI dependency.

SQLite (the embedded default) is opened in WAL mode with a busy timeout, and every transaction
starts with BEGIN IMMEDIATE: several worker processes write concurrently, and a deferred
transaction that reads then writes would otherwise fail with SQLITE_BUSY instead of waiting.
Within one process, transactions take turns on a lock before asking SQLite: SQLite's own busy
wait polls with sleeps of up to 100 ms, so under 32 concurrent uploads a thread that kept losing
the race waited most of a second (the p99 of bench/upload_latency.py), while a lock hands the turn
over as soon as the holder commits. Processes still wait for each other through the busy timeout.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_SECONDS = 60


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                  "check_same_thread": False, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_on_connect)
        turns = _TransactionTurns()
        event.listen(engine, "begin", turns.begin)
        event.listen(engine, "commit", turns.end)
        event.listen(engine, "rollback", turns.end)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    # A forked RQ work horse must not reuse the parent's pooled connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


class _TransactionTurns:
    """One SQLite transaction at a time per process (see the module's docstring). A turn belongs to
    the connection, not the thread: FastAPI may end a session in another thread than began it."""

    _KEY = "sqlite_turn"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # A forked child starts with no transaction (its pool is disposed), so with a free lock,
        # even when another thread of the parent held it at the fork.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()

    def begin(self, conn: Connection) -> None:
        # A turn not given within the busy timeout is not waited for longer: SQLite decides, as before.
        if self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_SECONDS):
            conn.info[self._KEY] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(conn)
            raise

    def end(self, conn: Connection) -> None:
        # Fired before the driver's COMMIT/ROLLBACK: the next turn's BEGIN IMMEDIATE may wait the
        # few milliseconds the commit takes, through SQLite's busy handler.
        if conn.info.pop(self._KEY, False):
            self._lock.release()


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
