"""CLI subcommands, one module per area; cli.py registers them."""
