"""Measure shipped models side by side on every test set, for the model card.

    python -m training.evaluate v1=benchmarks/baseline/digit_cnn_v1.onnx cnn=models/digit_cnn.onnx \\
        cnn-int8=models/digit_cnn_int8.onnx mlp=models/digit_mlp.onnx --out models

Writes models/evaluation.json, a reliability diagram (models/reliability.png) and the contact
sheets of what training draws (models/sheet_*.png). The test sets are the ones train.py reports
(same seeds): MNIST test raw and on canvases, the unseen-style test and the not-a-digit test.
A model without a not-a-digit output (v1) never rejects.

    python -m training.evaluate --paired before.onnx after.onnx

instead compares two models digit by digit on the real validation: per set and over the five
sets pooled, how many digits only one of them reads right (best guess), the change in points and
its paired standard error (`training.numbers.paired`, as the reader's runs are compared).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import digitrt
from digitrt import MNIST_SIZE

from . import real, synth
from .augment import augment_batch
from .common import SEED
from .fonts import HELD_OUT, TRAINING
from .mix import (
    measure,
    measure_real,
    printed_sets,
    real_validation_sets,
    sparse_sets,
    stretched_sets,
    test_sets,
)
from .mnist import load_mnist


def figures(model: digitrt.Model, digit_sets, negatives, real_sets=None,  # type: ignore[no-untyped-def]
            apart=None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """`mix.measure` (and `mix.measure_real` on the real validation writers, and on each of
    `apart`'s sets by name, e.g. "printed": `mix.printed_sets`, reported apart from them) on an
    ONNX model, rounded for the JSON (a model without a not-a-digit output, v1, never rejects)."""
    cut = threshold(model)

    def outputs(x):  # type: ignore[no-untyped-def]
        scored = model.run_scored(x)
        return scored[:, :10], scored[:, 10]

    r = measure(outputs, digit_sets, negatives, cut)
    if real_sets is not None:
        r["real_validation"] = measure_real(outputs, real_sets, cut)
    for key, sets in (apart or {}).items():
        measured = measure_real(outputs, sets, cut)
        r["real_validation"][key] = {
            **{k: {m: v[m] for m in ("best_guess", "rejected", "answered_right")}
               for k, v in measured["sets"].items()},
            **{k: {"rejected": v} for k, v in measured["rejected"].items()}}
    for key in ("accuracy", "rejected", "ece"):
        r[key] = {k: round(v, 5) for k, v in r[key].items()}
    r["auroc"] = round(r["auroc"], 5)
    if r["confident_right"] is not None:
        r["confident_right"] = round(r["confident_right"], 5)
    r["threshold"] = cut if model.has_not_a_digit else None
    r["temperature"] = model.metadata.get("temperature")
    return r


def held_out_kinds(images, seed: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The not-a-digit test's kinds one by one, to say what is still rejected too rarely: 300
    drawings of each held-out generator and 60 of each letter and symbol in the held-out fonts
    (the slash is reported apart)."""
    rng = np.random.default_rng([seed, 505])
    kinds = {g: [synth.negative(g, rng, HELD_OUT, images) for _ in range(300)]
             for g in synth.HELD_OUT_NEGATIVES}
    for c in (synth.LETTERS + synth.SYMBOLS).replace("/", ""):
        kinds[c] = [synth.font_text(str(rng.choice(HELD_OUT)), c, rng) for _ in range(60)]
    return {k: augment_batch(v, rng) for k, v in kinds.items()}


def threshold(model: digitrt.Model) -> float:
    """The model's not-a-digit threshold, as the runtime decides it (1.0, never rejects, for a
    model without a not-a-digit output: v1)."""
    return digitrt.Decision.for_model(model.metadata, model.has_not_a_digit).reject


def by_kind(model: digitrt.Model, kinds: dict) -> tuple[dict[str, float], dict[str, int], dict]:  # type: ignore[type-arg]
    """Per kind: the share rejected, the digit the accepted ones are most often read as, and the
    accepted drawings themselves (for `accepted_sheet`)."""
    rejected, read_as, accepted = {}, {}, {}
    cut = threshold(model)
    for k, x in kinds.items():
        scored = model.run_scored(x)
        kept = ~digitrt.Decision(cut).rejects(scored[:, 10])
        rejected[k], accepted[k] = round(float(1 - kept.mean()), 4), x[kept]
        if kept.any():
            read_as[k] = int(np.bincount(scored[kept, :10].argmax(1), minlength=10).argmax())
    return rejected, read_as, accepted


def accepted_sheet(rejected: dict[str, float], accepted: dict, path: Path, worst: int = 8) -> None:  # type: ignore[type-arg]
    """What the model still takes for a digit: up to 12 accepted drawings (as the network sees
    them) of each of the `worst` kinds it rejects least, one row each (`by_kind`'s results)."""
    import cv2

    rows = []
    for k in sorted(rejected, key=lambda k: rejected[k])[:worst]:
        tiles = [(255 * t[..., 0]).astype(np.uint8) for t in accepted[k][:12]]
        rows.append(np.hstack(tiles + [np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)] * (12 - len(tiles))))
    sheet = 255 - np.vstack(rows)
    cv2.imwrite(str(path), cv2.resize(sheet, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST))


