"""The Recognizer: input -> preprocessing -> Model.run -> decision -> Prediction."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._batch import run_chunked
from ._constants import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE
from ._decision import UNSURE_BELOW, Decision, Prediction, Reading, blank_prediction
from ._errors import ArgumentTypeError, ArgumentValueError, ImageError, ModelError, check_int
from ._image import ImageInput
from ._model import Model, first_line
from ._preprocess import MNIST_SIZE, prepare
from ._profile import Profile
from ._reading.lines import shared_line_model
from ._reading.reader import NumberReader
from ._samples import SampleStore, prepare_samples

_WARM_UP_CANVAS = np.full((280, 280), 160, np.uint8)
_WARM_UP_CANVAS[60:220, 130:150] = 0


class Recognizer:
    """Recognises handwritten digits: preprocessing, one of digitrt's models, and a decision.

    Build it once and reuse it: the constructor loads and warms up the model, and `predict` /
    `predict_batch` are safe to call from several threads at once.

    Args:
        model: a bundled model's name (see `digitrt.list_models()`: "cnn-int8", the default;
            "cnn", the same network in float32; "mlp", fastest), a path to an .onnx file with
            digitrt's input and output, or a `Model`. None uses $DIGITRT_MODEL if set, else
            "cnn-int8".
        threads: onnxruntime intra-op threads; 1 is fastest for single images.
        providers: onnxruntime execution providers; default CPUExecutionProvider.
        unsure_below: predictions with a lower confidence are marked `unsure` (default 0.60).
        reject: a drawing whose not-a-digit score reaches this is answered "not_a_digit"; None
            uses the threshold shipped in the model's metadata (see the model card for how it
            was chosen); 1.0 never rejects. Models
            without a not-a-digit output never reject.
        profile: a personal profile saved by `save_profile` (a path), so predictions use that
            writer's samples; see `adapt`.

    Attributes:
        model: the `Model` (its onnxruntime session, metadata and file).
        decision: the `Decision` in use: `reject` and `unsure_below` as resolved.
        profile: the personal profile, or None.

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
        reject: float | None = None,
        profile: str | os.PathLike[str] | Profile | None = None,
    ) -> None:
        self.model: Model = model if isinstance(model, Model) else Model(
            model, threads=threads, providers=providers)
        self.decision = Decision.for_model(self.model.metadata, self.model.has_not_a_digit,
                                           reject, unsure_below)
        if profile is not None and not isinstance(profile, Profile):
            if not isinstance(profile, (str, os.PathLike)):
                raise ArgumentTypeError(f"profile must be a path to a saved profile, got "
                                        f"{type(profile).__name__}")
            profile = Profile.load(profile, self.model.sha256, self.model.name)
        elif profile is not None and profile.model_sha256 != self.model.sha256:
            raise ModelError(f"this profile was made for another model, not {self.model.name}")
        self.profile: Profile | None = profile
        self._run = self.model.run_scored if profile is None else self._run_personal
        self._reader = NumberReader(self._run, self.predict, self.decision,
                                    shared_line_model(self.model.threads, self.model.providers))
        try:  # warm up the whole path once: the first run allocates and is several times slower
            self.predict(_WARM_UP_CANVAS)
        except Exception as e:
            raise ModelError(f"model {str(self.path)!r} failed a test run: {first_line(e)}") from None

    def _run_personal(self, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        scored, embedding = self.model.run_scored_embedded(batch)
        if self.profile is not None:
            self.profile.adjust(scored, embedding)
        return scored

    def adapt(self, samples: str | os.PathLike[str] | SampleStore | Iterable[tuple[ImageInput, int]]
              ) -> Recognizer:
        """A new Recognizer that also knows this writer's samples; this one is unchanged.

        Takes well under a second for a hundred samples: each sample's embedding is computed
        once and kept (see the model card for the method and what it gains per writer).

        Args:
            samples: a samples folder as the drawing window writes it (DIR/<digit>/*.png), a
                SampleStore, or an iterable of (image, digit) pairs. Samples already in this
                recognizer's profile are kept.

        Returns:
            The adapted Recognizer (same model session, same settings).

        Raises:
            ModelError: the model has no embedding output.
            ArgumentTypeError: `samples` is none of the above.

        Unreadable files, blank drawings, labels that are not 0-9 and anything else unusable are
        skipped and counted in one warning; with nothing usable the new recognizer answers as
        this one does.
        """
        images, labels = _load_samples(samples)
        embeddings = np.zeros((0, 0), np.float32)
        if len(labels):
            _, embeddings = self.model.run_scored_embedded(images[..., None])
        if self.profile is not None and len(self.profile.labels):
            embeddings = (np.concatenate([self.profile.embeddings, embeddings])
                          if len(labels) else self.profile.embeddings)
            labels = np.concatenate([self.profile.labels, labels])
        profile = Profile(embeddings, labels, self.model.sha256) if len(labels) else None
        return Recognizer(self.model, unsure_below=self.decision.unsure_below,
                          reject=self.decision.reject, profile=profile)

    def read(self, image: ImageInput) -> Reading:
        """Read a whole number: every digit on the canvas, left to right.

        Digits may stand apart, touch or overlap a little, and be made of several strokes;
        marks much smaller than the digits (dots, commas, dashes, specks) and marks shorter
        than a digit hanging below the line (a thick comma) are skipped, and a
        mark the model rejects is kept in `digits` with status "not_a_digit" but left out of
        `text`. A single digit gives the same answer as `predict`.

        Args:
            image: anything `predict` accepts.

        Returns:
            The Reading: text, per-digit results with boxes in the input's pixels, confidence.

        Raises:
            ImageError: the input is not a readable image, or not a line of digits.
            ModelError: the bundled sequence model is missing or broken.
        """
        return self._reader.read(image)

    def save_profile(self, path: str | os.PathLike[str]) -> None:
        """Save this recognizer's personal profile (made by `adapt`) to a file.

        Raises:
            ModelError: the recognizer has no profile, or the file cannot be written.
        """
        if self.profile is None:
            raise ModelError("this recognizer has no profile to save; make one with adapt()")
        self.profile.save(path)

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
            return blank_prediction(np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32))
        return self.decision.decide(self._run(x.reshape(1, MNIST_SIZE, MNIST_SIZE, 1))[0], x)

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
        return run_chunked(images, self._run, self.decision.decide, blank_prediction, batch_size)

    def predict_batch(self, images: Sequence[ImageInput]) -> list[Prediction]:
        """Recognise many images, one model run per DEFAULT_BATCH_SIZE (256) of them.

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


def _load_samples(samples: object) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Preprocessed sample images and their digits, from a folder, a store or (image, digit)
    pairs; what cannot be used is skipped and counted in one warning at adapt's caller."""
    if isinstance(samples, (str, os.PathLike)):
        if not os.path.isdir(samples):
            raise ArgumentValueError(f"samples folder {os.fspath(samples)!r} does not exist or is "
                                     "not a folder; give DIR with DIR/<digit>/*.png")
        samples = SampleStore(samples)
    if isinstance(samples, SampleStore):
        images, labels = samples.load(stacklevel=4)
        return images, labels.astype(np.int64)
    if isinstance(samples, (bytes, np.ndarray)) or not isinstance(samples, Iterable):
        raise ArgumentTypeError(f"samples must be a samples folder, a SampleStore or (image, "
                                f"digit) pairs, got {type(samples).__name__}")
    return prepare_samples(samples, "adapt", stacklevel=4)
