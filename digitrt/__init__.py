"""digitrt: handwritten-digit recognition for drawing canvases, on onnxruntime."""

from ._errors import DigitrtError, ImageError, ModelError
from ._preprocess import preprocess
from ._version import __version__

__all__ = ["DigitrtError", "ImageError", "ModelError", "__version__", "preprocess"]