def reliability_plot(results: dict, path: Path) -> None:  # type: ignore[type-arg]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    for name, r in results.items():
        conf, acc, _ = zip(*r["reliability"], strict=True)
        ece = r["ece"]["unseen-style (pooled)"]
        ax.plot(conf, acc, "o-", ms=3, label=f"{name} (ECE {100 * ece:.1f} %)")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability on the unseen-style test")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def contact_sheets(images, out: Path) -> None:  # type: ignore[no-untyped-def]
    """One PNG per augmentation: what training draws (ink dark on white, 12 per row)."""
    import cv2

    rng = np.random.default_rng(SEED)
    labels = images[1]
    skeletons = synth.skeletonize(images[0][:400])
    sheets = {
        "strokes": [synth.redraw(s, rng) for s in skeletons[:36]],
        "styles": [synth.redraw(skeletons[i], rng, synth.STYLE_BY_DIGIT[int(labels[i])])
                   for i in np.flatnonzero(np.isin(labels[:400], list(synth.STYLE_BY_DIGIT)))[:36]],
        "templates": [synth.template(n, rng) for n in synth.TEMPLATES for _ in range(6)][:36],
        "fonts": [synth.font_digit(f, d, rng) for f in TRAINING for d in range(10)][:60],
        "held_out_fonts": [synth.font_digit(f, d, rng) for f in HELD_OUT for d in range(10)],
        "negatives": [synth.negative(n, rng, TRAINING, images[0]) for n in synth.TRAINING_NEGATIVES
                      for _ in range(3)],
        "held_out_negatives": [synth.negative(n, rng, HELD_OUT, images[0])
                               for n in synth.HELD_OUT_NEGATIVES for _ in range(12)],
    }
    for name, fields in sheets.items():
        rows = [fields[i : i + 12] for i in range(0, len(fields), 12)]
        rows[-1] = rows[-1] + [np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)] * (12 - len(rows[-1]))
        sheet = 255 - np.vstack([np.hstack(r) for r in rows])
        cv2.imwrite(str(out / f"sheet_{name}.png"),
                    cv2.resize(sheet, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST))


def paired_figures(before: digitrt.Model, after: digitrt.Model, real_sets) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Two models' best guesses on each real validation set's digits, compared digit by digit
    (`numbers.paired`), and over all the sets' digits pooled."""
    from .numbers import paired

    out, pooled_before, pooled_after = {}, [], []
    for name, (x, y, _) in real_sets[0].items():
        right = [list(map(bool, m.run_scored(x)[:, :10].argmax(1) == y)) for m in (before, after)]
        out[name] = paired(*right)
        pooled_before += right[0]
        pooled_after += right[1]
    out["pooled"] = paired(pooled_before, pooled_after)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", metavar="NAME=PATH")
    parser.add_argument("--data", default=None, help="MNIST folder")
    parser.add_argument("--out", type=Path, default=Path("models"))
    parser.add_argument("--paired", action="store_true",
                        help="two model paths: compare them digit by digit on the real validation")
    args = parser.parse_args(argv)
    mnist = load_mnist(args.data, mirrors=())
    if args.paired:
        if len(args.models) != 2:
            parser.error(f"--paired compares two models, got {len(args.models)}")
        writers = real.mnist_writers()
        held, _ = real.writer_split(writers)
        sets = real_validation_sets(mnist.train_images[held], mnist.train_labels[held],
                                    writers[held], SEED + 5)
        print(json.dumps(paired_figures(*map(digitrt.Model, args.models), sets), indent=1))
        return 0
    digit_sets, negatives = test_sets(mnist.test_images, mnist.test_labels, SEED)
    kinds = held_out_kinds(mnist.test_images, SEED)
    writers = real.mnist_writers()
    val_idx, _ = real.writer_split(writers)
    real_sets = real_validation_sets(mnist.train_images[val_idx], mnist.train_labels[val_idx],
                                     writers[val_idx], SEED + 5)
    apart = {"printed": printed_sets(mnist.train_images[val_idx], mnist.train_labels[val_idx],
                                     writers[val_idx], SEED + 5),
             "stretched": stretched_sets(SEED + 5), "sparse": sparse_sets()}
    results = {}
    for spec in args.models:
        name, path = spec.split("=", 1)
        model = digitrt.Model(path)
        results[name] = figures(model, digit_sets, negatives, real_sets, apart)
        rejected, read_as, accepted = by_kind(model, kinds)
        results[name]["rejected_by_kind"], results[name]["accepted_as_by_kind"] = rejected, read_as
        if name == "cnn-int8":  # the default
            accepted_sheet(rejected, accepted, args.out / "sheet_accepted_negatives.png")
        print(name, json.dumps(results[name]["accuracy"]), results[name]["auroc"],
              json.dumps(results[name]["real_validation"], indent=1))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "evaluation.json").write_text(json.dumps(results, indent=1) + "\n")
    reliability_plot(results, args.out / "reliability.png")
    contact_sheets((mnist.train_images, mnist.train_labels), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
