"""The model registry: which models ship, what they are called, and where their files are.

One frozen table read by the runtime, the window, the wheel build hook and the model card.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ._errors import ModelError


@dataclass(frozen=True)
class ModelSpec:
    """A bundled model.

    Attributes:
        name: the name `Recognizer` and `Model` accept ("cnn-int8").
        file: the ONNX file name inside the package ("digit_cnn.onnx").
        label: a short label for menus ("CNN int8 (default)").
        description: one sentence on when to choose it.
    """

    name: str
    file: str
    label: str
    description: str


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("cnn-int8", "digit_cnn_int8.onnx", "CNN int8 (default)",
              "The default: the CNN quantized to int8, a quarter of its size, faster, and as "
              "accurate (see the model card)."),
    ModelSpec("cnn", "digit_cnn.onnx", "CNN float",
              "The same CNN in float32, the network as trained: for reference and fine-tuning."),
    ModelSpec("mlp", "digit_mlp.onnx", "MLP (traditional network)",
              "A multilayer perceptron: fastest, less accurate (see the model card)."),
)
# The number reader's sequence model (training/sequence.py): not a digit classifier, so not in
# MODELS; bundled beside them.
SEQUENCE_FILE = "digit_sequence.onnx"
DEFAULT = "cnn-int8"  # as accurate as the float CNN and faster (the model card measures both)
ENV_VAR = "DIGITRT_MODEL"
# In a source checkout the canonical files live in the repo's models/ folder; in a wheel they
# are copied into the package (see hatch_build.py).
_SOURCE_MODELS = Path(__file__).resolve().parent.parent / "models"
_BY_NAME = {spec.name: spec for spec in MODELS}


def list_models() -> list[ModelSpec]:
    """The bundled models, the default first."""
    return list(MODELS)


def resolve_model(model: str | os.PathLike[str] | None) -> Path:
    """Return the path of the model to load.

    `None` means $DIGITRT_MODEL if set, else the default (the int8 CNN). A bundled name (see `list_models`)
    is looked up inside the package; anything else is a path to an .onnx file.
    """
    if model is None:
        model = os.environ.get(ENV_VAR) or DEFAULT
    if isinstance(model, str) and model in _BY_NAME:
        return bundled_path(model)
    path = Path(model)
    try:
        found = path.is_file()
    except (OSError, ValueError) as e:  # an unreadable folder, a NUL in the name
        raise ModelError(f"cannot open model {os.fspath(model)!r}: {e}") from None
    if not found:
        names = ", ".join(repr(n) for n in _BY_NAME)
        raise ModelError(
            f"model {os.fspath(model)!r} is neither a bundled model ({names}) nor an existing file"
        )
    return path


def bundled_files() -> list[str]:
    """Every ONNX file the package bundles: the models', then the sequence model's."""
    return [spec.file for spec in MODELS] + [SEQUENCE_FILE]


def bundled_path(name: str) -> Path:
    """The file of a bundled model, from the installed package or the source checkout."""
    return bundled_file(_BY_NAME[name].file, f"model {name!r}")


def bundled_file(filename: str, what: str) -> Path:
    """A bundled ONNX file by its file name (see `bundled_files`); `what` names it in the error."""
    packaged = resources.files("digitrt") / "models" / filename
    if packaged.is_file():
        return Path(str(packaged))
    if (_SOURCE_MODELS / filename).is_file():
        return _SOURCE_MODELS / filename
    raise ModelError(f"the bundled {what} ({filename}) is missing from this installation")
