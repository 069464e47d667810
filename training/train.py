"""Train digitrt's CNN or MLP on MNIST (+ your own drawings) and export it to ONNX.

    python -m training.train --model cnn            # the shipped CNN (tens of minutes on 2 cores)
    python -m training.train --model mlp
    python -m training.train --model cnn --custom ~/digits --finetune --out mine/   # minutes

Every training image is drawn onto a random canvas and sent through digitrt.preprocess, the
function the runtime uses, so training and serving see identical inputs. The 10k MNIST test set
is only used for the final report; a seeded 5k split of the training set is the validation set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from digitrt import PREPROCESSING_VERSION, Model, __version__

from .augment import augment_batch, preprocess_all
from .custom import load_custom
from .mnist import load_mnist

# ---------------------------------------------------------------- constants
SEED = 20261123
VALIDATION = 5_000
BATCH = 128
EPOCHS = {"cnn": 40, "mlp": 40}
LEARNING_RATE = {"cnn": 2e-3, "mlp": 1e-3}
FINETUNE_EPOCHS, FINETUNE_LR = 3, 2e-4
CUSTOM_REPEAT = 20  # each of the user's drawings counts this many times per epoch
PARITY_TOLERANCE = 1e-5
SHIPPED = Path(__file__).resolve().parent.parent / "models"
OPSET = 17

log = logging.getLogger("training")


# ---------------------------------------------------------------- models
def build_model(kind: str):  # type: ignore[no-untyped-def]
    """The two architectures. BatchNorm sits directly after each convolution so the ONNX
    exporter folds it into the convolution's weights (no cost at inference)."""
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1), name="image")
    if kind == "cnn":
        x = inputs
        for filters, size, pool in ((32, 5, True), (64, 3, True), (96, 3, False)):
            x = layers.Conv2D(filters, size, use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
            if pool:
                x = layers.MaxPooling2D()(x)
        x = layers.Flatten()(x)
        x = layers.Dropout(0.3)(x)
        x = layers.Dense(128, activation="relu")(x)
        x = layers.Dropout(0.3)(x)
    elif kind == "mlp":
        x = layers.Flatten()(inputs)
        for units in (256, 128):
            x = layers.Dense(units, activation="relu")(x)
            x = layers.Dropout(0.2)(x)
    else:
        raise ValueError(f"unknown model {kind!r}; choose cnn or mlp")
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=f"digit_{kind}")


def count_flops(model) -> int:  # type: ignore[no-untyped-def]
    """Multiply-adds x 2 of the convolutions and dense layers for one image."""
    from keras import layers

    flops = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            kh, kw, cin, cout = layer.kernel.shape
            _, oh, ow, _ = layer.output.shape
            flops += 2 * kh * kw * cin * cout * oh * ow
        elif isinstance(layer, layers.Dense):
            flops += 2 * int(np.prod(layer.kernel.shape))
    return flops


