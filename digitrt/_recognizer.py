"""The Recognizer: one onnxruntime session, built and warmed up once, shared by every call."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._errors import ImageError, ModelError
from ._image import ImageInput
from ._models import resolve_model
from ._preprocess import MNIST_SIZE, prepare

_INPUT_SHAPE_HINT = "input float32 [N, 28, 28, 1] and output float32 [N, 10]"
_WARM_UP_CANVAS = np.full((280, 280), 160, np.uint8)
_WARM_UP_CANVAS[60:220, 130:150] = 0


@dataclass(frozen=True)
class Prediction:
    """The result for one image.

    Attributes:
        digit: the recognised digit 0-9, or None when the image holds no ink.
        confidence: the probability of `digit` (0.0 when blank).
        probabilities: float32 array of shape (10,), the model's probability for each digit
            (all zeros when blank).
        image: the float32 (28, 28) image the model saw, as returned by `digitrt.preprocess`.
    """

    digit: int | None
    confidence: float
    probabilities: npt.NDArray[np.float32] = field(repr=False, compare=False)
    image: npt.NDArray[np.float32] = field(repr=False, compare=False)

    @property
    def is_blank(self) -> bool:
        """True when the image held no ink and the model was not run."""
        return self.digit is None

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        """The k most probable digits with their probabilities, most probable first."""
        if self.digit is None:
            return []
        order = np.argsort(self.probabilities)[::-1][:k]
        return [(int(d), float(self.probabilities[d])) for d in order]


def _blank(image: npt.NDArray[np.float32]) -> Prediction:
    probabilities = np.zeros(10, np.float32)
    probabilities.flags.writeable = False
    image.flags.writeable = False
    return Prediction(None, 0.0, probabilities, image)


def _wrap(probabilities: npt.NDArray[np.float32], image: npt.NDArray[np.float32]) -> Prediction:
    probabilities.flags.writeable = False
    image.flags.writeable = False
    # Python's max on ten floats: cheaper than NumPy's argmax when predict's caches are cold.
    values = probabilities.tolist()
    digit = values.index(max(values))
    return Prediction(digit, values[digit], probabilities, image)


class Recognizer:
    """Recognises handwritten digits with one of digitrt's ONNX models.

    Build it once and reuse it: the constructor loads and warms up the model, and `predict` /
    `predict_batch` are safe to call from several threads at once.

    Args:
        model: "cnn" (the default, most accurate), "cnn-int8" (the CNN quantized to int8:
            smaller and faster, 0.02 points less accurate), "mlp", or a path to an .onnx file
            with digitrt's input and output. None uses $DIGITRT_MODEL if set, else "cnn".
        threads: onnxruntime intra-op threads; 1 is fastest for single images.
        providers: onnxruntime execution providers; default CPUExecutionProvider.

    Raises:
        ModelError: the model is missing, corrupt or incompatible, or a provider is unavailable.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        threads: int = 1,
        providers: Sequence[str] | None = None,
    ) -> None:
        import onnxruntime as ort

        if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
            raise ModelError(f"threads must be a positive int, got {threads!r}")
        available = ort.get_available_providers()
        providers = list(providers) if providers is not None else ["CPUExecutionProvider"]
        unknown = [p for p in providers if p not in available]
        if unknown or not providers:
            raise ModelError(
                f"execution provider(s) {unknown or providers} not available; "
                f"this onnxruntime offers: {', '.join(available)}"
            )
        self.path: Path = resolve_model(model)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(self.path), options, providers=providers)
        except Exception as e:  # onnxruntime raises its own untyped errors for bad files
            raise ModelError(f"cannot load model {str(self.path)!r}: {_first_line(e)}") from None
        self._input, self._output = self._check_signature()
        self.metadata: dict[str, str] = dict(self._session.get_modelmeta().custom_metadata_map)
        self.name: str = self.metadata.get("model", self.path.stem)
        try:  # warm up the whole path once: the first run allocates and is several times slower
            self.predict(_WARM_UP_CANVAS)
        except Exception as e:
            raise ModelError(f"model {str(self.path)!r} failed a test run: {_first_line(e)}") from None

    def _check_signature(self) -> tuple[str, str]:
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) < 1:
            raise ModelError(f"{str(self.path)!r} must have one input and one output; "
                             f"digitrt models have {_INPUT_SHAPE_HINT}")
        shape, out_shape = inputs[0].shape, outputs[0].shape
        ok = (
            inputs[0].type == "tensor(float)"
            and len(shape) == 4
            and list(shape[1:]) == [MNIST_SIZE, MNIST_SIZE, 1]
            and outputs[0].type == "tensor(float)"
            and len(out_shape) == 2
            and out_shape[1] == 10
        )
        if not ok:
            raise ModelError(
                f"{str(self.path)!r} has input {inputs[0].type} {shape} and output "
                f"{outputs[0].type} {out_shape}; "
                f"digitrt needs {_INPUT_SHAPE_HINT}"
            )
        return inputs[0].name, outputs[0].name

    def _run(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        result: npt.NDArray[np.float32] = self._session.run([self._output], {self._input: batch})[0]
        return result

    def predict(self, image: ImageInput) -> Prediction:
        """Recognise the digit in one image.

        Args:
            image: anything `digitrt.preprocess` accepts (array, path, encoded bytes).

        Returns:
            The Prediction; its digit is None when the image holds no ink.

        Raises:
            ImageError: the input is not a readable image.
        """
        x = prepare(image)
        if x is None:
            return _blank(np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32))
        return _wrap(self._run(x.reshape(1, MNIST_SIZE, MNIST_SIZE, 1))[0], x)

    def predict_batch(self, images: Sequence[ImageInput]) -> list[Prediction]:
        """Recognise many images with one model run.

        Args:
            images: a sequence of anything `predict` accepts (a (N, H, W) array works too).

        Returns:
            One Prediction per image, in order.

        Raises:
            ImageError: an item is not a readable image; the message names its index.
        """
        if isinstance(images, (str, bytes, os.PathLike)) or not hasattr(images, "__len__"):
            raise ImageError(f"predict_batch takes a sequence of images, got {type(images).__name__}")
        prepared = np.zeros((len(images), MNIST_SIZE, MNIST_SIZE, 1), np.float32)
        inked = np.zeros(len(images), bool)
        for i, image in enumerate(images):
            try:
                x = prepare(image)
            except ImageError as e:
                raise ImageError(f"image {i}: {e}") from None
            if x is not None:
                prepared[i, :, :, 0] = x
                inked[i] = True
        rows = iter(self._run(prepared[inked]) if inked.any() else ())
        return [
            _wrap(next(rows), prepared[i, :, :, 0]) if inked[i] else _blank(prepared[i, :, :, 0])
            for i in range(len(prepared))
        ]

    def __repr__(self) -> str:
        return f"Recognizer({self.name!r}, path={str(self.path)!r})"


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:300] if text else type(e).__name__
