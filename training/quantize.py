"""Make the int8 CNN: onnxruntime static quantization (QDQ, per-channel), calibrated on
training images, checked against the float model on the MNIST test set and the canvas test.

    python -m training.quantize [--data DIR] [--models models/]

Static, not dynamic: dynamic int8 quantization made CNNs about 5x slower here.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from . import real
from .augment import augment_batch, preprocess_all
from .common import SEED, onnx_probabilities
from .mix import Mix
from .mnist import load_mnist

CALIBRATION_IMAGES = 1000
MAX_MNIST_DROP, MAX_CANVAS_DROP = 0.0005, 0.001  # accuracy the int8 model may lose
log = logging.getLogger("training")


class _Batches(CalibrationDataReader):  # type: ignore[misc]
    def __init__(self, images: np.ndarray) -> None:
        self._items = iter([{"image": images[i : i + 50]} for i in range(0, len(images), 50)])

    def get_next(self):  # type: ignore[no-untyped-def]
        return next(self._items, None)


def accuracy(path: Path, x: np.ndarray, y: np.ndarray) -> float:
    return float((onnx_probabilities(path, x).argmax(1) == y).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.quantize", description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="MNIST folder (as for training)")
    parser.add_argument("--models", type=Path, default=Path("models"),
                        help="folder with digit_cnn.onnx; digit_cnn_int8.onnx is written there")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    source, target = args.models / "digit_cnn.onnx", args.models / "digit_cnn_int8.onnx"

    mnist = load_mnist(args.data)
    rng = np.random.default_rng(SEED)
    # Calibrate on the training writers' items only (never the validation writers or the test
    # set), drawn the way training draws them (digits, strokes, fonts and non-digits on canvases),
    # so activation ranges cover them all.
    _, training_writers = real.writer_split(real.mnist_writers())
    train_only = rng.permutation(training_writers)[: 4 * CALIBRATION_IMAGES]
    mix = Mix(mnist.train_images[train_only], mnist.train_labels[train_only], SEED)
    kinds, refs, _ = mix.epoch(0)
    calibration = mix.batch(kinds[:CALIBRATION_IMAGES], refs[:CALIBRATION_IMAGES], rng)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        # Softmax stays in float: quantized, its outputs come in steps of 1/255, runner-ups are
        # exactly 0 and top(k) says nothing.
        softmax = [n.name for n in onnx.load(str(prepared)).graph.node if n.op_type == "Softmax"]
        quantize_static(str(prepared), str(target), _Batches(calibration),
                        quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        nodes_to_exclude=softmax)

    y = mnist.test_labels
    raw = mnist.test_images[..., None].astype(np.float32) / 255
    canvas = augment_batch(mnist.test_images, np.random.default_rng(SEED + 2))
    results = {}
    for name, x in (("mnist_test", raw), ("mnist_test_preprocessed",
                                          preprocess_all(mnist.test_images)), ("canvas_test", canvas)):
        results[name] = (accuracy(source, x, y), accuracy(target, x, y))

    model = onnx.load(str(target))
    float_meta = {p.key: p.value for p in onnx.load(str(source)).metadata_props}
    command = "python -m training.quantize " + shlex.join(sys.argv[1:] if argv is None else argv)
    meta = {**float_meta, "model": "digit_cnn_int8",
            "mnist_test_accuracy": f"{results['mnist_test'][1]:.4f}",
            "canvas_test_accuracy": f"{results['canvas_test'][1]:.4f}",
            "quantization": "static int8 QDQ, per-channel weights, uint8 activations, softmax in "
                            f"float, {CALIBRATION_IMAGES} calibration images from the training mix",
            "training_command": f"{float_meta.get('training_command', '')} && {command}"}
    del model.metadata_props[:]
    for key, value in meta.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    onnx.save(model, str(target))

    report = {"model": "digit_cnn_int8", "command": command,
              "accuracy": {k: v[1] for k, v in results.items()},
              "float_accuracy": {k: v[0] for k, v in results.items()},
              "bytes": target.stat().st_size}
    (args.models / "digit_cnn_int8.json").write_text(json.dumps(report, indent=1) + "\n")
    for name, (fp32, int8) in results.items():
        log.info("  %-26s float %.2f %%  int8 %.2f %%", name, 100 * fp32, 100 * int8)
    mnist_drop = results["mnist_test"][0] - results["mnist_test"][1]
    canvas_drop = results["canvas_test"][0] - results["canvas_test"][1]
    if mnist_drop > MAX_MNIST_DROP or canvas_drop > MAX_CANVAS_DROP:
        log.error("int8 loses too much accuracy (MNIST %.2f, canvas %.2f points)",
                  100 * mnist_drop, 100 * canvas_drop)
        return 1
    log.info("wrote %s (%d bytes)", target, target.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
