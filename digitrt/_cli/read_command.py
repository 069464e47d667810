"""`digitrt read PATH...`: the whole number written in each image (Recognizer.read).

Files, folders (`--recursive`) and globs as for `predict`; '-' reads one image from stdin. Each
image gives its digits as text, the number's confidence and, with --json, one record per digit
with its box (x, y, width, height in the image's pixels). Marks that are not digits (dots,
commas, dashes, doodles) are left out of the text; with --json they are listed with the status
"not_a_digit". A bad file is one error and never stops the run.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .predict_command import _recognizer, add_input_arguments, expand


def add_parser(commands: Any) -> argparse.ArgumentParser:
    read = commands.add_parser(
        "read", help="read the whole number written in each image",
        description=__doc__.split("\n\n")[1] if __doc__ else None)
    add_input_arguments(read)
    read.add_argument("--json", action="store_true",
                      help="one JSON object per image: file, text, confidence, digits (digit, "
                           "confidence, status, box)")
    return read  # type: ignore[no-any-return]


def run(args: argparse.Namespace) -> int:
    from .._errors import ImageError
    from . import shown

    recognizer = _recognizer(args.model, args.reject, args.samples)
    failures = 0
    for name in expand(args.files, args.recursive):
        try:
            reading = recognizer.read(sys.stdin.buffer if name == "-" else name)
        except ImageError as e:
            failures += 1
            if args.json:
                print(json.dumps({"file": name, "text": None, "status": "error", "error": str(e)}))
            else:
                print(f"digitrt: {shown(name)}: {e}", file=sys.stderr)
            continue
        print(json.dumps(record(name, reading)) if args.json else text_line(shown(name), reading),
              flush=True)
    return 1 if failures else 0


def record(name: str, reading: Any) -> dict[str, Any]:
    """The JSON object of one image's reading."""
    return {"file": name, "text": reading.text, "confidence": round(reading.confidence, 6),
            "digits": [{"digit": d.digit, "confidence": round(d.confidence, 6),
                        "status": d.status, "box": list(d.box)} for d in reading.digits]}


def text_line(name: str, reading: Any) -> str:
    if not reading.text:
        return f"{name}: no digits found"
    return f"{name}: {reading.text}  ({reading.confidence:.1%})"
