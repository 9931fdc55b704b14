"""A throwaway PostgreSQL database, created on a server and dropped after use: for the tests and
benchmarks that must not see (or leave) rows of other runs. Nothing in the service uses it."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """Yields the URL of a new, empty database on the server of `server_url` (any database on it
    that the user can connect to); the database is dropped on exit, connections or not."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server_url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
