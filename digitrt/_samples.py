"""The samples store: labelled drawings kept as DIR/<digit>/*.png.

The one place that knows this layout: the window writes it, training and personalization read it.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._constants import IMAGE_SUFFIXES
from ._errors import DigitrtError, ImageError

DIGITS = "0123456789"


class SampleStore:
    """Labelled samples of someone's handwriting in a folder: `root/<digit>/<name>.png`.

    Args:
        root: the folder; it need not exist until the first `save`.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def save(self, image: bytes | npt.NDArray[Any], digit: int) -> Path:
        """Save one drawing as a sample of `digit`, never overwriting a file.

        The file appears whole or not at all: it is written under a temporary name and then
        linked to a free name (`<date>-<time>[-n].png`); a failed write leaves nothing behind.

        Args:
            image: the encoded PNG bytes, or an image array (encoded here as PNG).
            digit: 0-9.

        Returns:
            The new file's path.

        Raises:
            ValueError: `digit` is not 0-9.
            DigitrtError: the file could not be written (the message says why).
        """
        if not isinstance(digit, int) or isinstance(digit, bool) or not 0 <= digit <= 9:
            raise ValueError(f"a sample's digit must be an int 0-9, got {digit!r}")
        data = image if isinstance(image, bytes) else _encode_png(image)
        folder = self.root / str(digit)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        temporary = folder / f".{stamp}-{os.getpid()}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            for n in range(1000):
                path = folder / (f"{stamp}.png" if n == 0 else f"{stamp}-{n}.png")
                try:
                    os.link(temporary, path)  # fails, rather than overwrites, if the name is taken
                    return path
                except FileExistsError:
                    continue
            raise DigitrtError(f"could not save the sample in {folder}: 1000 names of {stamp} taken")
        except OSError as e:
            raise DigitrtError(f"could not save the sample in {folder}: {e.strerror or e}") from None
        finally:
            with contextlib.suppress(OSError):  # nothing to remove when the folder was not made
                temporary.unlink(missing_ok=True)

    def files(self) -> Iterator[tuple[Path, int]]:
        """Every image file in a 0-9 folder with its digit, in a stable order."""
        for digit in range(10):
            folder = self.root / str(digit)
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    if path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith("."):
                        yield path, digit

    def counts(self) -> list[int]:
        """How many samples each digit 0-9 has."""
        counts = [0] * 10
        for _, digit in self.files():
            counts[digit] += 1
        return counts

    def load(self, *, stacklevel: int = 2) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8]]:
        """Every usable sample, preprocessed exactly as `predict` does it.

        Unreadable files, blank drawings, files that are not images, files outside a 0-9 folder
        and empty folders are skipped and counted in one warning (a `UserWarning`).

        Args:
            stacklevel: whose line the warning names, as for `warnings.warn` (2: the caller's).

        Returns:
            float32 images of shape (N, 28, 28) and their uint8 labels (N may be 0).
        """
        skipped: Counter[str] = Counter()
        images, labels = prepare_samples(self._pairs(skipped), f"samples in {self.root}",
                                         stacklevel + 1, skipped)
        return images, labels.astype(np.uint8)

    def _pairs(self, skipped: Counter[str]) -> Iterator[tuple[Path, int]]:
        """(file, digit) for every file in a 0-9 folder; what is not is counted in `skipped`.
        Two levels only (the layout has no more): however deep or looped the folders below,
        nothing is walked into."""
        for entry in _sorted_entries(self.root, skipped) if self.root.is_dir() else ():
            if entry.name.startswith("."):
                continue  # a temporary file of a save in progress, or a hidden folder
            if not _is_dir(entry):
                skipped["not in a 0-9 folder"] += 1
                continue
            inside = [e for e in _sorted_entries(Path(entry.path), skipped)
                      if not e.name.startswith(".")]
            if len(entry.name) != 1 or entry.name not in DIGITS:
                skipped["not in a 0-9 folder"] += len(inside)
                continue
            if not inside:
                skipped["empty folder"] += 1
            for e in inside:
                if _is_dir(e):
                    skipped["not in a 0-9 folder"] += 1
                elif Path(e.name).suffix.lower() not in IMAGE_SUFFIXES:
                    skipped["not an image"] += 1
                else:
                    yield Path(e.path), int(entry.name)

    def __repr__(self) -> str:
        return f"SampleStore({str(self.root)!r})"


def _sorted_entries(folder: Path, skipped: Counter[str]) -> list[os.DirEntry[str]]:
    """A folder's entries by name; an unreadable folder is counted in `skipped`, not raised."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError:
        skipped["unreadable folder"] += 1
        return []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop, a vanished entry
        return False


def _encode_png(image: npt.NDArray[Any]) -> bytes:
    from ._cv import cv2

    ok, encoded = cv2.imencode(".png", image) if isinstance(image, np.ndarray) else (False, None)
    if not ok:
        raise ImageError(f"cannot encode a sample from {type(image).__name__}; give PNG bytes "
                         "or a uint8 image array")
    return bytes(encoded)


def prepare_samples(pairs: Iterable[object], what: str, stacklevel: int,
                    skipped: Counter[str] | None = None
                    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """(image, digit) pairs preprocessed exactly as `predict` does it. Pairs that cannot be
    used (not a pair, a label outside 0-9, unreadable, blank) are counted by reason, with those
    already in `skipped`, in one warning: "{what}: skipped N (...)"."""
    from ._preprocess import MNIST_SIZE, prepare

    skipped = Counter() if skipped is None else skipped
    images: list[npt.NDArray[np.float32]] = []
    labels: list[int] = []
    image: Any
    digit: Any
    for item in pairs:
        try:
            image, digit = item  # type: ignore[misc]
        except (TypeError, ValueError):
            skipped["not an (image, digit) pair"] += 1
            continue
        if not isinstance(digit, (int, np.integer)) or isinstance(digit, bool) or not 0 <= digit <= 9:
            skipped["label not 0-9"] += 1
            continue
        try:
            x = prepare(image)
        except ImageError:
            skipped["unreadable"] += 1
            continue
        if x is None:
            skipped["blank"] += 1
            continue
        images.append(x)
        labels.append(int(digit))
    if skipped:
        detail = ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items()))
        warnings.warn(f"{what}: skipped {sum(skipped.values())} ({detail})", stacklevel=stacklevel)
    if not images:
        return np.zeros((0, MNIST_SIZE, MNIST_SIZE), np.float32), np.zeros(0, np.int64)
    return np.stack(images), np.asarray(labels, np.int64)
