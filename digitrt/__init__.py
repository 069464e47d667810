"""digitrt: handwritten-digit recognition for drawing canvases, on onnxruntime.

    >>> import digitrt
    >>> rec = digitrt.Recognizer()          # the bundled CNN, loaded and warmed up once
    >>> rec.predict("digit.png").digit      # doctest: +SKIP
    7

`import digitrt` is cheap: NumPy, OpenCV and onnxruntime load on first use of a name that needs
them, so `digitrt --version` answers at once.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from ._constants import IMAGE_SUFFIXES
from ._errors import DigitrtError, ImageError, ModelError
from ._models import ModelSpec, list_models
from ._version import PREPROCESSING_VERSION, __version__

if TYPE_CHECKING:
    from ._decision import Decision, DigitReading, Prediction, Reading
    from ._image import ImageInput
    from ._model import Model
    from ._preprocess import MNIST_SIZE, preprocess
    from ._recognizer import Recognizer
    from ._samples import SampleStore

__all__ = [
    "IMAGE_SUFFIXES",
    "MNIST_SIZE",
    "PREPROCESSING_VERSION",
    "Decision",
    "DigitReading",
    "DigitrtError",
    "ImageError",
    "ImageInput",
    "Model",
    "ModelError",
    "ModelSpec",
    "Prediction",
    "Reading",
    "Recognizer",
    "SampleStore",
    "__version__",
    "default_recognizer",
    "list_models",
    "predict",
    "preprocess",
]

_LAZY = {
    "Decision": "._decision",
    "DigitReading": "._decision",
    "ImageInput": "._image",
    "MNIST_SIZE": "._preprocess",
    "Model": "._model",
    "preprocess": "._preprocess",
    "Prediction": "._decision",
    "Recognizer": "._recognizer",
    "Reading": "._decision",
    "SampleStore": "._samples",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'digitrt' has no attribute {name!r}")


_default: Recognizer | None = None
_default_lock = threading.Lock()


def default_recognizer() -> Recognizer:
    """The Recognizer `digitrt.predict` uses: the default model, created on first use, shared.

    Raises:
        ModelError: the default model could not be loaded.
    """
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                from ._recognizer import Recognizer

                _default = Recognizer()
    return _default


def predict(image: ImageInput) -> Prediction:
    """Recognise one digit with the default Recognizer (see `default_recognizer`).

    Args:
        image: anything `preprocess` accepts (array, path, encoded bytes).

    Returns:
        The Prediction; its digit is None when the image holds no ink.

    Raises:
        ImageError: the input is not a readable image.
        ModelError: the default model could not be loaded.
    """
    return default_recognizer().predict(image)
