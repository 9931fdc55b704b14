"""One module per `intake` subcommand; each defines register(subparsers) and sets `handler`."""
