"""Read the user's own drawings from a samples folder (DIR/<digit>/*.png, the window's layout)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import numpy.typing as npt

from digitrt import SampleStore

log = logging.getLogger("training")


def load_custom(folder: Path) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Every usable drawing through digitrt's samples store, preprocessed exactly as inference does.

    Returns 28x28 uint8 images (ink bright on 0, like MNIST) and their labels. What the store
    skips (unreadable files, blank drawings, files outside a 0-9 folder) is logged as one warning.
    Raises FileNotFoundError if `folder` does not exist.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"--custom {folder}: no such folder (expected DIR/<digit>/*.png)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images, labels = SampleStore(folder).load()
    for warning in caught:
        log.warning("--custom %s", warning.message)
    if not len(labels):
        log.warning("--custom %s: no usable drawings found", folder)
    return np.round(images * 255).astype(np.uint8), labels
