"""The ``vasim`` command line: a thin layer over the library.

Each command group lives in ``simulator/cli/commands/<group>.py`` with a ``register(sub)``
function; modules there are discovered, ``COMMAND_ORDER`` only sets the help order. Commands raise :class:`UserError`
for bad input (one line, exit 2) and :class:`RuntimeFailure` for failures (exit 1);
this module turns them into messages — never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from simulator.errors import ProblemsError, RuntimeFailure, UserError

# Command groups, in the order `vasim --help` lists them; any other module in
# simulator/cli/commands/ is picked up after these.
COMMAND_ORDER = [
    "scenario",
    "practice",
    "sessions",
    "score",
    "detect",
    "examples",
    "listen",
    "assess",
    "review",
    "report",
    "speech",
    "models",
    "bench",
    "demo",
]


def command_modules() -> list[str]:
    import pkgutil

    import simulator.cli.commands as pkg

    found = [m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]
    ordered = [n for n in COMMAND_ORDER if n in found] + sorted(n for n in found if n not in COMMAND_ORDER)
    return [f"simulator.cli.commands.{n}" for n in ordered]


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors: one line, exit 2
        self.exit(2, f"vasim: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="vasim", description="Offline speech role-play trainer for healthcare virtual assistants.")
    from simulator import __version__

    parser.add_argument("--version", action="version", version=f"va-simulator {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in command_modules():
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ProblemsError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"vasim: {exc}", file=sys.stderr)
        return exc.exit_code
    except RuntimeFailure as exc:
        print(f"vasim: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vasim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
