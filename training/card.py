"""Write models/README.md, the model card, from the reports the training runs left there.

    python -m training.card models
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from digitrt import MNIST_SIZE, list_models

from .common import (
    BATCH,
    CNN_CONVS,
    CNN_DENSE,
    EPOCHS,
    FALSE_REJECTION,
    MLP_UNITS,
    SEED,
    WEIGHT_DECAY,
)

# The architectures in words, from the numbers train.build_model builds them with.
ARCHITECTURE = {
    "cnn": " → ".join(f"conv{k}x{k}({f}) → BN → ReLU" + (" → maxpool" if pool else "")
                      for f, k, pool in CNN_CONVS)
    + f" → dropout → dense({CNN_DENSE}) [embedding] → dropout → dense(11) logits",
    "mlp": f"flatten({MNIST_SIZE * MNIST_SIZE}) → "
    + " → dropout → ".join(f"dense({u}) ReLU" for u in MLP_UNITS)
    + " [embedding] → dropout → dense(11) logits",
}


def pct(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{100 * v:.{digits}f} %"


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
    evaluation_path = out / "evaluation.json"
    evaluation = json.loads(evaluation_path.read_text()) if evaluation_path.is_file() else {}
    personal_path = out / "personalization.json"
    personal = json.loads(personal_path.read_text()) if personal_path.is_file() else None
    lines = header(specs, reports, out)
    lines += real_writers(reports["cnn"], evaluation)
    lines += architecture()
    lines += data_sources(reports["cnn"])
    lines += v1_vs_v2(evaluation)
    lines += calibration(reports, evaluation)
    lines += not_a_digit(reports, evaluation)
    if personal:
        lines += personalization(personal)
    sequence_path = out / "digit_sequence.json"
    if sequence_path.is_file():
        numbers_path, writers_path = out / "numbers.json", out / "numbers_writers.json"
        lines += sequence(json.loads(sequence_path.read_text()),
                          json.loads(numbers_path.read_text()) if numbers_path.is_file() else None,
                          json.loads(writers_path.read_text()) if writers_path.is_file() else None)
    lines += reproduce(reports)
    lines += per_model(reports)
    lines += history()
    lines += ["", "## Files", "", "| file | bytes | sha256 |", "|---|---|---|"]
    for path in sorted(out.glob("digit_*")):
        if path.suffix in (".onnx", ".h5"):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            lines.append(f"| `{path.name}` | {path.stat().st_size:,} | `{digest}` |")
    lines.append("")
    (out / "README.md").write_text("\n".join(lines))
    print(f"wrote {out / 'README.md'}")
    return 0


def header(specs, reports, out: Path) -> list[str]:  # type: ignore[no-untyped-def]
    lines = [
        "# digitrt model card (model v3: the CNNs; the MLP is still v2)",
        "",
        "Digit classifiers trained on MNIST, pen-stroke redrawings, handwriting fonts and "
        "non-digits, exported to ONNX (opset 17), and an int8 version of the CNN. Input "
        "`image`: float32 `[N, 28, 28, 1]` in [0, 1], ink bright on 0 (MNIST's convention, what "
        "`digitrt.preprocess` produces). Outputs: `probabilities` float32 `[N, 10]`, each "
        "digit's probability given that the drawing is a digit, calibrated by a temperature "
        "baked into the graph; `not_a_digit` `[N]`, the probability that it is not a digit; "
        f"`embedding` `[N, D]`, the penultimate layer (D = {CNN_DENSE} for the CNN, "
        f"{MLP_UNITS[-1]} for the MLP; personalization uses it).",
        "",
        *[f"- `{name}` (`{spec.file}`): {spec.description}" for name, spec in specs.items()],
        "",
        "| | " + " | ".join(f"{spec.label} (`{spec.file}`)" for spec in specs.values()) + " |",
        "|---" * (len(specs) + 1) + "|",
    ]
    c = reports["cnn"]

    def row(label: str, f, f_int8) -> None:  # type: ignore[no-untyped-def]
        """One row, its cells in the header's (the registry's) order."""
        cells = (f_int8(reports[name]) if name == "cnn-int8" else f(reports[name]) for name in specs)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

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
    row("calibration temperature / not-a-digit threshold",
        lambda r: f"{r['temperature']} / {r['not_a_digit_threshold']}",
        lambda r: f"{c['temperature']} / {c['not_a_digit_threshold']} (the CNN's)")
    row("epochs / training time of the second stage (2 cores)",
        lambda r: f"{r['epochs']} / {r['train_seconds'] / 60:.0f} min",
        lambda r: "quantized from the CNN")
    row("Keras vs onnxruntime, max abs diff (1000 test images, every output)",
        lambda r: f"{r['parity_max_abs_diff']:.1e}", lambda r: "–")
    return lines


REAL_SOURCES = [
    "- optdigits (UCI \"Optical Recognition of Handwritten Digits\", original 32x32 bitmaps): "
    "E. Alpaydin, C. Kaynak (1998), doi:10.24432/C50P49, CC BY 4.0. Training: the 30 writers of "
    "`.tra` + `.cv`; validation: the 13 writers (14 forms) of `.windep`.",
    "- pendigits (UCI \"Pen-Based Recognition of Handwritten Digits\"): E. Alpaydin, F. Alimoglu "
    "(1996), doi:10.24432/C5MG6K, CC BY 4.0. Training: the 30 writers of `.tra`, 8 pen points a "
    "digit, drawn as a round-pen curve.",
    "- Omniglot (B. Lake et al., Science 2015), MIT licence: hand-drawn characters as not-a-digit "
    "drawings. Training: Balinese, Early Aramaic, Korean, Katakana (a third of the drawings as drawn, a "
    "third turned or mirrored, a third joined with another along a cut); validation: Sanskrit, "
    "Tagalog; test: Greek; reported apart: Latin, and nine characters of the held-out alphabets "
    "that people draw as digits (Tagalog's 3 and 0, Sanskrit's u and dda, Greek's delta, theta, "
    "iota, omicron and sigma: `OMNIGLOT_LOOKALIKES` in training/real.py, chosen by eye from a "
    "sheet of every character before any model's score on them was computed).",
    "- QMNIST writer ids (C. Yadav, L. Bottou, NeurIPS 2019), BSD licence: MNIST's training set "
    "split by writer, 10 % of the writers for validation (never in model v3's second stage).",
]


def real_writers(c: dict, evaluation: dict) -> list[str]:  # type: ignore[type-arg]
    """Model v3's yardstick: real writers no model trained on (training/real.py), per set, with
    v1 and v2.1 beside it, measured by training/evaluate.py."""
    names = [n for n in ("v1", "v2.1", "cnn", "cnn-int8") if "real_validation" in evaluation.get(n, {})]
    lines = ["", "## Real writers (model v3's validation: every decision is made here)", "",
             "Digits of real writers none of the models trained on, drawn as users' inputs look "
             "(`training/real.py`, `python -m training.evaluate`). Best guess = the most probable "
             "digit; rejected = answered \"not a digit\" at each model's shipped threshold (v1 "
             "never rejects); worst writer = the lowest best-guess accuracy of a writer (form) with "
             "20 digits or more.", ""]
    if not names:
        return [*lines, "(run `python -m training.evaluate` for these figures)"]
    lines += ["| set | " + " | ".join(f"{n} best guess / rejected / worst writer" for n in names)
              + " |", "|---" * (len(names) + 1) + "|"]
    sets = evaluation[names[-1]]["real_validation"]["sets"]
    for s in sets:
        cells = []
        for n in names:
            f = evaluation[n]["real_validation"]["sets"][s]
            cells.append(f"{pct(f['best_guess'])} / {pct(f['rejected'])} / {pct(f['worst_writer'], 1)}")
        lines.append(f"| {s} ({sets[s]['writers']} writers) | " + " | ".join(cells) + " |")
    for label, key in (("mean best guess over the sets", "mean_best_guess"),
                       ("digits rejected (mean over the sets)", "rejected_digits"),
                       ("ECE, real digits pooled", "ece")):
        lines.append(f"| **{label}** | " + " | ".join(
            pct(evaluation[n]["real_validation"][key]) for n in names) + " |")
    for neg in evaluation[names[-1]]["real_validation"]["rejected"]:
        lines.append(f"| **{neg} rejected** (real drawn characters, held out) | " + " | ".join(
            pct(evaluation[n]["real_validation"]["rejected"][neg]) for n in names) + " |")
    for key, why in (("printed", "deeper than the crops above"),
                     ("stretched", "Semeion's format, `mix.stretched_sets`"),
                     ("sparse", "a sparsely sampled pen, `mix.sparse_sets`")):
        for s, f in evaluation[names[-1]]["real_validation"].get(key, {}).items():
            figure = "answered right" if "answered_right" in f else "rejected"
            lines.append(f"| {s} (apart: {why}; {figure}) | " + " | ".join(
                pct(evaluation[n]["real_validation"].get(key, {}).get(s, {}).get(figure.replace(" ", "_")))
                for n in names) + " |")
    lines += per_writer(evaluation, names)
    lines += ["", "Data (committed in `training/realdata/` with its licences; checksums in "
              "`SHA256SUMS` there):", "", *REAL_SOURCES]
    return lines


def per_writer(evaluation: dict, names: list[str], shown: int = 14) -> list[str]:  # type: ignore[type-arg]
    """Each set's writers (forms) by the last model's best guess, worst first: every writer of a
    set with up to `shown` of them, else the `shown` worst and how many reach 95 %."""
    last = names[-1]
    sets = evaluation[last]["real_validation"]["sets"]
    if not all("by_writer" in sets[s] for s in sets):
        return []
    lines = ["", "### Per writer", "", "Best guess per writer (form) with 20 digits or more, "
             f"worst first by {last}; a set with more than {shown} writers shows its {shown} worst."]
    for s, figures in sets.items():
        order = sorted(figures["by_writer"], key=lambda w: figures["by_writer"][w])
        reach = sum(v >= 0.95 for v in figures["by_writer"].values())
        lines += ["", f"**{s}**: {reach} of {len(order)} writers at 95 % or more.", "",
                  "| writer | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        for w in order[:shown]:
            cells = [pct(evaluation[n]["real_validation"]["sets"][s].get("by_writer", {}).get(w), 1)
                     for n in names]
            lines.append(f"| {w} | " + " | ".join(cells) + " |")
    return lines


def architecture() -> list[str]:
    return [
        "",
        "## Architecture",
        "",
        *[f"- **{k.upper()}**: {v}" for k, v in ARCHITECTURE.items()],
        "- **CNN int8**: the CNN after onnxruntime static quantization (QDQ format, per-channel "
        "int8 weights, uint8 activations; the softmax stays in float so runner-ups keep real "
        "probabilities) calibrated on 1000 items of the training mix (`training/quantize.py`). "
        "It is kept only if it loses at most 0.05 points on the MNIST test set and 0.1 on the "
        "canvas test. Select it with `Recognizer(\"cnn-int8\")`.",
        "",
        "Eleven logits: the ten digits and *not a digit*. The exported graph computes "
        "`probabilities = softmax(logits[:10] / T)` and `not_a_digit = softmax(logits)[10]`. "
        "BatchNorm sits directly after each convolution, so the exporter folds it into the "
        "convolution weights. FLOPs count 2 × multiply-adds of convolutions and dense layers.",
    ]


def data_sources(c: dict) -> list[str]:  # type: ignore[type-arg]
    from . import icons
    from .fonts import ADDED, BASE, HELD_OUT, TRAINING
    from .mix import FONT_SHARE, NEGATIVE_SHARE, STROKE_SHARE, STYLE_SHARE, TEMPLATE_SHARE
    from .synth import BASE_NEGATIVES, HELD_OUT_NEGATIVES, TEMPLATES, TRAINING_NEGATIVES

    n = 53_809  # MNIST's training digits outside the validation writers (real.writer_split)
    return [
        "",
        "## Training data (what one epoch holds) and licences",
        "",
        "| source | licence | per epoch |",
        "|---|---|---|",
        f"| MNIST training digits (60k minus the validation writers: QMNIST's writer split) | CC BY-SA 3.0 "
        f"(LeCun, Cortes, Burges) | {n:,}: {100 - 100 * STROKE_SHARE:.0f} % drawn on canvases, "
        f"{100 * STROKE_SHARE:.0f} % redrawn as pen strokes ({100 * STYLE_SHARE:.0f} % of "
        "redrawn 0/1/7/9 with their style) |",
        f"| digits in {len(TRAINING)} handwriting fonts ({', '.join(TRAINING)}; npm "
        "`@fontsource/*` 5.3.0, `training/fonts/`) | SIL Open Font License 1.1 (licence files "
        f"beside the fonts) | {round(FONT_SHARE * n):,} |",
        f"| style templates ({', '.join(TEMPLATES)}) | this project (MIT) | "
        f"{round(TEMPLATE_SHARE * n):,} |",
        f"| not-a-digit drawings: {', '.join(TRAINING_NEGATIVES)} (letters and symbols in the "
        "training fonts; glyph: a Greek or Cyrillic letter, kanji or sign from the Hershey "
        f"vector fonts, `synth.HERSHEY_GLYPHS`; icon: one of {len(icons.kept()):,} Lucide line "
        f"icons, npm `{icons.PACKAGE}` {icons.VERSION}, `training/icons/`, held-out kinds and "
        "digit-like icons left out) | this project (MIT); fonts OFL; Hershey fonts public domain "
        "(the Hershey-Fonts package, MIT); Lucide ISC (licence beside it) | "
        f"{round(NEGATIVE_SHARE * n):,} |",
        "",
        f"Never in training: the MNIST test set; the fonts {', '.join(HELD_OUT)}; the "
        f"not-a-digit generators {', '.join(HELD_OUT_NEGATIVES)}. They make the unseen-style and "
        "not-a-digit tests below. Every item is drawn on a random canvas (64-400 px, any grey "
        "and polarity, rotated ±15°, sheared, stretched, thinner or thicker, noise, JPEG) by "
        "`training/augment.py` and goes through `digitrt.preprocess`, so training and serving "
        "see identical inputs. Pen strokes: the MNIST digit thinned to its skeleton "
        "(Zhang-Suen), moved by a smooth random field, redrawn with a round pen of a canvas's or "
        "a finger's width, sometimes broken or overshooting (`training/synth.py`). AdamW "
        f"(weight decay {WEIGHT_DECAY:g}), batch {BATCH}, one warm-up epoch then cosine decay, cross-entropy "
        f"over eleven classes, seed {SEED} (the first stage) and {c['seed']} (the second), "
        "TensorFlow op determinism on; "
        f"{c['train_images']:,} items per epoch.",
        "",
        "**Two stages.** The first stage (`python -m training.train --base`) trains from scratch "
        f"for {EPOCHS['cnn']} epochs (the MLP {EPOCHS['mlp']}) on model v2.0's data: the fonts "
        f"{', '.join(BASE)} and the generators "
        f"{', '.join(BASE_NEGATIVES)}. Its weights are committed as "
        "`digit_<model>_base.weights.h5`. The second stage fine-tunes them on everything in the "
        f"table ({len(ADDED)} more fonts, Hershey glyphs, line icons) for "
        f"{c['epochs']} epochs at a peak learning rate of {c.get('learning_rate', '–')} "
        "(the commands under *Reproduce*). Trained from scratch on everything, the CNN "
        "rejected more non-digits but lost 0.06-0.1 points on the canvas test (seventh and "
        "eighth runs, git history); fine-tuning kept the first stage's digits.",
        "",
        "What training draws (ink dark on white; 28×28 fields before the canvas):",
        "",
        "| pen strokes | styles on strokes | templates | fonts |",
        "|---|---|---|---|",
        "| ![](sheet_strokes.png) | ![](sheet_styles.png) | ![](sheet_templates.png) | "
        "![](sheet_fonts.png) |",
        "",
        "| not-a-digit (training generators) | held-out fonts (test only) | held-out not-a-digit "
        "generators (test only) |",
        "|---|---|---|",
        "| ![](sheet_negatives.png) | ![](sheet_held_out_fonts.png) | "
        "![](sheet_held_out_negatives.png) |",
    ]


def v1_vs_v2(evaluation: dict) -> list[str]:  # type: ignore[type-arg]
    if not evaluation:
        return []
    names = list(evaluation)
    sets = list(next(iter(evaluation.values()))["accuracy"])
    lines = [
        "",
        "## v1, v2.1 and v3: accuracy per synthetic test set (secondary)",
        "",
        "Accuracy of the most probable digit (rejections not counted against it; see below). "
        "The unseen-style sets are digits in styles training never saw: held-out fonts, MNIST "
        "*test* digits redrawn as pen strokes, and each style applied to MNIST test digits.",
        "",
        "| test set | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for s in sets:
        lines.append(f"| {s} | " + " | ".join(pct(evaluation[n]['accuracy'][s]) for n in names)
                     + " |")
    lines.append("| answers with confidence ≥ 0.9 that are right (unseen-style) | "
                 + " | ".join(pct(evaluation[n]["confident_right"]) for n in names) + " |")
    return lines


def calibration(reports: dict, evaluation: dict) -> list[str]:  # type: ignore[type-arg]
    c = reports["cnn"]["calibration"]
    keys = ["mnist_test", "canvas_test"]
    lines = [
        "",
        "## Calibration",
        "",
        f"Temperature scaling: T = {c['temperature']}, fitted on the validation digits (the 5k "
        "validation split on canvases, 1k of them redrawn as strokes, 1k training-font digits; "
        "never the test set). Expected calibration error (15 equal bins), CNN:",
        "",
        "| test set | before (T = 1) | after |",
        "|---|---|---|",
    ]
    for k in keys + [k for k in c["after"] if k not in keys and k != "mnist_test_preprocessed"]:
        lines.append(f"| {k} | {pct(c['before'][k])} | {pct(c['after'][k])} |")
    if evaluation:
        lines += ["", "Pooled over the unseen-style sets (after): "
                  + ", ".join(f"{n} {pct(e['ece']['unseen-style (pooled)'])}"
                              for n, e in evaluation.items()) + ".",
                  "", "![reliability diagram](reliability.png)"]
    return lines


def not_a_digit(reports: dict, evaluation: dict) -> list[str]:  # type: ignore[type-arg]
    c = reports["cnn"]
    r = c["not_a_digit"]["rejected"]
    lines = [
        "",
        "## Not a digit",
        "",
        f"The operating point: `not_a_digit` ≥ {c['not_a_digit_threshold']} (the score that "
        f"rejects {100 * FALSE_REJECTION:g} % of the validation digits), shipped in each model's "
        "metadata and used by `Recognizer` unless `reject=` says otherwise. AUROC of the score, "
        "canvas-test digits against the held-out non-digits: "
        f"{c['not_a_digit']['auroc_canvas_test_vs_held_out']}.",
        "",
        "| set (CNN) | answered not a digit |",
        "|---|---|",
        *[f"| {k} | {pct(v)} |" for k, v in r.items() if k != "mnist_test_preprocessed"],
    ]
    if evaluation:
        names = [n for n in evaluation if evaluation[n]["threshold"] is not None]
        lines += ["", "| set | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        for k in next(iter(evaluation.values()))["rejected"]:
            lines.append(f"| {k} | " + " | ".join(pct(evaluation[n]["rejected"][k]) for n in names)
                         + " |")
        lines.append("| AUROC | " + " | ".join(f"{evaluation[n]['auroc']:.4f}" for n in names) + " |")
        default = evaluation.get("cnn-int8", {}).get("rejected_by_kind")
        if default:
            read_as = evaluation["cnn-int8"].get("accepted_as_by_kind", {})
            weakest = sorted(default.items(), key=lambda kv: kv[1])[:12]
            lines += ["", "Rejected least, by kind (the default int8 CNN; 300 drawings of each "
                      "held-out generator, 60 of each letter or symbol in the held-out fonts; "
                      "`evaluation.json` has every kind), with the digit the rest are mostly "
                      "read as: " + ", ".join(
                          f"{k} {pct(v, 0)}" + (f" (else {read_as[k]})" if k in read_as else "")
                          for k, v in weakest) + ".",
                      "", "The accepted ones of the eight kinds rejected least, as the network "
                      "sees them: ![](sheet_accepted_negatives.png)"]
    return lines


def personalization(p: dict) -> list[str]:  # type: ignore[type-arg]
    ks = list(next(iter(p["writers"].values())))
    lines = [
        "",
        "## Personalization (`Recognizer.adapt`)",
        "",
        "Each simulated writer enrols k samples per digit; accuracy on that writer's other "
        "samples (`python -m training.personalize models/digit_cnn.onnx`). MNIST test accuracy "
        f"of the base CNN {pct(p['mnist_test_base'])}; after adapting to each writer with k = 5 "
        "it is shown in the last column (other people's digits).",
        "",
        "| writer | " + " | ".join(f"k = {k}" for k in ks) + " | MNIST test after k = 5 |",
        "|---" * (len(ks) + 2) + "|",
    ]
    for name, accs in p["writers"].items():
        lines.append(f"| {name} | " + " | ".join(pct(accs[k]) for k in ks)
                     + f" | {pct(p['mnist_test_after_k5'][name])} |")
    return lines


def sequence(r: dict, numbers: dict | None, writers: dict | None = None) -> list[str]:  # type: ignore[type-arg]
    from .sequence import MAX_DIGITS, READER_THRESHOLDS, REAL_SHARE, TRAINING_GAPS

    second_opinion_below = float(READER_THRESHOLDS["reader_second_opinion_below"])

    lines = [
        "",
        "## Number reader: the sequence model (`digit_sequence.onnx`)",
        "",
        "`Recognizer.read` segments a number and classifies each piece with the classifier "
        "above; where one connected stroke holds two digits (touching or overlapping "
        "neighbours) this model's reading is the answer, and digits the classifier reads with "
        f"less than {second_opinion_below:g} confidence take the product of both models' "
        "probabilities "
        "(README, *Whole numbers*). Input `line`: float32 `[N, 32, W, 1]`, the reader's own "
        "ink of the number scaled to 32 px tall, W a multiple of 4; output `frames` "
        "`[N, W/4, 11]`, per-frame probabilities, the CTC blank first, then 0-9. Four "
        "convolutions (16-32-64-64, BatchNorm, ReLU) pooled to 4 rows, two 1-D convolutions "
        f"(128, kernel 5) and a dense layer over the frames; {r['params']:,} parameters. "
        f"Trained with CTC on {r['numbers_per_epoch']:,} fresh numbers per epoch of "
        f"1-{MAX_DIGITS} digits composed as the "
        "number test composes them (`training/numbers.py`) from the MNIST training writers' "
        "digits (QMNIST's writer split, as the classifiers), pen-stroke redraws of them, "
        f"training-font digits and {REAL_SHARE:.0%} of the real training writers' digits "
        "(optdigits' bitmaps, pendigits' pen points; `real.training_fields`), each digit "
        "slanted, sheared and stretched at random, gaps "
        f"{', '.join(f'{100 * a:g} to {100 * b:g} %' for a, b in TRAINING_GAPS)} of a digit's width; "
        f"{r['epochs']} epochs, {r['train_seconds'] / 60:.0f} min on 2 cores, seed {r['seed']}. "
        "2,000 numbers composed the same way from the validation writers' digits, read exactly "
        f"by the model alone: {pct(r['validation_exact'])}.",
    ]
    if numbers:
        lines += ["", "Number test (`python -m training.numbers`; MNIST test digits and held-out "
                  "fonts), exact match: " + _by(numbers, "by_spacing")]
        if "digits_alone" in numbers:
            alone = numbers["digits_alone"]
            lines += ["", "The same numbers if the reader found every digit exactly (each digit "
                      "composed alone at its number's height and pen, given to `predict`; a number "
                      "right when all its digits are): " + _by(alone, "by_spacing")
                      + " The difference from the line above "
                      "is what finding the digits costs, or, where the reader is ahead, what the "
                      "sequence model's second opinion on unsure digits adds."]
        if "separators" in numbers:
            seps = numbers["separators"]
            lines += ["", f"With separators ({seps['numbers']} numbers of 3-8 digits standing apart, "
                      "one separator drawn by the same pen; digits only): "
                      + _by(seps, "by_kind")]
        if "rules" in numbers:
            rules = numbers["rules"]
            lines += ["", f"With rules ({rules['numbers']} numbers of 2-8 digits, apart or tight, "
                      "with an underline, a box, a comb or ruled paper drawn on them; digits only): "
                      + _by(rules, "by_kind")]
    if writers:
        alone = writers["digits_alone"]
        lines += ["", f"Real writers' numbers (`python -m training.numbers --writers`; "
                  f"{writers['numbers']:,} numbers of 2-8 digits, each written by one real "
                  "validation writer, apart, tight and overlapping in turn), exact match: "
                  + _by(writers, "by_source") + " Each digit given to `predict` alone instead: "
                  + _by(alone, "by_source")]
        for paper, result in writers.get("papers", {}).items():
            lines += ["", f"The same numbers on harder paper, {paper} (`training.numbers.on_paper`): "
                      + _by(result, "by_source")]
    return lines


def _by(result: dict, by: str) -> str:  # type: ignore[type-arg]
    """A number-test result (training.numbers.measure) in words: each class, then all."""
    return (", ".join(f"{k} {pct(v, 1)}" for k, v in result[by].items())
            + f"; all {pct(result['overall'], 1)}.")


def history() -> list[str]:
    """Runs tried and not kept (training/HISTORY.md), so the code carries no log of them."""
    text = (Path(__file__).resolve().parent / "HISTORY.md").read_text()
    return ["", "## Experiment history", "", *(("#" + line) if line.startswith("## ") else line
                                                 for line in text.splitlines())]


def reproduce(reports: dict) -> list[str]:  # type: ignore[type-arg]
    c, q, m = reports["cnn"], reports["cnn-int8"], reports["mlp"]
    return [
        "",
        "## Reproduce",
        "",
        "```sh",
        "make train          # every model, then this card; or one at a time:",
        f"{c['command']}",
        f"{m['command']}",
        f"{q['command']}",
        "python -m training.evaluate v1=benchmarks/baseline/digit_cnn_v1.onnx "
        "v2.1=<v2.1's digit_cnn_int8.onnx: the Makefile's V21_COMMIT> "
        "cnn=models/digit_cnn.onnx cnn-int8=models/digit_cnn_int8.onnx mlp=models/digit_mlp.onnx "
        "--out models",
        "python -m training.personalize models/digit_cnn.onnx --out models/personalization.json",
        "python -m training.sequence --out models      # the number reader's sequence model",
        "python -m training.numbers --per-class 300 --out models/numbers.json",
        "python -m training.numbers --writers --per-class 1000 --out models/numbers_writers.json",
        "python -m training.card models",
        "```",
        "",
        "MNIST is found via `--data DIR`, `$DIGITRT_MNIST_DIR`, `~/.cache/digitrt/mnist`, "
        "Keras' `~/.keras/datasets/mnist.npz`, or downloaded (sha256-verified; `make data`).",
    ]


def per_model(reports: dict) -> list[str]:  # type: ignore[type-arg]
    lines: list[str] = []
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
    return lines


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
