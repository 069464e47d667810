"""The `digitrt` command: predict digits in image files, show model info, print the version.

Kept free of heavy imports at module level so that `digitrt --version` and `--help` are instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ._errors import DigitrtError
from ._version import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitrt", description="Recognise handwritten digits in images (MNIST-trained CNN/MLP)."
    )
    parser.add_argument("--version", action="version", version=f"digitrt {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    predict = commands.add_parser("predict", help="recognise the digit in each image file")
    predict.add_argument("files", nargs="+", metavar="FILE", help="image files; '-' reads stdin")
    predict.add_argument("--model", default=None,
                         help="cnn (default), cnn-int8, mlp, or a path to an .onnx model")
    predict.add_argument("--json", action="store_true",
                         help="one JSON object per file: file, digit, confidence, probabilities")
    predict.add_argument("--top-k", type=int, default=1, metavar="K",
                         help="also show the K most probable digits (default 1)")
    info = commands.add_parser("info", help="show the bundled models, their metadata, onnxruntime")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "predict":
            return _predict(args)
        return _info(args)
    except DigitrtError as e:  # a bad model or provider: one line, no traceback
        print(f"digitrt: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _predict(args: argparse.Namespace) -> int:
    from ._recognizer import Recognizer

    if args.top_k < 1 or args.top_k > 10:
        print(f"digitrt: error: --top-k must be 1-10, got {args.top_k}", file=sys.stderr)
        return 2
    recognizer = Recognizer(args.model)
    failures = 0
    for name in args.files:
        try:
            source = sys.stdin.buffer.read() if name == "-" else name
            p = recognizer.predict(source)
        except DigitrtError as e:
            print(f"digitrt: {name}: {e}", file=sys.stderr)
            failures += 1
            continue
        top = p.top(args.top_k)
        if args.json:
            record = {
                "file": name,
                "digit": p.digit,
                "confidence": round(p.confidence, 6),
                "probabilities": [round(float(v), 6) for v in p.probabilities],
            }
            if args.top_k > 1:
                record["top"] = [{"digit": d, "probability": round(q, 6)} for d, q in top]
            print(json.dumps(record), flush=True)
        elif p.digit is None:
            print(f"{name}: blank (no ink found)")
        else:
            others = "".join(f"  {d}: {q:.1%}" for d, q in top[1:])
            print(f"{name}: {p.digit}  ({p.confidence:.1%}){others}")
    return 1 if failures else 0


def _info(args: argparse.Namespace) -> int:
    import onnxruntime as ort

    from ._models import BUNDLED
    from ._recognizer import Recognizer

    models = {}
    for name in BUNDLED:
        try:
            rec = Recognizer(name)
            models[name] = {"path": str(rec.path), **rec.metadata}
        except DigitrtError as e:
            models[name] = {"error": str(e)}
    report = {
        "digitrt": __version__,
        "onnxruntime": ort.__version__,
        "providers": ort.get_available_providers(),
        "models": models,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"digitrt {__version__}  onnxruntime {ort.__version__}  "
          f"providers: {', '.join(report['providers'])}")
    for name, meta in models.items():
        print(f"\n{name}: {meta.get('path', '(not loaded)')}")
        for key, value in sorted(meta.items()):
            if key != "path":
                print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
