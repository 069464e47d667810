"""Train digitrt's CNN or MLP on MNIST, pen strokes, fonts and non-digits; export it to ONNX.

    python -m training.train --model cnn            # the shipped CNN (tens of minutes on 2 cores)
    python -m training.train --model mlp
    python -m training.train --model cnn --custom ~/digits --finetune --out mine/   # minutes

Model v2 learns eleven classes: the ten digits and "not a digit" (training/mix.py says what an
epoch holds). Every training image is drawn onto a random canvas and sent through
digitrt.preprocess, the function the runtime uses, so training and serving see identical inputs.
The 10k MNIST test set is only used for the final report; a seeded 5k split of the training set
is the validation set, where the calibration temperature and the not-a-digit threshold are
chosen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from digitrt import MNIST_SIZE, PREPROCESSING_VERSION, Model, __version__

from . import real
from .common import (
    BATCH,
    CNN_CONVS,
    CNN_DENSE,
    CNN_DROPOUT,
    EPOCHS,
    FALSE_REJECTION,
    MLP_DROPOUT,
    MLP_UNITS,
    OPSET,
    SEED,
    WEIGHT_DECAY,
    add_metadata,
    command_line,
    seed_keras,
)
from .custom import load_custom
from .fonts import BASE, TRAINING
from .graph import static_flatten
from .mix import (
    CLASSES,
    NOT_A_DIGIT,
    Mix,
    measure,
    measure_real,
    real_validation_sets,
    test_sets,
    validation_sets,
)
from .mnist import load_mnist
from .synth import BASE_NEGATIVES, TRAINING_NEGATIVES

LEARNING_RATE = {"cnn": 2e-3, "mlp": 1e-3}
FINETUNE_EPOCHS, FINETUNE_LR = 3, 2e-4
CUSTOM_REPEAT = 20  # each of the user's drawings counts this many times per epoch
PARITY_TOLERANCE = 1e-5
SHIPPED = Path(__file__).resolve().parent.parent / "models"

log = logging.getLogger("training")


# ---------------------------------------------------------------- models
def build_model(kind: str):  # type: ignore[no-untyped-def]
    """The two architectures. BatchNorm sits directly after each convolution so the ONNX
    exporter folds it into the convolution's weights (no cost at inference)."""
    import keras
    from keras import layers

    inputs = keras.Input((MNIST_SIZE, MNIST_SIZE, 1), name="image")
    if kind == "cnn":
        x = inputs
        for filters, size, pool in CNN_CONVS:
            x = layers.Conv2D(filters, size, use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
            if pool:
                x = layers.MaxPooling2D()(x)
        x = layers.Flatten()(x)
        x = layers.Dropout(CNN_DROPOUT)(x)
        x = layers.Dense(CNN_DENSE, activation="relu")(x)
        x = layers.Dropout(CNN_DROPOUT)(x)
    elif kind == "mlp":
        x = layers.Flatten()(inputs)
        for units in MLP_UNITS:
            x = layers.Dense(units, activation="relu")(x)
            x = layers.Dropout(MLP_DROPOUT)(x)
    else:
        raise ValueError(f"unknown model {kind!r}; choose cnn or mlp")
    outputs = layers.Dense(CLASSES, name="logits")(x)  # ten digits and "not a digit"
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


def training_data(args: argparse.Namespace) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(fonts, not-a-digit generators) of this run: the first stage's with --base, else all."""
    return (BASE, BASE_NEGATIVES) if args.base else (TRAINING, TRAINING_NEGATIVES)


def make_sequence(mix: Mix, custom, seed: int, batch: int):  # type: ignore[no-untyped-def]
    """A Keras dataset that draws every epoch's items anew (training/mix.py) on fresh random
    canvases, plus the user's own drawings (`custom`: images, labels; may be empty). Seeded per
    (epoch, batch), so runs repeat exactly."""
    import keras

    custom_images, custom_labels = custom

    class CanvasBatches(keras.utils.PyDataset):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(workers=2, use_multiprocessing=False)
            self.on_epoch_end(first=True)

        def __len__(self) -> int:
            return -(-len(self.labels) // batch)

        def on_epoch_end(self, first: bool = False) -> None:
            self.epoch = 0 if first else self.epoch + 1
            kinds, refs, labels = mix.epoch(self.epoch)
            n_custom = len(custom_labels) * CUSTOM_REPEAT
            self.kinds = np.concatenate([kinds, np.full(n_custom, -1)])
            self.refs = np.concatenate([refs, np.tile(np.arange(len(custom_labels)), CUSTOM_REPEAT)])
            self.labels = np.concatenate([labels, np.tile(custom_labels, CUSTOM_REPEAT)])
            order = np.random.default_rng([seed, self.epoch]).permutation(len(self.labels))
            self.kinds, self.refs, self.labels = self.kinds[order], self.refs[order], self.labels[order]

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            part = slice(i * batch, (i + 1) * batch)
            rng = np.random.default_rng([seed, self.epoch, i])
            kinds, refs = self.kinds[part], self.refs[part]
            x = mix.batch(kinds, refs, rng)
            own = kinds == -1  # the user's drawings: already preprocessed, used as they are
            if own.any():
                x[own, :, :, 0] = custom_images[refs[own]] / np.float32(255)
            return x, self.labels[part]

    return CanvasBatches()


# ---------------------------------------------------------------- export
def save_weights(model, kind: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Save the weights alone: a compiled Keras 3 model would add the optimizer's state (3x the
    size), which fine-tuning does not need."""
    bare = build_model(kind)
    bare.set_weights(model.get_weights())
    bare.save_weights(path)


def with_embedding(model):  # type: ignore[no-untyped-def]
    """The same network with two outputs: the penultimate layer's activations ("embedding", what
    the runtime's personalization compares) and the eleven logits."""
    import keras

    return keras.Model(model.inputs, [model.layers[-2].output, model.outputs[0]])


def heads(logits: npt.NDArray[np.float32], temperature: float) -> dict[str, npt.NDArray[np.float32]]:
    """What the exported graph computes from the logits (NumPy, for parity and evaluation):
    `probabilities`, the ten digits' softmax at the calibration temperature (given that it is a
    digit), and `not_a_digit`, the eleven-way softmax's share of the eleventh class."""
    digits = logits[:, :NOT_A_DIGIT] / np.float32(temperature)
    digits = np.exp(digits - digits.max(1, keepdims=True))
    full = np.exp(logits - logits.max(1, keepdims=True))
    return {"probabilities": (digits / digits.sum(1, keepdims=True)).astype(np.float32),
            "not_a_digit": (full[:, NOT_A_DIGIT] / full.sum(1)).astype(np.float32)}


def fit_temperature(logits: npt.NDArray[np.float32], labels: npt.NDArray[np.uint8]) -> float:
    """The temperature minimising the negative log-likelihood of the digits' softmax on held-out
    digits (temperature scaling, Guo et al. 2017): a grid search, then a finer one."""
    def nll(t: float) -> float:
        p = heads(logits, t)["probabilities"]
        return float(-np.log(np.maximum(p[np.arange(len(labels)), labels], 1e-12)).mean())

    grid = np.arange(0.5, 4.01, 0.05)
    best = float(grid[np.argmin([nll(t) for t in grid])])
    fine = np.arange(best - 0.05, best + 0.051, 0.005)
    return round(float(fine[np.argmin([nll(t) for t in fine])]), 3)


def export_onnx(model, path: Path, metadata: dict[str, str],  # type: ignore[no-untyped-def]
                temperature: float = 1.0) -> None:
    """Keras 3 -> ONNX via tf.function + tf2onnx.from_function (from_keras fails on Keras 3).

    Outputs (see `heads`): `probabilities` [N, 10], calibrated; `not_a_digit` [N]; `embedding`
    [N, D], the penultimate layer. The temperature is baked into the graph."""
    import onnx
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, MNIST_SIZE, MNIST_SIZE, 1), tf.float32, name="image"),)
    both = with_embedding(model)

    @tf.function(input_signature=spec)
    def serve(image):  # type: ignore[no-untyped-def]
        embedding, logits = both(image, training=False)
        probabilities = tf.nn.softmax(logits[:, :NOT_A_DIGIT] / temperature)
        not_a_digit = tf.nn.softmax(logits)[:, NOT_A_DIGIT]
        return {"probabilities": probabilities, "not_a_digit": not_a_digit, "embedding": embedding}

    proto, _ = tf2onnx.convert.from_function(serve, input_signature=spec, opset=OPSET)
    static_flatten(proto)  # six fewer nodes on every call (graph.py)
    # Dict outputs come out sorted by name; probabilities first, as every digitrt model has it.
    outputs = sorted(proto.graph.output, key=lambda o: o.name != "probabilities")
    del proto.graph.output[:]
    proto.graph.output.extend(outputs)
    add_metadata(proto, metadata)
    proto.doc_string = ("digitrt digit classifier: image float32 [N,28,28,1] -> probabilities "
                        "[N,10] (calibrated), not_a_digit [N], embedding [N,D] (penultimate layer)")
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(path))


