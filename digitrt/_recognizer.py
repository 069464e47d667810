"""The Recognizer: input -> preprocessing -> Model.run -> decision -> Prediction."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from ._batch import run_chunked
from ._errors import ArgumentTypeError, ArgumentValueError, ImageError, ModelError, check_int
from ._image import ImageInput
from ._model import MNIST_SIZE, Model, first_line
from ._preprocess import prepare

Status = Literal["digit", "blank", "not_a_digit"]

# Below this confidence a reading is `unsure`: apps should show the runner-up or ask again.
UNSURE_BELOW = 0.60
DEFAULT_BATCH_SIZE = 256  # images per model run in predict_batch / predict_iter
MAX_BATCH_SIZE = 65_536
_WARM_UP_CANVAS = np.full((280, 280), 160, np.uint8)
_WARM_UP_CANVAS[60:220, 130:150] = 0


@dataclass(frozen=True)
class Prediction:
    """The result for one image.

    Attributes:
        digit: the recognised digit 0-9; None exactly when `status` is not "digit".
        confidence: the probability of `digit` (0.0 when blank).
        status: "digit"; "blank" when the image holds no ink (the model is not run).
        unsure: True when `confidence` is below the recognizer's `unsure_below`: show the
            runner-up (`top(2)`) or ask the user to write again.
        probabilities: float32 array of shape (10,), the model's probability for each digit
            (all zeros when blank).
        image: the float32 (28, 28) image the model saw, as returned by `digitrt.preprocess`.
    """

    digit: int | None
    confidence: float
    status: Status
    unsure: bool
    probabilities: npt.NDArray[np.float32] = field(repr=False, compare=False)
    image: npt.NDArray[np.float32] = field(repr=False, compare=False)

    @property
    def is_blank(self) -> bool:
        """True when the image held no ink and the model was not run."""
        return self.status == "blank"

    def top(self, k: int = 3) -> list[tuple[int, float]]:
        """The k (0-10) most probable digits with their probabilities, most probable first."""
        check_int("k", k, 0, 10)
        if self.status == "blank":
            return []
        order = np.argsort(self.probabilities)[::-1][:k]
        return [(int(d), float(self.probabilities[d])) for d in order]


def _blank(image: npt.NDArray[np.float32]) -> Prediction:
    probabilities = np.zeros(10, np.float32)
    probabilities.flags.writeable = False
    image.flags.writeable = False
    return Prediction(None, 0.0, "blank", False, probabilities, image)


class Recognizer:
    """Recognises handwritten digits: preprocessing, one of digitrt's models, and a decision.

    Build it once and reuse it: the constructor loads and warms up the model, and `predict` /
    `predict_batch` are safe to call from several threads at once.

    Args:
        model: a bundled model's name (see `digitrt.list_models()`: "cnn", the default and most
            accurate; "cnn-int8", smallest; "mlp"), a path to an .onnx file with digitrt's input
            and output, or a `Model`. None uses $DIGITRT_MODEL if set, else "cnn".
        threads: onnxruntime intra-op threads; 1 is fastest for single images.
        providers: onnxruntime execution providers; default CPUExecutionProvider.
        unsure_below: predictions with a lower confidence are marked `unsure` (default 0.60).

    Raises:
        ModelError: the model is missing, corrupt or incompatible, or a provider is unavailable.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | Model | None = None,
        *,
        threads: int = 1,
        providers: Sequence[str] | None = None,
        unsure_below: float = UNSURE_BELOW,
    ) -> None:
        if not isinstance(unsure_below, (int, float)) or isinstance(unsure_below, bool):
            raise ArgumentTypeError(f"unsure_below must be a number from 0 to 1, got "
                                    f"{unsure_below!r:.60}")
        if not 0.0 <= unsure_below <= 1.0:  # also refuses NaN
            raise ArgumentValueError(f"unsure_below must be from 0 to 1, got {unsure_below}")
        self.model: Model = model if isinstance(model, Model) else Model(
            model, threads=threads, providers=providers)
        self.unsure_below = float(unsure_below)
        self._run = self.model.run
        try:  # warm up the whole path once: the first run allocates and is several times slower
            self.predict(_WARM_UP_CANVAS)
        except Exception as e:
            raise ModelError(f"model {str(self.path)!r} failed a test run: {first_line(e)}") from None

    @property
    def path(self) -> Path:
        """The model file."""
        return self.model.path

    @property
    def name(self) -> str:
        """The model's name from its metadata ("digit_cnn"), else the file's stem."""
        return self.model.name

    @property
    def metadata(self) -> dict[str, str]:
        """The model's metadata: accuracy, training command, date, versions."""
        return self.model.metadata

    def _decide(self, probabilities: npt.NDArray[np.float32],
                image: npt.NDArray[np.float32]) -> Prediction:
        probabilities.flags.writeable = False
        image.flags.writeable = False
        # Python's max on ten floats: cheaper than NumPy's argmax when predict's caches are cold.
        values = probabilities.tolist()
        confidence = max(values)
        digit = values.index(confidence)
        return Prediction(digit, confidence, "digit", confidence < self.unsure_below,
                          probabilities, image)

    def predict(self, image: ImageInput) -> Prediction:
        """Recognise the digit in one image.

        Args:
            image: anything `digitrt.preprocess` accepts (array, path, encoded bytes).

        Returns:
            The Prediction; its status is "blank" (and digit None) when the image holds no ink.

        Raises:
            ImageError: the input is not a readable image.
        """
        x = prepare(image)
        if x is None:
            return _blank(np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32))
        return self._decide(self._run(x.reshape(1, MNIST_SIZE, MNIST_SIZE, 1))[0], x)

    def predict_iter(
        self, images: Iterable[ImageInput], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> Iterator[Prediction | ImageError]:
        """Recognise a stream of images, one model run per `batch_size` of them.

        Inputs are read lazily and results come out as each batch finishes, so memory stays
        bounded whatever the stream's length. A bad input does not stop the stream: its
        ImageError takes its place in the output (it is yielded, not raised).

        Args:
            images: any iterable of what `predict` accepts.
            batch_size: images per model run.

        Yields:
            A Prediction, or the ImageError of an unreadable input, per input, in order.
        """
        if isinstance(images, (str, bytes, os.PathLike)) or not isinstance(images, Iterable):
            raise ImageError(f"predict_iter takes an iterable of images, got {type(images).__name__}")
        check_int("batch_size", batch_size, 1, MAX_BATCH_SIZE)
        return run_chunked(images, self._run, self._decide, _blank, batch_size)

    def predict_batch(self, images: Sequence[ImageInput]) -> list[Prediction]:
        """Recognise many images, one model run per 256 of them.

        Args:
            images: a sequence of anything `predict` accepts (a (N, H, W) array works too).

        Returns:
            One Prediction per image, in order.

        Raises:
            ImageError: an item is not a readable image; the message names its index.
        """
        if isinstance(images, (str, bytes, os.PathLike)) or not hasattr(images, "__len__"):
            raise ImageError(f"predict_batch takes a sequence of images, got {type(images).__name__}")
        results = []
        for i, result in enumerate(self.predict_iter(images)):
            if isinstance(result, ImageError):
                raise ImageError(f"image {i}: {result}") from None
            results.append(result)
        return results

    def __repr__(self) -> str:
        return f"Recognizer({self.name!r}, path={str(self.path)!r})"
