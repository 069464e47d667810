"""`digitrt predict FILE...`: the digit in each image file, through the batching core."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any


def add_parser(commands: Any) -> argparse.ArgumentParser:
    predict = commands.add_parser("predict", help="recognise the digit in each image file")
    predict.add_argument("files", nargs="+", metavar="FILE", help="image files; '-' reads stdin")
    predict.add_argument("--model", default=None,
                         help="cnn (default), cnn-int8, mlp, or a path to an .onnx model")
    predict.add_argument("--json", action="store_true",
                         help="one JSON object per file: file, digit, confidence, status, "
                              "probabilities")
    predict.add_argument("--top-k", type=int, default=1, metavar="K",
                         help="also show the K most probable digits (default 1)")
    predict.add_argument("--samples", default=None, metavar="DIR",
                         help="learn this writer's samples first (DIR/<digit>/*.png, as the "
                              "drawing window saves them)")
    predict.add_argument("--reject", type=float, default=None, metavar="T",
                         help="answer 'not a digit' from this not-a-digit score on (0-1; "
                              "default: the model's own threshold; 1 never rejects)")
    return predict  # type: ignore[no-any-return]


def run(args: argparse.Namespace) -> int:
    from .._errors import ImageError
    from .._image import MAX_FILE_BYTES
    from .._recognizer import Recognizer
    from . import shown

    if args.top_k < 1 or args.top_k > 10:
        print(f"digitrt: error: --top-k must be 1-10, got {args.top_k}", file=sys.stderr)
        return 2
    recognizer = Recognizer(args.model, reject=args.reject)
    if args.samples is not None:
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            recognizer = recognizer.adapt(args.samples)
        for w in caught:
            print(f"digitrt: {w.message}", file=sys.stderr)

    def sources() -> Iterator[Any]:
        for name in args.files:
            if name != "-":
                yield name
                continue
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
            yield data if len(data) <= MAX_FILE_BYTES else ImageError(
                f"standard input is larger than {MAX_FILE_BYTES} bytes, too large for an image")

    failures = 0
    for name, p in zip(args.files, recognizer.predict_iter(sources()), strict=True):
        if isinstance(p, ImageError):
            print(f"digitrt: {shown(name)}: {p}", file=sys.stderr)
            failures += 1
            continue
        top = p.top(args.top_k)
        if args.json:
            record = {
                "file": name,
                "digit": p.digit,
                "confidence": round(p.confidence, 6),
                "status": p.status,
                "best_guess": p.best_guess,
                "not_a_digit_score": round(p.not_a_digit_score, 6),
                "probabilities": [round(float(v), 6) for v in p.probabilities],
            }
            if args.top_k > 1:
                record["top"] = [{"digit": d, "probability": round(q, 6)} for d, q in top]
            print(json.dumps(record), flush=True)
        elif p.status == "blank":
            print(f"{shown(name)}: blank (no ink found)")
        elif p.status == "not_a_digit":
            print(f"{shown(name)}: not a digit ({p.confidence:.1%}; best guess {p.best_guess})")
        else:
            others = "".join(f"  {d}: {q:.1%}" for d, q in top[1:])
            print(f"{shown(name)}: {p.digit}  ({p.confidence:.1%}){others}")
    return 1 if failures else 0