def check_parity(model, path: Path, x: npt.NDArray[np.float32],  # type: ignore[no-untyped-def]
                 temperature: float = 1.0) -> float:
    """Max |Keras - onnxruntime| over x, every output; raises if above PARITY_TOLERANCE."""
    keras_embedding, logits = with_embedding(model).predict(x, batch_size=500, verbose=0)
    expected = {**heads(logits, temperature), "embedding": keras_embedding}
    onnx_out = Model(path).run_outputs(x, *expected)
    delta = max(float(np.abs(expected[k] - onnx_out[k]).max()) for k in expected)
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
    p.add_argument("--learning-rate", type=float, default=None, metavar="LR",
                   help=f"peak learning rate (default: {LEARNING_RATE['cnn']} for the CNN, "
                        f"{FINETUNE_LR} with --finetune)")
    p.add_argument("--out", type=Path, default=Path("models"), metavar="DIR",
                   help="where the .onnx, .weights.h5, report and plots are written "
                        "(default: models/)")
    p.add_argument("--base", action="store_true",
                   help="the first stage only: the fonts and not-a-digit generators of model "
                        "v2.0 (fonts.BASE, synth.BASE_NEGATIVES). The shipped CNN is this run, "
                        "fine-tuned on everything (make train)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="train on the first N training images only (quick smoke runs)")
    p.add_argument("--batch", type=int, default=BATCH, metavar="N",
                   help=f"images per training step (default {BATCH}; smoke runs use fewer, so "
                        "that BatchNorm's moving statistics settle in few images)")
    p.add_argument("--seed", type=int, default=SEED,
                   help=f"random seed; runs repeat exactly (default: {SEED}). The validation "
                        "split stays the default seed's, so that no model trains on it")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    command = command_line("training.train", argv)
    seed_keras(args.seed)
    mnist = load_mnist(args.data)
    mix, custom, val, real_sets = prepare_data(args, mnist)

    model, epochs, batches = compile_model(args, mix, custom)
    started = time.perf_counter()
    history = model.fit(batches, epochs=epochs, validation_data=val, verbose=2)
    train_seconds = time.perf_counter() - started

    # Decisions on real writers only; the test set is used here and nowhere else.
    temperature, threshold = decide(model, real_sets)
    real_figures = measure_real(keras_outputs(model, temperature), real_sets, threshold)
    log.info("temperature %.3f; not-a-digit threshold %.4f; real validation: %s", temperature,
             threshold, json.dumps(real_figures, indent=1))
    evaluation, results = evaluate(model, mnist, args.seed, temperature, threshold)

    onnx_path, weights, parity = export(args, model, mnist, evaluation["accuracy"], temperature,
                                        threshold, command)
    y = mnist.test_labels
    report = {
        "model": f"digit_{args.model}",
        "command": command,
        "seed": args.seed,
        "epochs": epochs,
        "learning_rate": peak_learning_rate(args),
        "train_images": len(batches.labels),
        "train_seconds": round(train_seconds, 1),
        "params": int(model.count_params()),
        "flops": count_flops(model),
        **evaluation,
        "temperature": temperature,
        "not_a_digit_threshold": threshold,
        "real_validation": real_figures,
        "parity_max_abs_diff": parity,
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "confusion": confusion(y, results["mnist_test"].argmax(1)).tolist(),
        "canvas_confusion": confusion(y, results["canvas_test"].argmax(1)).tolist(),
    }
    write_report(report, mnist, results, args.out)
    log_summary(report, onnx_path, weights)
    return 0


def prepare_data(args: argparse.Namespace, mnist):  # type: ignore[no-untyped-def]
    """The training mix, the user's drawings, the validation batch seen during fit, and the real
    validation writers' sets where the decisions are made."""
    # The split and its drawings do not follow --seed: every model chooses its decisions on the
    # same writers, whose digits none of them trained on (QMNIST's writer ids, training/real.py).
    writers = real.mnist_writers()
    val_idx, train_idx = real.writer_split(writers)
    if args.limit:
        train_idx, val_idx = train_idx[: args.limit], val_idx[: max(200, args.limit // 10)]
    mix = Mix(mnist.train_images[train_idx], mnist.train_labels[train_idx], args.seed,
              *training_data(args), with_real=not args.base)
    custom = (load_custom(args.custom) if args.custom is not None
              else (np.zeros((0, MNIST_SIZE, MNIST_SIZE), np.uint8), np.zeros(0, np.uint8)))
    if len(custom[1]):
        log.info("custom drawings: %d (each used %d times per epoch)", len(custom[1]), CUSTOM_REPEAT)
    val_x, val_y, val_negatives = validation_sets(mnist.train_images[val_idx],
                                                  mnist.train_labels[val_idx], SEED + 1)
    val = (np.concatenate([val_x, val_negatives]),
           np.concatenate([val_y, np.full(len(val_negatives), NOT_A_DIGIT, np.uint8)]))
    real_sets = real_validation_sets(mnist.train_images[val_idx], mnist.train_labels[val_idx],
                                     writers[val_idx], SEED + 5)
    return mix, custom, val, real_sets


def export(args: argparse.Namespace, model, mnist, accuracy: dict[str, float],  # type: ignore[no-untyped-def]
           temperature: float, threshold: float, command: str) -> tuple[Path, Path, float]:
    """The ONNX file with its metadata, checked against Keras, and the Keras weights."""
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / f"digit_{args.model}.onnx"
    metadata = {
        "model": f"digit_{args.model}",
        "digitrt_version": __version__,
        "preprocessing_version": PREPROCESSING_VERSION,
        "mnist_test_accuracy": f"{accuracy['mnist_test']:.4f}",
        "canvas_test_accuracy": f"{accuracy['canvas_test']:.4f}",
        "temperature": f"{temperature}",
        "not_a_digit_threshold": f"{threshold}",
        "training_command": command,
        "date": dt.date.today().isoformat(),
        "flops": str(count_flops(model)),
    }
    export_onnx(model, onnx_path, metadata, temperature)
    raw_test = mnist.test_images[..., None].astype(np.float32) / 255
    parity = check_parity(model, onnx_path, raw_test[:1000], temperature)
    weights = args.out / f"digit_{args.model}.weights.h5"
    save_weights(model, args.model, weights)
    return onnx_path, weights, parity


def write_report(report: dict, mnist, results, out: Path) -> None:  # type: ignore[no-untyped-def,type-arg]
    """digit_<model>.json and its plots."""
    (out / f"{report['model']}.json").write_text(json.dumps(report, indent=1) + "\n")
    try:
        from .report import write_plots

        write_plots(report, mnist.test_images, mnist.test_labels, results["mnist_test"], out)
    except ImportError as e:  # matplotlib is part of the train extra, but plots are optional
        log.warning("plots skipped: %s", e)


def log_summary(report: dict, onnx_path: Path, weights: Path) -> None:  # type: ignore[type-arg]
    log.info("\n==== %s: %d params, %.2f MFLOP, %d epochs in %.0f s", report["model"],
             report["params"], report["flops"] / 1e6, report["epochs"], report["train_seconds"])
    for k, v in report["accuracy"].items():
        log.info("  %-34s %.2f %%", k, 100 * v)
    for k, v in report["not_a_digit"]["rejected"].items():
        log.info("  rejected: %-24s %.2f %%", k, 100 * v)
    log.info("  ECE after calibration: %s", report["calibration"]["after"])
    log.info("  Keras vs onnxruntime max |diff| on 1000 test images: %.1e",
             report["parity_max_abs_diff"])
    log.info("  wrote %s, %s", onnx_path, weights)


def keras_outputs(model, temperature: float):  # type: ignore[no-untyped-def]
    """`outputs(x)` -> (probabilities, not-a-digit score) of a Keras model, as the ONNX file gives."""
    def outputs(x):  # type: ignore[no-untyped-def]
        out = heads(model.predict(x, batch_size=500, verbose=0), temperature)
        return out["probabilities"], out["not_a_digit"]
    return outputs


def decide(model, real_sets) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The calibration temperature and the not-a-digit threshold, chosen on real validation
    writers only: the temperature minimising the digits' NLL, the threshold the score that
    rejects FALSE_REJECTION of their digits."""
    digit_sets = real_sets[0].values()
    logits = np.concatenate([model.predict(x, batch_size=500, verbose=0) for x, _, _ in digit_sets])
    labels = np.concatenate([y for _, y, _ in digit_sets])
    temperature = fit_temperature(logits, labels)
    scores = heads(logits, temperature)["not_a_digit"]
    threshold = float(np.quantile(scores, 1 - FALSE_REJECTION))
    return temperature, round(min(max(threshold, 0.05), 0.95), 4)


def peak_learning_rate(args: argparse.Namespace) -> float:
    return float(args.learning_rate or (FINETUNE_LR if args.finetune else LEARNING_RATE[args.model]))


def compile_model(args: argparse.Namespace, mix: Mix, custom):  # type: ignore[no-untyped-def]
    """The model (from scratch or from weights), its epochs and its batches, compiled."""
    import keras

    model = build_model(args.model)
    if args.finetune:
        start = args.finetune
        if start == SHIPPED:
            start = SHIPPED / f"digit_{args.model}.weights.h5"
        model.load_weights(start)
        log.info("fine-tuning from %s", start)
    epochs = args.epochs or (FINETUNE_EPOCHS if args.finetune else EPOCHS[args.model])
    batches = make_sequence(mix, custom, args.seed, args.batch)
    peak = peak_learning_rate(args)
    schedule = keras.optimizers.schedules.CosineDecay(
        peak / 10, decay_steps=epochs * len(batches), warmup_target=peak,
        warmup_steps=0 if args.finetune else len(batches),
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=WEIGHT_DECAY),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.summary(print_fn=log.info)
    log.info("FLOPs per image: %.2f M; %d items per epoch", count_flops(model) / 1e6,
             len(batches.labels))
    return model, epochs, batches


def evaluate(model, mnist, seed: int, temperature: float, threshold: float):  # type: ignore[no-untyped-def]
    """Every test figure of the report, from the Keras model (`mix.measure` on `mix.test_sets`):
    accuracy, not-a-digit rates and AUROC at the temperature, calibration before and after."""
    logits: dict[int, npt.NDArray[np.float32]] = {}

    def at(t: float):  # type: ignore[no-untyped-def]
        def outputs(x):  # type: ignore[no-untyped-def]
            if id(x) not in logits:  # one prediction per set, whatever the temperature
                logits[id(x)] = model.predict(x, batch_size=500, verbose=0)
            out = heads(logits[id(x)], t)
            return out["probabilities"], out["not_a_digit"]
        return outputs

    digit_sets, negatives = test_sets(mnist.test_images, mnist.test_labels, seed)
    after = measure(at(temperature), digit_sets, negatives, threshold)
    before = measure(at(1.0), digit_sets, negatives, threshold)
    results = {name: at(temperature)(digit_sets[name][0])[0] for name in ("mnist_test", "canvas_test")}

    def per_set(figures: dict, digits_only: bool = True, digits: int | None = None) -> dict:  # type: ignore[type-arg]
        return {k: (round(v, digits) if digits else v) for k, v in figures.items()
                if k in digit_sets or (not digits_only and k in negatives)}

    return {
        "accuracy": per_set(after["accuracy"]),
        "not_a_digit": {"rejected": per_set(after["rejected"], digits_only=False),
                        "threshold": threshold,
                        "auroc_canvas_test_vs_held_out": round(after["auroc"], 5)},
        "calibration": {"temperature": temperature, "before": per_set(before["ece"], digits=5),
                        "after": per_set(after["ece"], digits=5)},
    }, results


def confusion(y_true: npt.NDArray[np.uint8], y_pred: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


if __name__ == "__main__":
    sys.exit(main())
