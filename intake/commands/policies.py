"""`intake policies list [--dir DIR ...]`: the policies the service would load, one line each."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from extraction.errors import ConfigurationError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("policies", help="list the payer policies (packaged and extra folders)")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="id, version, products, codes and source of every policy")
    listing.add_argument("--dir", type=Path, action="append", default=[], metavar="DIR",
                         help="an extra folder of policy TOML files (repeatable)")
    listing.set_defaults(handler=_list)


def _list(args: argparse.Namespace) -> int:
    from rules.registry import PolicyRegistry
    try:
        registry = PolicyRegistry.load(*args.dir)
    except ConfigurationError as exc:
        print(f"intake policies: {exc}", file=sys.stderr)
        return 2
    print("id\tversion\tproducts\tcodes\tsource")
    for entry in registry.entries:
        info = entry.policy.policy
        print(f"{info.id}\t{info.version}\t{', '.join(info.products)}\t{', '.join(entry.codes)}\t"
              f"{entry.path.parent.name}/{info.source}")
    return 0
