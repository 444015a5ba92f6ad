"""Subcommand modules of the `zero` CLI: each has add_arguments(parser) and run(args)."""
