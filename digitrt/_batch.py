"""The batching core: inputs in, one result or one error per input out, in fixed-size model runs.

Shared by `Recognizer.predict_batch`, `Recognizer.predict_iter` and the command line. Memory is
bounded by one chunk: inputs are read lazily from any iterable, and results are yielded as each
chunk's single model run finishes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from ._errors import ImageError
from ._image import ImageInput
from ._preprocess import MNIST_SIZE, prepare

T = TypeVar("T")
R = TypeVar("R")
Image = npt.NDArray[np.float32]


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items (the last may be shorter), read lazily."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def run_chunked(
    images: Iterable[ImageInput],
    run: Callable[[Image], npt.NDArray[np.float32]],
    found: Callable[[npt.NDArray[np.float32], Image], R],
    blank: Callable[[Image], R],
    batch_size: int,
) -> Iterator[R | ImageError]:
    """Preprocess `images` chunk by chunk, run the model once per chunk on the inked ones.

    Yields, in input order, `found(probabilities, image)` for an image with ink, `blank(image)`
    for one without, and the ImageError (not raised) for an input that could not be read.
    """
    for chunk in chunks(images, batch_size):
        prepared = np.zeros((len(chunk), MNIST_SIZE, MNIST_SIZE, 1), np.float32)
        outcome: list[bool | ImageError] = []
        for i, image in enumerate(chunk):
            try:
                x = prepare(image)
            except ImageError as e:
                outcome.append(e)
                continue
            if x is not None:
                prepared[i, :, :, 0] = x
            outcome.append(x is not None)
        inked = np.array([o is True for o in outcome])
        rows = iter(run(prepared[inked]) if inked.any() else ())
        for i, o in enumerate(outcome):
            if isinstance(o, ImageError):
                yield o
            else:
                yield found(next(rows), prepared[i, :, :, 0]) if o else blank(prepared[i, :, :, 0])
