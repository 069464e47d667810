"""`digitrt serve`: the HTTP API and the drawing page (needs the `serve` extra).

Binds 127.0.0.1 by default: pass --host 0.0.0.0 to serve other machines on purpose.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

MODEL_VARIABLE = "DIGITRT_SERVE_MODEL"  # the model, for worker processes


def add_parser(commands: Any) -> argparse.ArgumentParser:
    serve = commands.add_parser(
        "serve", help="serve the HTTP API and a drawing page (http://127.0.0.1:8000/)",
        description=__doc__.split("\n\n")[0] if __doc__ else None)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--model", default=None,
                       help="cnn-int8 (the default), cnn, mlp, or a path to an .onnx model")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="server processes, each with its own model (default 1; one per core "
                            "for the most requests per second)")
    return serve  # type: ignore[no-any-return]


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        print(f"digitrt: error: --port must be 0-65535, got {args.port}", file=sys.stderr)
        return 2
    if not 1 <= args.workers <= 64:
        print(f"digitrt: error: --workers must be 1-64, got {args.workers}", file=sys.stderr)
        return 2
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        print("digitrt: error: `digitrt serve` needs the serve extra: pip install -e '.[serve]' "
              "in a clone, or pip install 'digitrt-*.whl[serve]'", file=sys.stderr)
        return 2
    from .._recognizer import Recognizer

    recognizer = Recognizer(args.model)  # a bad model: one error here, before any worker starts
    print(f"digitrt serve: http://{args.host}:{args.port}/ (model {recognizer.name}, "
          f"{args.workers} worker process(es); Ctrl+C stops)", file=sys.stderr)
    if args.workers == 1:
        from .._serve import create_app

        uvicorn.run(create_app(recognizer), host=args.host, port=args.port, log_level="warning")
    else:  # one process per worker, each with its own model and event loop
        os.environ[MODEL_VARIABLE] = args.model or ""
        uvicorn.run("digitrt._serve:app_from_environment", factory=True, workers=args.workers,
                    host=args.host, port=args.port, log_level="warning")
    return 0