# ---------------------------------------------------------------- data
def make_sequence(images, labels, seed: int, batch: int):  # type: ignore[no-untyped-def]
    """A Keras dataset that renders and preprocesses a fresh random canvas for every image,
    every epoch. Seeded per (epoch, batch), so runs repeat exactly."""
    import keras

    class CanvasBatches(keras.utils.PyDataset):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(workers=2, use_multiprocessing=False)
            self.epoch = 0
            self.order = np.random.default_rng(seed).permutation(len(images))

        def __len__(self) -> int:
            return -(-len(images) // batch)

        def on_epoch_end(self) -> None:
            self.epoch += 1
            self.order = np.random.default_rng([seed, self.epoch]).permutation(len(images))

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            idx = self.order[i * batch : (i + 1) * batch]
            rng = np.random.default_rng([seed, self.epoch, i])
            return augment_batch(images[idx], rng), labels[idx]

    return CanvasBatches()


def canvas_set(images, labels, seed: int):  # type: ignore[no-untyped-def]
    """A fixed canvas rendering of a set (for validation and the canvas test)."""
    return augment_batch(images, np.random.default_rng(seed)), labels


# ---------------------------------------------------------------- export
def save_weights(model, kind: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Save the weights alone: a compiled Keras 3 model would add the optimizer's state (3x the
    size), which fine-tuning does not need."""
    bare = build_model(kind)
    bare.set_weights(model.get_weights())
    bare.save_weights(path)



def with_embedding(model):  # type: ignore[no-untyped-def]
    """The same network with two outputs: the penultimate layer's activations ("embedding", what
    the runtime's personalization compares) and the probabilities."""
    import keras

    return keras.Model(model.inputs, [model.layers[-2].output, model.outputs[0]])


def export_onnx(model, path: Path, metadata: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Keras 3 -> ONNX via tf.function + tf2onnx.from_function (from_keras fails on Keras 3).

    Outputs: `probabilities` [N, 10] and `embedding` [N, D], the penultimate layer."""
    import onnx
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, 28, 28, 1), tf.float32, name="image"),)
    both = with_embedding(model)

    @tf.function(input_signature=spec)
    def serve(image):  # type: ignore[no-untyped-def]
        embedding, probabilities = both(image, training=False)
        return {"probabilities": probabilities, "embedding": embedding}

    proto, _ = tf2onnx.convert.from_function(serve, input_signature=spec, opset=OPSET)
    # Dict outputs come out sorted by name; probabilities first, as every digitrt model has it.
    outputs = sorted(proto.graph.output, key=lambda o: o.name != "probabilities")
    del proto.graph.output[:]
    proto.graph.output.extend(outputs)
    for key, value in metadata.items():
        proto.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    proto.doc_string = ("digitrt digit classifier: image float32 [N,28,28,1] -> probabilities "
                        "[N,10], embedding [N,D] (the penultimate layer)")
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(path))


def onnx_probabilities(path: Path, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The exported file's probabilities, through the runtime's own Model (same session options)."""
    return Model(path).run(x)


def check_parity(model, path: Path, x: npt.NDArray[np.float32]) -> float:  # type: ignore[no-untyped-def]
    """Max |Keras - onnxruntime| over x, probabilities and embedding; raises if above
    PARITY_TOLERANCE."""
    keras_embedding, keras_out = with_embedding(model).predict(x, batch_size=500, verbose=0)
    onnx_out = Model(path).run_outputs(x, "probabilities", "embedding")
    delta = max(float(np.abs(keras_out - onnx_out["probabilities"]).max()),
                float(np.abs(keras_embedding - onnx_out["embedding"]).max()))
    if delta > PARITY_TOLERANCE:
        raise RuntimeError(f"ONNX export differs from Keras by {delta:.2e} > {PARITY_TOLERANCE}")
    return delta


# ---------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m training.train",
        description=__doc__.split("\n\n")[0],
        epilog="Progress is printed per epoch; a summary with the accuracies at the end.",
    )
    p.add_argument("--model", choices=("cnn", "mlp"), default="cnn",
                   help="architecture: cnn (default; the shipped model) or mlp (the 'traditional' network)")
    p.add_argument("--epochs", type=int, default=None, metavar="N",
                   help=f"passes over the training set (default: {EPOCHS['cnn']}, or "
                        f"{FINETUNE_EPOCHS} with --finetune)")
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help="folder with the four MNIST IDX files (.gz or raw); default: "
                        "$DIGITRT_MNIST_DIR, ~/.cache/digitrt/mnist, Keras' cache, then download")
    p.add_argument("--custom", type=Path, default=None, metavar="DIR",
                   help="your drawings: DIR/<digit>/*.png, as the drawing window saves them")
    p.add_argument("--finetune", nargs="?", type=Path, const=SHIPPED, default=None,
                   metavar="WEIGHTS",
                   help="start from trained weights (default: the shipped "
                        "models/digit_<model>.weights.h5) with a small learning rate and "
                        f"{FINETUNE_EPOCHS} epochs instead of from scratch")
    p.add_argument("--out", type=Path, default=Path("models"), metavar="DIR",
                   help="where the .onnx, .weights.h5, report and plots are written "
                        "(default: models/)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="train on the first N training images only (quick smoke runs)")
    p.add_argument("--seed", type=int, default=SEED,
                   help=f"random seed; runs repeat exactly (default: {SEED})")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    command = "python -m training.train " + shlex.join(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()

    mnist = load_mnist(args.data)
    order = np.random.default_rng(args.seed).permutation(len(mnist.train_images))
    val_idx, train_idx = order[:VALIDATION], order[VALIDATION:]
    if args.limit:
        train_idx, val_idx = train_idx[: args.limit], val_idx[: max(200, args.limit // 10)]
    images, labels = mnist.train_images[train_idx], mnist.train_labels[train_idx]
    if args.custom is not None:
        custom_images, custom_labels = load_custom(args.custom)
        images = np.concatenate([images, *[custom_images] * CUSTOM_REPEAT])
        labels = np.concatenate([labels, *[custom_labels] * CUSTOM_REPEAT])
        log.info("custom drawings: %d (each used %d times per epoch)",
                 len(custom_labels), CUSTOM_REPEAT)
    val = canvas_set(mnist.train_images[val_idx], mnist.train_labels[val_idx], args.seed + 1)

    model = build_model(args.model)
    if args.finetune:
        start = args.finetune
        if start == SHIPPED:
            start = SHIPPED / f"digit_{args.model}.weights.h5"
        model.load_weights(start)
        log.info("fine-tuning from %s", start)
    epochs = args.epochs or (FINETUNE_EPOCHS if args.finetune else EPOCHS[args.model])
    batches = make_sequence(images, labels, args.seed, BATCH)
    peak = FINETUNE_LR if args.finetune else LEARNING_RATE[args.model]
    schedule = keras.optimizers.schedules.CosineDecay(
        peak / 10, decay_steps=epochs * len(batches), warmup_target=peak,
        warmup_steps=0 if args.finetune else len(batches),
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=1e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.summary(print_fn=log.info)
    flops = count_flops(model)
    log.info("FLOPs per image: %.2f M; training on %d images, validating on %d",
             flops / 1e6, len(labels), len(val[1]))

    started = time.perf_counter()
    history = model.fit(batches, epochs=epochs, validation_data=val, verbose=2)
    train_seconds = time.perf_counter() - started

    # ------------------------------------------------------------ evaluate (test set: only here)
    raw_test = mnist.test_images[..., None].astype(np.float32) / 255
    through_preprocess = preprocess_all(mnist.test_images)
    canvas_test, _ = canvas_set(mnist.test_images, mnist.test_labels, args.seed + 2)
    results = {}
    for name, x in (("mnist_test", raw_test), ("mnist_test_preprocessed", through_preprocess),
                    ("canvas_test", canvas_test)):
        probabilities = model.predict(x, batch_size=500, verbose=0)
        results[name] = probabilities
    y = mnist.test_labels
    accuracy = {k: float((p.argmax(1) == y).mean()) for k, p in results.items()}

    # ------------------------------------------------------------ export + parity
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / f"digit_{args.model}.onnx"
    metadata = {
        "model": f"digit_{args.model}",
        "digitrt_version": __version__,
        "preprocessing_version": PREPROCESSING_VERSION,
        "mnist_test_accuracy": f"{accuracy['mnist_test']:.4f}",
        "canvas_test_accuracy": f"{accuracy['canvas_test']:.4f}",
        "training_command": command,
        "date": dt.date.today().isoformat(),
        "flops": str(flops),
    }
    export_onnx(model, onnx_path, metadata)
    parity = check_parity(model, onnx_path, raw_test[:1000])
    weights = args.out / f"digit_{args.model}.weights.h5"
    save_weights(model, args.model, weights)

    report = {
        "model": f"digit_{args.model}",
        "command": command,
        "seed": args.seed,
        "epochs": epochs,
        "train_images": len(labels),
        "train_seconds": round(train_seconds, 1),
        "params": int(model.count_params()),
        "flops": flops,
        "accuracy": accuracy,
        "parity_max_abs_diff": parity,
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "confusion": confusion(y, results["mnist_test"].argmax(1)).tolist(),
        "canvas_confusion": confusion(y, results["canvas_test"].argmax(1)).tolist(),
    }
    (args.out / f"digit_{args.model}.json").write_text(json.dumps(report, indent=1) + "\n")
    try:
        from .report import write_plots

        write_plots(report, mnist.test_images, y, results["mnist_test"], args.out)
    except ImportError as e:  # matplotlib is part of the train extra, but plots are optional
        log.warning("plots skipped: %s", e)

    log.info("\n==== digit_%s: %d params, %.2f MFLOP, %d epochs in %.0f s",
             args.model, report["params"], flops / 1e6, epochs, train_seconds)
    for k, v in accuracy.items():
        log.info("  %-26s %.2f %%", k, 100 * v)
    log.info("  Keras vs onnxruntime max |diff| on 1000 test images: %.1e", parity)
    log.info("  wrote %s, %s", onnx_path, weights)
    return 0


def confusion(y_true: npt.NDArray[np.uint8], y_pred: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


if __name__ == "__main__":
    sys.exit(main())
