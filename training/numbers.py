"""The synthetic number test for `Recognizer.read`: numbers composed from digits no model trained
on (MNIST *test* digits and the held-out fonts), 2-8 digits long.

    python -m training.numbers [--model NAME] [--per-class 300] [--out models/numbers.json]
    python -m training.numbers --validation     # where the reader's constants are chosen
    python -m training.numbers --validation --cases before.json     # then, with another model:
    python -m training.numbers --validation --against before.json   # case by case against it

Each number: digits scaled to a height of 70-150 px with pens of 6-18 px, neighbours placed with
a gap from -15 % (strokes overlap) to +60 % of a digit's width, the baseline jittered by up to
8 % of the height, dark ink on light paper. Reported: exact-match accuracy by spacing class
(apart: gap >= 10 %; tight: 0-10 %; overlapping: < 0) and by length. "digits_alone": the same
numbers if the reader found every digit exactly: each digit composed alone (same height and pen)
and given to `predict`, a number right when all its digits are; what the classifier allows.

"separators": half as many numbers per kind again, 3-8 digits standing apart with one
separator drawn by the same pen after the first 1 to length-1 digits (a dot or a comma on the
line, a dash at mid-height, or a wider space); exact match of the digits, by kind.

"rules": as many numbers per kind of 2-8 digits, two in three standing apart, the rest tight,
with a rule drawn on them: an underline, a box around the number, a box per digit (a comb), or
ruled paper (`_rule`).

--validation composes the same kind of numbers from the validation writers' digits (MNIST
training images of the writers no model trains on, training/real.py `writer_split`) and the
validation fonts (training/fonts.py VALIDATION: no model trains on them, and the test does not
use them), with another seed: the set on which the reader's constants (digitrt/_reading/) and
its models are chosen, so that the number test stays a test. --validation --training-fonts
writes the font half in the training fonts instead (the validation set before 2026-12-01: it
cannot tell how a reader does on styles it never saw). Before 2026-12-06 the validation digits
were a random 5,000 of MNIST's training images, whose writers the classifiers trained on.

--writers composes numbers each written by one real validation writer (MNIST's validation
writers and optdigits' writer-independent forms); "papers": the same numbers scanned from harder
paper (`on_paper`): faint ink, and ink on a cheque's security print.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from . import real, synth
from .compose import GAPS, RULES, SEPARATORS, U8, compose
from .fonts import HELD_OUT, TRAINING, VALIDATION


def _digits(length: int, from_fonts: bool, images: U8, labels: npt.NDArray[np.uint8],
            fonts: tuple[str, ...], rng: np.random.Generator) -> tuple[str, list[U8]]:
    """(text, fields) of `length` random digits: font digits, or images with their labels."""
    if from_fonts:
        digits = rng.integers(0, 10, length)
        fields = [synth.font_digit(str(rng.choice(fonts)), int(d), rng) for d in digits]
    else:
        idx = rng.integers(0, len(images), length)
        digits, fields = labels[idx], list(images[idx])
    return "".join(str(int(d)) for d in digits), fields


# fields (N, 28, 28), their labels and their writers: digits as `writer_numbers` draws them
Hands = tuple[U8, npt.NDArray[np.uint8], npt.NDArray[np.int64]]


class Case(NamedTuple):
    kind: str  # spacing class, separator kind or rule kind
    length: int
    text: str  # the true digits
    image: U8
    alone: tuple[U8, ...] = ()  # each digit composed alone, at the number's height and pen


def numbers(images: U8, labels: npt.NDArray[np.uint8], per_class: int, seed: int,
            fonts: tuple[str, ...] = HELD_OUT) -> list[Case]:
    """per_class numbers of each spacing class; half from `images` (MNIST test digits), half
    from digits in `fonts`."""
    rng = np.random.default_rng(seed)
    out = []
    for spacing, gap in GAPS.items():
        for i in range(per_class):
            length = int(rng.integers(2, 9))
            text, fields = _digits(length, bool(i % 2), images, labels, fonts, rng)
            out.append(_case(spacing, text, fields, gap, rng))
    return out


def _case(kind: str, text: str, fields: list[U8], gap: tuple[float, float],
          rng: np.random.Generator) -> Case:
    """The number composed from `fields`, and each field composed alone at its height and pen."""
    before = copy.deepcopy(rng)  # compose draws the height and the pen first
    image = compose(fields, gap, rng)
    alone = tuple(compose([f], gap, copy.deepcopy(before)) for f in fields)
    return Case(kind, len(fields), text, image, alone)


def writer_numbers(sources: dict[str, Hands], per_source: int, seed: int) -> list[Case]:
    """per_source numbers of 2-8 digits from each source of (fields, labels, writers), every
    number written by one writer alone (as a person writes a number), the spacing classes in
    turn; the case's kind is its source."""
    rng = np.random.default_rng([seed, 11])
    out = []
    for source, (fields, labels, writers) in sources.items():
        hands = [np.flatnonzero(writers == w) for w in np.unique(writers)]
        for i in range(per_source):
            hand = hands[int(rng.integers(len(hands)))]
            length = int(rng.integers(2, 9))
            idx = rng.choice(hand, length)
            gap = list(GAPS.values())[i % len(GAPS)]
            out.append(_case(source, "".join(str(int(d)) for d in labels[idx]), list(fields[idx]),
                             gap, rng))
    return out


