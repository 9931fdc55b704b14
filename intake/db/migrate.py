"""Run the Alembic migrations (migrations/ at the repository root) up to head.

Called by `intake serve` and `intake worker` before anything else touches the database. Several
processes may start at once: on PostgreSQL an advisory lock serialises them; on SQLite the
migration transaction itself takes the write lock.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_PG_MIGRATION_LOCK = 0x1A7A_3E  # arbitrary constant shared by every intake process


def alembic_config(url: str) -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                try:
                    command.upgrade(alembic_config(url), "head")
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
        finally:
            engine.dispose()
    else:
        command.upgrade(alembic_config(url), "head")
