"""`digitrt info`: the bundled models with their metadata, and the onnxruntime in use."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .._version import __version__


def add_parser(commands: Any) -> argparse.ArgumentParser:
    info = commands.add_parser("info", help="show the bundled models, their metadata and the "
                                            "onnxruntime providers")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    return info  # type: ignore[no-any-return]


def run(args: argparse.Namespace) -> int:
    import onnxruntime as ort

    from .._errors import DigitrtError
    from .._model import Model
    from .._models import list_models

    models: dict[str, dict[str, str]] = {}
    for spec in list_models():
        try:
            model = Model(spec.name)
            models[spec.name] = {"path": str(model.path), "label": spec.label, **model.metadata}
        except DigitrtError as e:
            models[spec.name] = {"error": str(e)}
    from .._models import SEQUENCE_FILE, bundled_file

    try:  # the number reader's sequence model (read's second opinion on touching digits)
        path = bundled_file(SEQUENCE_FILE, "sequence model")
        import onnxruntime

        meta = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"]
                                            ).get_modelmeta().custom_metadata_map
        sequence = {"path": str(path), "label": "the number reader's line model", **dict(meta)}
    except Exception as e:  # a missing or unreadable file: shown, not raised
        sequence = {"error": str(e).splitlines()[0][:300]}
    report = {
        "digitrt": __version__,
        "onnxruntime": ort.__version__,
        "providers": ort.get_available_providers(),
        "models": models,
        "sequence_model": sequence,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"digitrt {__version__}  onnxruntime {ort.__version__}  "
          f"providers: {', '.join(report['providers'])}")
    for name, meta in {**models, "sequence model (read)": sequence}.items():
        print(f"\n{name}: {meta.get('path', '(not loaded)')}")
        for key, value in sorted(meta.items()):
            if key != "path":
                print(f"  {key}: {value}")
    return 0