def real_writers(data: str | None = None) -> dict[str, Hands]:
    """The real validation's writers as `writer_numbers` sources: MNIST's validation writers
    (QMNIST writer ids) and optdigits' writer-independent forms, 28x28 fields each."""
    from .mnist import load_mnist

    mnist = load_mnist(data, mirrors=())
    writers = real.mnist_writers()
    held, _ = real.writer_split(writers)
    forms = real.optdigits("windep")
    return {"MNIST validation writers": (mnist.train_images[held], mnist.train_labels[held],
                                         writers[held]),
            "optdigits forms": (np.stack([real.bitmap_field(b) for b in forms.images]),
                                forms.labels, forms.writers)}


def separated(images: U8, labels: npt.NDArray[np.uint8], per_kind: int, seed: int,
              fonts: tuple[str, ...] = HELD_OUT) -> list[Case]:
    """Numbers of 3-8 digits standing apart, as `numbers` composes them, with one separator of
    SEPARATORS after the first 1 to length-1 digits; the text holds the digits only (the reader
    skips separators)."""
    rng = np.random.default_rng([seed, 5])
    return [Case(kind, length, text,
                 compose(fields, GAPS["apart"], rng, (int(rng.integers(1, length)), kind)))
            for kind, _, length, text, fields in _per_kind(SEPARATORS, per_kind, 3, rng,
                                                             images, labels, fonts)]


def ruled(images: U8, labels: npt.NDArray[np.uint8], per_kind: int, seed: int,
          fonts: tuple[str, ...] = HELD_OUT) -> list[Case]:
    """Numbers of 2-8 digits standing apart (two in three) or tight, as `numbers` composes
    them, with a rule of RULES drawn on them by `_rule`; the text holds the digits only."""
    rng = np.random.default_rng([seed, 7])
    return [Case(kind, length, text,
                 compose(fields, GAPS["apart"] if i % 3 else GAPS["tight"], rng, rule=kind))
            for kind, i, length, text, fields in _per_kind(RULES, per_kind, 2, rng,
                                                             images, labels, fonts)]


def _per_kind(kinds: tuple[str, ...], per_kind: int, shortest: int, rng: np.random.Generator,
              images: U8, labels: npt.NDArray[np.uint8], fonts: tuple[str, ...]
              ) -> Iterator[tuple[str, int, int, str, list[U8]]]:
    """(kind, i, length, text, fields) of per_kind numbers of `shortest`-8 digits for each kind,
    half from `images`, half from `fonts`, drawn from `rng` in order."""
    for kind in kinds:
        for i in range(per_kind):
            length = int(rng.integers(shortest, 9))
            text, fields = _digits(length, bool(i % 2), images, labels, fonts, rng)
            yield kind, i, length, text, fields


def measure(recognizer, cases: list[Case], by: str = "by_spacing",  # type: ignore[no-untyped-def]
            alone: bool = False, right: list[bool] | None = None) -> dict:  # type: ignore[type-arg]
    """Exact-match accuracy of `read` by class and by length; with `alone`, of `predict` on each
    digit composed alone instead: how many numbers a perfect segmentation would read. `right`,
    if given, receives each case's outcome in order (for `paired`)."""
    from digitrt import ImageError

    right = [] if right is None else right
    by_class: dict[str, list[bool]] = {}
    by_length: dict[str, list[bool]] = {}
    for case in cases:
        if alone:
            text = "".join(str(p.digit) if p.status == "digit" else "?"
                           for p in map(recognizer.predict, case.alone))
        else:
            try:
                text = recognizer.read(case.image).text
            except ImageError:  # e.g. a print read as hundreds of marks: not read
                text = None
        right.append(text == case.text)
        by_class.setdefault(case.kind, []).append(right[-1])
        by_length.setdefault(str(case.length), []).append(right[-1])
    everything = [r for rs in by_class.values() for r in rs]
    return {"overall": round(float(np.mean(everything)), 4),
            by: {k: round(float(np.mean(v)), 4) for k, v in by_class.items()},
            "by_length": {k: round(float(np.mean(v)), 4) for k, v in sorted(by_length.items())},
            "numbers": len(everything)}


def paired(before: list[bool], now: list[bool]) -> dict[str, float]:
    """Two models' outcomes on the same numbers, case by case: how many numbers only the first
    (`only_before`) or only the second (`only_now`) reads exactly, the change in points and its
    standard error (McNemar's: the square root of the discordant count, over the numbers)."""
    if len(before) != len(now) or not now:
        raise ValueError(f"paired needs two outcomes per number, got {len(before)} and {len(now)}")
    lost = sum(b and not n for b, n in zip(before, now, strict=True))
    gained = sum(n and not b for b, n in zip(before, now, strict=True))
    return {"numbers": len(now), "only_before": lost, "only_now": gained,
            "change_points": round(100 * (gained - lost) / len(now), 2),
            "standard_error_points": round(100 * (gained + lost) ** 0.5 / len(now), 2)}


