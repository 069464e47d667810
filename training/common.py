"""Pieces every training script shares: the seed, the MNIST validation split, the recipe numbers
more than one script reads, the command line recorded in a model, Keras seeding, ONNX helpers.
No script imports another script: they all import this."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from digitrt import Model

# ---------------------------------------------------------------- constants
SEED = 20261123
OPSET = 17
# The architectures and the optimizer, as train.build_model / compile_model build them and the
# model card describes them: (filters, kernel, max-pool after) per convolution, then dense layers.
CNN_CONVS = ((32, 5, True), (80, 3, True), (160, 3, False))
CNN_DENSE, CNN_DROPOUT = 160, 0.3
MLP_UNITS, MLP_DROPOUT = (256, 128), 0.2
BATCH = 128
WEIGHT_DECAY = 1e-4  # AdamW's
EPOCHS = {"cnn": 50, "mlp": 40}
# The not-a-digit threshold is the score that rejects at most this share of validation digits.
FALSE_REJECTION = 0.004


# ---------------------------------------------------------------- data
def command_line(module: str, argv: list[str] | None) -> str:
    """The command that ran this training, for the report and the ONNX metadata."""
    return f"python -m {module} " + shlex.join(sys.argv[1:] if argv is None else argv)


def seed_keras(seed: int) -> None:
    """Seed Keras and turn on TensorFlow's deterministic ops: a rerun gives the same weights."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def onnx_probabilities(path: Path, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The exported file's probabilities, through the runtime's own Model (same session options)."""
    return Model(path).run(x)


def add_metadata(proto, metadata: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Write `metadata` into an ONNX model's metadata_props (the runtime reads them), replacing
    earlier values of the same keys."""
    import onnx

    kept = [p for p in proto.metadata_props if p.key not in metadata]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    for key, value in metadata.items():
        proto.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
