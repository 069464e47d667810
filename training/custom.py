"""Read the user's own drawings: DIR/<digit>/*.png, the layout the drawing window saves."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt

from digitrt import ImageError, preprocess

log = logging.getLogger("training")

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp"}


def load_custom(folder: Path) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Preprocess every drawing with digitrt.preprocess (exactly what inference does).

    Returns 28x28 uint8 images (ink bright on 0, like MNIST) and their labels. Unreadable files,
    blank drawings, files outside a 0-9 folder and empty folders are skipped and counted in one
    warning.
    Raises FileNotFoundError if `folder` does not exist.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"--custom {folder}: no such folder (expected DIR/<digit>/*.png)")
    images, labels, skipped = [], [], {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        parent = path.parent.name
        if path.parent.parent != folder or parent not in "0123456789" or len(parent) != 1:
            skip("not in a 0-9 folder")
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            skip("not an image")
            continue
        try:
            x = preprocess(path)
        except ImageError:
            skip("unreadable")
            continue
        if not x.any():
            skip("blank")
            continue
        images.append(np.round(x * 255).astype(np.uint8))
        labels.append(int(parent))
    for digit_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
        if not any(f.is_file() for f in digit_folder.rglob("*")):
            skip("empty folder")
    if skipped:
        detail = ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items()))
        log.warning("--custom %s: skipped %d (%s)", folder, sum(skipped.values()), detail)
    if not images:
        log.warning("--custom %s: no usable drawings found", folder)
        return np.zeros((0, 28, 28), np.uint8), np.zeros((0,), np.uint8)
    return np.stack(images), np.asarray(labels, np.uint8)