def main(argv: list[str] | None = None) -> int:
    import digitrt

    parser = argparse.ArgumentParser(prog="python -m training.numbers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="default: digitrt's default model")
    parser.add_argument("--per-class", type=int, default=300)
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--validation", action="store_true",
                        help="validation digits and fonts instead of the test")
    parser.add_argument("--writers", action="store_true",
                        help="only numbers each written by one real validation writer")
    parser.add_argument("--training-fonts", action="store_true",
                        help="with --validation: the training fonts instead of the validation fonts")
    parser.add_argument("--cases", type=Path, default=None,
                        help="also write each number's text and whether `read` got it (JSON)")
    parser.add_argument("--against", type=Path, default=None, metavar="CASES",
                        help="a --cases file of another model on the same numbers: add `paired`")
    args = parser.parse_args(argv)
    recognizer = digitrt.Recognizer(args.model)
    right: list[bool] = []
    texts: list[str] = []
    result = (writers_figures(recognizer, args, right, texts) if args.writers
              else number_figures(recognizer, args, right, texts))
    if args.cases:
        args.cases.write_text(json.dumps({"texts": texts, "right": right}) + "\n")
    if args.against:
        before = json.loads(args.against.read_text())
        if before["texts"] != texts:
            parser.error(f"{args.against} holds other numbers than this command composes")
        result["paired"] = paired(before["right"], right)
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


PAPERS = ("faint ink", "security print")


def on_paper(image: U8, paper: str, rng: np.random.Generator) -> U8:
    """A composed number (dark on white) as a scan of harder paper: "faint ink", 40-90 grey
    levels darker than paper of 170-250; "security print", ink 60-150 levels darker on a cheque's
    guilloche lines 25-45 levels deep, a period of 5-12 % of the picture's height."""
    ink = (255 - image.astype(np.float32)) / 255
    h, w = ink.shape
    grey = rng.uniform(170, 250) - rng.uniform(*((40, 90) if paper == "faint ink" else (60, 150))) * ink
    if paper == "security print":
        period, angle = rng.uniform(0.05, 0.12) * h, rng.uniform(0, np.pi)
        warp = rng.uniform(0.15, 0.3) * h
        grey -= rng.uniform(25, 45) * real.guilloche((h, w), period, angle, warp)
    grey += rng.normal(0, rng.uniform(1, 5), grey.shape)
    return np.clip(grey, 0, 255).astype(np.uint8)


def writers_figures(recognizer, args: argparse.Namespace,  # type: ignore[no-untyped-def]
                    right: list[bool], texts: list[str]) -> dict:  # type: ignore[type-arg]
    """`read` on numbers each written by one real validation writer (`--writers`); each
    number's text and outcome are appended to `texts` and `right`."""
    cases = writer_numbers(real_writers(args.data), args.per_class, 606)
    texts += [case.text for case in cases]
    result = measure(recognizer, cases, by="by_source", right=right)
    result["digits_alone"] = measure(recognizer, cases, by="by_source", alone=True)
    rng = np.random.default_rng([606, 1])
    result["papers"] = {}
    for paper in PAPERS:  # the same numbers on harder paper (their digits alone not needed)
        scans = [Case(c.kind, c.length, c.text, on_paper(c.image, paper, rng)) for c in cases]
        result["papers"][paper] = measure(recognizer, scans, by="by_source")
    return result


def number_figures(recognizer, args: argparse.Namespace,  # type: ignore[no-untyped-def]
                   right: list[bool], texts: list[str]) -> dict:  # type: ignore[type-arg]
    """The number test, or with --validation the reader's validation numbers; each number's
    text and outcome (not the separators' and rules') are appended to `texts` and `right`."""
    from .mnist import load_mnist

    mnist = load_mnist(args.data, mirrors=())
    if args.validation:
        held, _ = real.writer_split(real.mnist_writers())
        images, labels, seed = mnist.train_images[held], mnist.train_labels[held], 777
        fonts = TRAINING if args.training_fonts else tuple(VALIDATION)
    else:
        images, labels, seed, fonts = mnist.test_images, mnist.test_labels, 20261125, HELD_OUT
    cases = numbers(images, labels, args.per_class, seed, fonts)
    texts += [case.text for case in cases]
    result = measure(recognizer, cases, right=right)
    # The classifier's share of the errors: the same numbers if every digit were found exactly.
    result["digits_alone"] = measure(recognizer, cases, alone=True)
    result["separators"] = measure(recognizer, separated(images, labels, args.per_class // 2,
                                                         seed, fonts), by="by_kind")
    result["rules"] = measure(recognizer, ruled(images, labels, args.per_class // 2, seed, fonts),
                              by="by_kind")
    return result


if __name__ == "__main__":
    sys.exit(main())
