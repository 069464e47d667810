"""Write models/README.md, the model card, from the reports the training runs left there.

    python -m training.card models
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from digitrt import list_models

ARCHITECTURE = {
    "cnn": "conv5x5(32) → BN → ReLU → maxpool → conv3x3(64) → BN → ReLU → maxpool → "
    "conv3x3(96) → BN → ReLU → dropout → dense(128) → dropout → dense(10) softmax",
    "mlp": "flatten(784) → dense(256) ReLU → dropout → dense(128) ReLU → dropout → "
    "dense(10) softmax",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def confusion_table(matrix: list[list[int]]) -> str:
    head = "| true \\ predicted | " + " | ".join(str(d) for d in range(10)) + " |"
    rule = "|---" * 11 + "|"
    rows = [f"| **{i}** | " + " | ".join(
        f"**{v}**" if i == j else (str(v) if v else "·") for j, v in enumerate(row)) + " |"
        for i, row in enumerate(matrix)]
    return "\n".join([head, rule, *rows])


def main(folder: str = "models") -> int:
    out = Path(folder)
    specs = {spec.name: spec for spec in list_models()}
    reports = {name: json.loads((out / spec.file.replace(".onnx", ".json")).read_text())
               for name, spec in specs.items()}
    lines = [
        "# digitrt model card",
        "",
        "Two digit classifiers trained on MNIST with canvas augmentation, exported to ONNX "
        "(opset 17), and an int8 version of the CNN. Input `image`: float32 "
        "`[N, 28, 28, 1]` in [0, 1], ink bright on 0 "
        "(MNIST's convention, what `digitrt.preprocess` produces). Output `probabilities`: "
        "float32 `[N, 10]`.",
        "",
        *[f"- `{name}` (`{spec.file}`): {spec.description}" for name, spec in specs.items()],
        "",
        "| | " + " | ".join(f"{spec.label} (`{spec.file}`)" for spec in specs.values()) + " |",
        "|---" * (len(specs) + 1) + "|",
    ]
    c, q, m = reports["cnn"], reports["cnn-int8"], reports["mlp"]

    def row(label: str, f, f_int8) -> None:  # type: ignore[no-untyped-def]
        lines.append(f"| {label} | {f(c)} | {f_int8(q)} | {f(m)} |")

    def size(r: dict) -> str:  # type: ignore[type-arg]
        return f"{(out / (r['model'] + '.onnx')).stat().st_size / 1024:.0f} KB"

    def acc(key: str, bold: bool = False):  # type: ignore[no-untyped-def]
        mark = "**" if bold else ""
        return lambda r: f"{mark}{100 * r['accuracy'][key]:.2f} %{mark}"

    row("parameters", lambda r: f"{r['params']:,}", lambda r: f"{c['params']:,} (int8)")
    row("compute per image", lambda r: f"{r['flops'] / 1e6:.2f} MFLOP",
        lambda r: f"{c['flops'] / 1e6:.2f} M int8 ops")
    row("ONNX file size", size, size)
    row("**MNIST test accuracy** (10k, raw images)", acc("mnist_test", True),
        acc("mnist_test", True))
    row("MNIST test through `digitrt.preprocess`", acc("mnist_test_preprocessed"),
        acc("mnist_test_preprocessed"))
    row("canvas test (10k test digits drawn on random canvases)", acc("canvas_test"),
        acc("canvas_test"))
    row("epochs / training time (2 cores)",
        lambda r: f"{r['epochs']} / {r['train_seconds'] / 60:.0f} min",
        lambda r: "quantized from the CNN")
    row("Keras vs onnxruntime, max abs diff (1000 test images)",
        lambda r: f"{r['parity_max_abs_diff']:.1e}", lambda r: "–")
    lines += [
        "",
        "## Architecture",
        "",
        *[f"- **{k.upper()}**: {v}" for k, v in ARCHITECTURE.items()],
        "- **CNN int8**: the CNN after onnxruntime static quantization (QDQ format, per-channel "
        "int8 weights, uint8 activations) calibrated on 1000 canvas-augmented training images "
        "(`training/quantize.py`). It is kept only if it loses at most 0.05 points on the MNIST "
        "test set and 0.1 on the canvas test. Select it with `Recognizer(\"cnn-int8\")`.",
        "",
        "BatchNorm sits directly after each convolution, so the exporter folds it into the "
        "convolution weights. FLOPs count 2 × multiply-adds of convolutions and dense layers.",
        "",
        "## Training data and augmentation",
        "",
        "MNIST's 60k training images, minus a seeded 5k validation split (used only to watch "
        "the learning curves). The 10k test set is used once, for the figures above. Every "
        "epoch draws each training digit anew (`training/augment.py`): 15 % unchanged, 30 % "
        "re-drawn in a 28×28 field with geometric jitter, 55 % drawn onto a canvas of 64–400 px "
        "at 20–90 % of its height, anywhere on it, rotated ±15°, sheared ±0.3, stretched, with "
        "thinner or thicker strokes, on white, grey, dark-grey or black paper with a dark or "
        "light pen, sometimes with noise or JPEG speckle. Every image, augmented or not, then "
        "goes through `digitrt.preprocess`, the function inference uses, so training and "
        "serving see identical inputs. The *canvas test* applies the same rendering (another "
        "seed) to the 10k test digits.",
        "",
        "AdamW (weight decay 1e-4), batch 128, one warm-up epoch then cosine decay, "
        "sparse categorical cross-entropy, seed 20261123 (TensorFlow op determinism on).",
        "",
        "## Reproduce",
        "",
        "```sh",
        "make train          # both models, then this card; or one at a time:",
        f"{c['command']}",
        f"{m['command']}",
        f"{q['command']}",
        "python -m training.card models",
        "```",
        "",
        "MNIST is found via `--data DIR`, `$DIGITRT_MNIST_DIR`, `~/.cache/digitrt/mnist`, "
        "Keras' `~/.keras/datasets/mnist.npz`, or downloaded (sha256-verified).",
        "",
        "## Fine-tune on your own handwriting",
        "",
        "Save drawings from the window (press the digit key), then:",
        "",
        "```sh",
        "python -m training.train --model cnn --custom ~/.local/share/digitrt/samples "
        "--finetune --out my-models",
        "digitrt-gui --model my-models/digit_cnn.onnx",
        "```",
        "",
        "`--finetune` starts from the shipped `digit_cnn.weights.h5` and trains 3 epochs at a "
        "small learning rate on MNIST plus your drawings (each repeated 20× per epoch), so "
        "MNIST accuracy is kept.",
    ]
    for kind, r in reports.items():
        if kind == "cnn-int8":
            continue
        name = r["model"]
        lines += [
            "",
            f"## {kind.upper()}: learning curves, confusion, mistakes",
            "",
            f"![learning curves]({name}_curves.png)",
            "",
            f"MNIST test confusion matrix ({100 * r['accuracy']['mnist_test']:.2f} %):",
            "",
            confusion_table(r["confusion"]),
            "",
            f"![confusion matrix]({name}_confusion.png)",
            "",
            f"![misclassified test digits]({name}_errors.png)",
        ]
    lines += ["", "## Files", "", "| file | bytes | sha256 |", "|---|---|---|"]
    for path in sorted(out.glob("digit_*")):
        if path.suffix in (".onnx", ".h5"):
            lines.append(f"| `{path.name}` | {path.stat().st_size:,} | `{sha256(path)}` |")
    lines.append("")
    (out / "README.md").write_text("\n".join(lines))
    print(f"wrote {out / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
