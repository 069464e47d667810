"""Where model files are: a name of a bundled model, a path, or $DIGITRT_MODEL."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from ._errors import ModelError

BUNDLED = {"cnn": "digit_cnn.onnx", "cnn-int8": "digit_cnn_int8.onnx", "mlp": "digit_mlp.onnx"}
DEFAULT = "cnn"
ENV_VAR = "DIGITRT_MODEL"
# In a source checkout the canonical files live in the repo's models/ folder; in a wheel they
# are copied into the package (see pyproject.toml).
_SOURCE_MODELS = Path(__file__).resolve().parent.parent / "models"


def resolve_model(model: str | os.PathLike[str] | None) -> Path:
    """Return the path of the model to load.

    `None` means $DIGITRT_MODEL if set, else the bundled CNN. A bundled name ("cnn", "cnn-int8", "mlp")
    is looked up inside the package; anything else is a path to an .onnx file.
    """
    if model is None:
        model = os.environ.get(ENV_VAR) or DEFAULT
    if isinstance(model, str) and model in BUNDLED:
        return bundled_path(model)
    path = Path(model)
    if not path.is_file():
        names = ", ".join(repr(n) for n in BUNDLED)
        raise ModelError(
            f"model {os.fspath(model)!r} is neither a bundled model ({names}) nor an existing file"
        )
    return path


def bundled_path(name: str) -> Path:
    """The file of a bundled model, from the installed package or the source checkout."""
    filename = BUNDLED[name]
    packaged = resources.files("digitrt") / "models" / filename
    if packaged.is_file():
        return Path(str(packaged))
    if (_SOURCE_MODELS / filename).is_file():
        return _SOURCE_MODELS / filename
    raise ModelError(f"the bundled model {name!r} ({filename}) is missing from this installation")
