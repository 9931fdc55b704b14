"""One module per `intake` subcommand; each defines register(subparsers) and sets `handler`.

Building the parser imports every module here, so a module's top level imports only what
register() needs (argparse, the standard library, small project modules); spaCy, scikit-learn,
FastAPI, SQLAlchemy and whatever pulls them in are imported inside the handler, when the command
runs. tests/test_cli_start.py checks it; bench/cli_start.py measures it."""
