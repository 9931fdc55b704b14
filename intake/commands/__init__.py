"""One module per `intake` subcommand; each defines register(subparsers) and sets `handler`.

Building the parser imports every module here, so a module's top level imports only what
register() needs (argparse, the standard library, small project modules); spaCy, scikit-learn,
FastAPI, SQLAlchemy and whatever pulls them in are imported inside the handler, when the command
runs. tests/test_cli_start.py checks it; bench/cli_start.py measures it."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from intake.settings import Settings


def service_database(settings: Settings) -> Engine:
    """The configured database, its data folder created and its schema migrated: where every
    command that reads or writes rows starts. The caller disposes of the engine."""
    from intake.db.migrate import upgrade_to_head
    from intake.db.session import make_engine

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(settings.database_url_resolved)
    return make_engine(settings.database_url_resolved)
