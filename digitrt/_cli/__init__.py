"""The `digitrt` command: one module per subcommand, each adding its parser and its `run`.

Kept free of heavy imports at module level so that `digitrt --version` and `--help` are instant;
a subcommand imports NumPy, OpenCV and onnxruntime only when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .._errors import DigitrtError
from .._version import __version__
from . import info_command, predict_command, read_command, serve_command

COMMANDS = (predict_command, read_command, info_command, serve_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitrt", description="Recognise handwritten digits and whole numbers in images."
    )
    parser.add_argument("--version", action="version", version=f"digitrt {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands).set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # any file name prints, whatever the terminal's encoding
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
        sys.stdout.flush()
        return code
    except DigitrtError as e:  # a bad model or provider: one line, no traceback
        print(f"digitrt: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `digitrt predict ... | head -1`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as the shell's own tools report it
    except OSError as e:  # stdout on a full disk (or /dev/full): one line, no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"digitrt: error: cannot write to stdout: {e.strerror or e}", file=sys.stderr)
        return 2


def shown(name: str) -> str:
    """A file name as one printable line: control characters (a newline in a name) escaped."""
    return name if name.isprintable() else name.encode("unicode_escape").decode("ascii")
