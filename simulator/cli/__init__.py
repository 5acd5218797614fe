"""The ``vasim`` command line (``main``): a thin layer over the library; see ``cli/main.py``."""

from simulator.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
