"""`intake` console script. Each subcommand lives in its own module under intake/commands/
and exposes `register(subparsers)`; this file only wires them together. Every module is imported
to build the parser, so each keeps its heavy imports in its handler (see intake/commands/)."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from intake import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intake", description="CAR-T prior-authorization intake")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"intake.commands.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
