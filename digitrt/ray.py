"""Ray Data integration: recognise digits in folders or datasets too large for one machine.

    pip install -e '.[ray]'        # in a clone; from a wheel: pip install 'digitrt-*.whl[ray]'

    import ray
    from digitrt.ray import DigitPredictor, predict_folder

    ray.init()                                           # a laptop: Ray's local instance
    predict_folder("scans/", "results/", concurrency=4)  # images -> Parquet, 4 model actors

    # or as a step of your own pipeline:
    ds = ray.data.read_binary_files("s3://bucket/crops/", include_paths=True)
    ds.map_batches(DigitPredictor, concurrency=8, batch_size=256).write_parquet("out/")

The same code runs on a cluster unchanged (`ray.init(address=...)` chosen by whoever runs it).
Each actor holds one Recognizer and runs the model once per batch, through digitrt's batching
core; a bad image becomes a row with status "error" and its message, never a failed job.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ._constants import DEFAULT_BATCH_SIZE, IMAGE_SUFFIXES
from ._recognizer import Recognizer

__all__ = ["DigitPredictor", "predict_folder"]

IMAGE_EXTENSIONS = [suffix[1:] for suffix in IMAGE_SUFFIXES]


class DigitPredictor:
    """A callable class for `ray.data.Dataset.map_batches` (Ray builds one per actor).

    Input batches (numpy format) hold encoded images in a "bytes" column (what
    `read_binary_files` gives) or image arrays in an "image" column; a "path" column is passed
    through. Output columns: path, digit (-1 when there is none), confidence, status ("digit",
    "blank", "not_a_digit" or "error"), error ("" when none).

    Args:
        model: as for `Recognizer`.
        reject: as for `Recognizer`.
        batch_size: images per model run inside the actor.
    """

    def __init__(self, model: str | None = None, *, reject: float | None = None,
                 batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.recognizer = Recognizer(model, reject=reject)
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        column = "bytes" if "bytes" in batch else "image"
        items = [bytes(x) if column == "bytes" else np.asarray(x) for x in batch[column]]
        digits, confidences, statuses, errors = [], [], [], []
        for p in self.recognizer.predict_iter(items, batch_size=self.batch_size):
            if isinstance(p, Exception):
                digits.append(-1)
                confidences.append(0.0)
                statuses.append("error")
                errors.append(str(p))
            else:
                digits.append(-1 if p.digit is None else p.digit)
                confidences.append(p.confidence)
                statuses.append(p.status)
                errors.append("")
        out = {"digit": np.asarray(digits, np.int8), "confidence": np.asarray(confidences, np.float32),
               "status": np.asarray(statuses, object), "error": np.asarray(errors, object)}
        if "path" in batch:
            out = {"path": np.asarray(batch["path"], object), **out}
        return out


def predict_folder(source: str | os.PathLike[str] | list[str], destination: str | os.PathLike[str],
                   *, model: str | None = None, reject: float | None = None, concurrency: int = 2,
                   batch_size: int = DEFAULT_BATCH_SIZE) -> None:
    """Read the PNG/JPEG/BMP images under `source` (folders are read recursively), recognise
    them in `concurrency` actors, and write Parquet files (columns as `DigitPredictor`) into the
    folder `destination`. Uses the Ray instance the caller started (or starts a local one)."""
    import ray

    sources = [os.fspath(s) for s in source] if isinstance(source, list) else os.fspath(source)
    dataset = ray.data.read_binary_files(sources, include_paths=True,
                                         file_extensions=IMAGE_EXTENSIONS)
    dataset.map_batches(DigitPredictor, fn_constructor_kwargs={"model": model, "reject": reject,
                                                               "batch_size": batch_size},
                        concurrency=concurrency, batch_size=batch_size,
                        batch_format="numpy").write_parquet(os.fspath(destination))
