"""The `digitrt` command: one module per subcommand, each adding its parser and its `run`.

Kept free of heavy imports at module level so that `digitrt --version` and `--help` are instant;
a subcommand imports NumPy, OpenCV and onnxruntime only when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._errors import DigitrtError
from .._version import __version__
from . import info_command, predict_command

COMMANDS = (predict_command, info_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitrt", description="Recognise handwritten digits in images (MNIST-trained CNN/MLP)."
    )
    parser.add_argument("--version", action="version", version=f"digitrt {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands).set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except DigitrtError as e:  # a bad model or provider: one line, no traceback
        print(f"digitrt: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
