"""What model v2 trains on, and the fixed test sets it is measured on.

Training (one epoch): every MNIST training digit once, 70 % drawn on a canvas as in v1 and 30 %
redrawn as pen strokes from its skeleton (with a style for some 0s, 1s, 7s and 9s), plus digits
from the training fonts, style templates and not-a-digit drawings from the training generators.
Held out of training entirely, for the tests: three fonts (training/fonts.py HELD_OUT), three
not-a-digit generators (synth.HELD_OUT_NEGATIVES) and every MNIST test digit.

Every item becomes a 28x28 field, is drawn on a random canvas and goes through
digitrt.preprocess by augment.augment_batch, exactly as at run time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from digitrt import MNIST_SIZE, Decision, preprocess

from . import real, synth
from .augment import augment_batch, preprocess_all, render_on_canvas
from .fonts import HELD_OUT, TRAINING

NOT_A_DIGIT = 10  # the eleventh class
CLASSES = 11
APART = "(apart)"  # not-a-digit sets reported apart: left out of the AUROC
STROKE_SHARE = 0.3  # of MNIST digits redrawn as pen strokes
STYLE_SHARE = 0.4  # of redrawn 0s, 1s, 7s and 9s given their style
# Per epoch, relative to the number of MNIST digits (55k: 8k font digits, 2k templates, 19k
# non-digits). Drawing strokes and fonts is the slow part, so each is drawn once into a pool at
# the start (about a minute); every epoch puts them on new random canvases.
FONT_SHARE, TEMPLATE_SHARE, NEGATIVE_SHARE = 0.145, 0.036, 0.35
POOL = 1.4  # pools hold this many times an epoch's draw
# How often each not-a-digit generator is drawn, relative to the others (1 when not listed): the
# hardest and the most varied twice as often. (Runs not kept: the model card's experiment history.)
WEIGHTS = {"letter": 2.0, "symbol": 2.0, "scribble": 2.0, "glyph": 2.0, "icon": 2.0}

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
Field = Callable[[np.random.Generator], U8]

# Real people's writing per epoch, relative to the number of MNIST digits (model v3's second
# stage; training/real.py): optdigits' 30 writers' bitmaps (2,880, each about four times an
# epoch), pendigits' 30 writers' pen digits (7,494, nearly all of them every epoch), Omniglot's
# training alphabets as not-a-digit drawings (each drawing three times in the pool, with pens of
# random widths: as drawn, turned or mirrored, or joined with another: real.novel_character).
REAL_SHARE, PEN_SHARE, OMNIGLOT_SHARE = 0.20, 0.13, 0.12  # run H; run G: 0.10, 0.07
# Of real bitmaps: drawn as a scanner gives them (blocky, 40-60 px), or as stored (32x32 binary);
# the rest go on a random canvas like every other item.
SCANNED_SHARE, BITMAP_SHARE = 0.3, 0.15
DOCUMENT_SHARE = 0.15  # of DOCUMENT_KINDS items: cropped from a scanned document instead
# of real and MNIST-like digits and of Omniglot's characters: drawn once more per epoch as a
# binary bitmap stretched to fill its 16x16 box (real.stretched_bitmap: Semeion's format; run P3)
STRETCHED_SHARE = 0.05

# Item kinds: what `field` draws for (kind, ref).
MNIST, STROKES, STYLED, FONT, TEMPLATE, NEGATIVE, REAL, PEN, OMNIGLOT = range(9)
DIGIT_KINDS = (MNIST, STROKES, STYLED, REAL)
# the kinds cropped from a document: a print or a crop's framing is no sign of a digit (run O3)
DOCUMENT_KINDS = (*DIGIT_KINDS, OMNIGLOT)
STRETCHED_KINDS = (*DIGIT_KINDS, PEN, OMNIGLOT)  # the kinds drawn again as stretched bitmaps
STRETCHED = 100  # an item's kind + STRETCHED: that item again, as a stretched bitmap
TEMPLATE_NAMES = tuple(synth.TEMPLATES)


class Mix:
    """The training items of each epoch, and how to draw any of them."""

    def __init__(self, images: U8, labels: npt.NDArray[np.uint8], seed: int,
                 fonts: tuple[str, ...] = TRAINING,
                 negatives: tuple[str, ...] = synth.TRAINING_NEGATIVES, with_real: bool = True) -> None:
        """`fonts` and `negatives` (generator names): every training font and generator, or the
        first stage's (fonts.BASE, synth.BASE_NEGATIVES; training/train.py --base). `with_real`:
        real people's writing too (training/real.py's training part)."""
        self.images, self.labels, self.seed = images, labels, seed
        n = len(images)
        self.with_real = with_real
        self.n_real, self.n_pen, self.n_omniglot = (
            (round(REAL_SHARE * n), round(PEN_SHARE * n), round(OMNIGLOT_SHARE * n)) if with_real
            else (0, 0, 0))
        self.n_fonts, self.n_templates = round(FONT_SHARE * n), round(TEMPLATE_SHARE * n)
        self.n_negatives = round(NEGATIVE_SHARE * n)
        rng = np.random.default_rng([seed, 11])
        skeletons = np.concatenate([synth.skeletonize(images[i : i + 5000])
                                    for i in range(0, n, 5000)])
        self.strokes = np.stack([synth.redraw(s, rng) for s in skeletons])
        self.styled_index = np.flatnonzero(np.isin(labels, list(synth.STYLE_BY_DIGIT)))
        self.styled = np.stack([synth.redraw(skeletons[i], rng, synth.STYLE_BY_DIGIT[int(labels[i])])
                                for i in self.styled_index]) if len(self.styled_index) else None
        font_digits = rng.integers(0, 10, round(POOL * self.n_fonts))
        self.fonts = [synth.font_digit(str(rng.choice(fonts)), int(d), rng) for d in font_digits]
        self.font_labels = font_digits.astype(np.uint8)
        names = rng.integers(0, len(TEMPLATE_NAMES), round(POOL * self.n_templates))
        self.templates = [synth.template(TEMPLATE_NAMES[t], rng) for t in names]
        self.template_labels = np.array([synth.TEMPLATES[TEMPLATE_NAMES[t]][0] for t in names],
                                        np.uint8)
        share = np.array([WEIGHTS.get(g, 1.0) for g in negatives])
        generators = rng.choice(len(negatives), round(POOL * self.n_negatives),
                                p=share / share.sum())
        self.negatives = [synth.negative(negatives[g], rng, fonts, images)
                          for g in generators]
        if with_real:
            bitmaps = [real.optdigits(part) for part in ("tra", "cv")]
            self.bitmaps = np.concatenate([b.images for b in bitmaps])
            self.bitmap_labels = np.concatenate([b.labels for b in bitmaps])
            self.bitmap_fields = np.stack([real.bitmap_field(b) for b in self.bitmaps])
            points, self.pen_labels = real.pendigits()
            self.pens = np.stack([real.pen_field(p, int(d), rng)
                                  for p, d in zip(points, self.pen_labels, strict=True)])
            drawings = real.omniglot(real.OMNIGLOT_TRAINING)
            self.omniglot = np.stack([real.omniglot_field(real.novel_character(d, drawings, rng), rng)
                                      for d in drawings for _ in range(3)])

    def epoch(self, epoch: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                          npt.NDArray[np.uint8]]:
        """(kinds, refs, labels) of one epoch's items, shuffled; seeded by (seed, epoch)."""
        rng = np.random.default_rng([self.seed, epoch, 7])
        n = len(self.images)
        kinds = np.where(rng.random(n) < STROKE_SHARE, STROKES, MNIST)
        styled = np.isin(self.labels, list(synth.STYLE_BY_DIGIT)) & (rng.random(n) < STYLE_SHARE)
        kinds[(kinds == STROKES) & styled] = STYLED
        fonts = rng.choice(len(self.fonts), self.n_fonts, replace=False)
        templates = rng.choice(len(self.templates), self.n_templates, replace=False)
        negatives = rng.choice(len(self.negatives), self.n_negatives, replace=False)
        real_refs = (rng.choice(len(self.bitmaps), self.n_real) if self.with_real
                     else np.zeros(0, np.int64))
        pens = rng.choice(len(self.pens), self.n_pen, replace=False) if self.with_real else real_refs[:0]
        omniglot = (rng.choice(len(self.omniglot), self.n_omniglot, replace=False) if self.with_real
                    else real_refs[:0])
        all_kinds = np.concatenate([kinds, np.full(len(fonts), FONT),
                                    np.full(len(templates), TEMPLATE),
                                    np.full(len(negatives), NEGATIVE), np.full(len(real_refs), REAL),
                                    np.full(len(pens), PEN), np.full(len(omniglot), OMNIGLOT)])
        refs = np.concatenate([np.arange(n), fonts, templates, negatives, real_refs, pens, omniglot])
        labels = np.concatenate([self.labels, self.font_labels[fonts],
                                 self.template_labels[templates],
                                 np.full(len(negatives), NOT_A_DIGIT),
                                 self.bitmap_labels[real_refs] if self.with_real else real_refs[:0],
                                 self.pen_labels[pens] if self.with_real else real_refs[:0],
                                 np.full(len(omniglot), NOT_A_DIGIT)]).astype(np.uint8)
        if self.with_real:  # a share of the items once more, as stretched bitmaps
            eligible = np.flatnonzero(np.isin(all_kinds, STRETCHED_KINDS))
            again = rng.choice(eligible, round(STRETCHED_SHARE * len(eligible)), replace=False)
            all_kinds = np.concatenate([all_kinds, all_kinds[again] + STRETCHED])
            refs, labels = np.concatenate([refs, refs[again]]), np.concatenate([labels, labels[again]])
        order = rng.permutation(len(all_kinds))
        return all_kinds[order], refs[order], labels[order]

    def field(self, kind: int, ref: int) -> U8:
        """The 28x28 field of one item."""
        if kind == MNIST:
            return self.images[ref]
        if kind == STROKES:
            return self.strokes[ref]
        if kind == STYLED:
            assert self.styled is not None
            return self.styled[np.searchsorted(self.styled_index, ref)]
        if kind == FONT:
            return self.fonts[ref]
        if kind == TEMPLATE:
            return self.templates[ref]
        if kind == REAL:
            return self.bitmap_fields[ref]
        if kind == PEN:
            return self.pens[ref]
        if kind == OMNIGLOT:
            return self.omniglot[ref]
        return self.negatives[ref]

    def canvas(self, kind: int, ref: int, rng: np.random.Generator) -> U8:
        """One item as a user's input: a real bitmap scanned or as stored, a digit or an Omniglot
        character cropped from a document, an item drawn again as a stretched bitmap (kind +
        STRETCHED), or (most items) its field on a random canvas (augment.render_on_canvas)."""
        if kind < 0:  # a user's own drawing: train.py puts it in after preprocessing
            return np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)
        if kind >= STRETCHED:
            kind -= STRETCHED
            return real.stretched_bitmap(self.bitmaps[ref] * np.uint8(255) if kind == REAL
                                         else self.field(kind, ref), rng)
        if kind == REAL:
            r = rng.random()
            if r < SCANNED_SHARE:
                return real.scanned(self.bitmaps[ref], rng)
            if r < SCANNED_SHARE + BITMAP_SHARE:
                return real.small_bitmap(self.bitmaps[ref])
        field = self.field(kind, ref)
        if self.with_real and kind in DOCUMENT_KINDS and rng.random() < DOCUMENT_SHARE:
            return real.document_crop(field, rng, self.images, real.TRAINING_PRINT_LEVELS)
        return render_on_canvas(field, rng)

    def batch(self, kinds: npt.NDArray[np.int64], refs: npt.NDArray[np.int64],
              rng: np.random.Generator) -> F32:
        """Each item of a batch as a user's input, preprocessed: (N, 28, 28, 1)."""
        out = np.empty((len(kinds), MNIST_SIZE, MNIST_SIZE, 1), np.float32)
        for i, (k, r) in enumerate(zip(kinds, refs, strict=True)):
            out[i, :, :, 0] = preprocess(self.canvas(int(k), int(r), rng))
        return out


# ---------------------------------------------------------------- fixed test sets


def unseen_style_sets(test_images: U8, test_labels: npt.NDArray[np.uint8], seed: int,
                      per_set: int = 2000) -> dict[str, tuple[F32, npt.NDArray[np.uint8]]]:
    """Digits in styles training never saw, on canvases: held-out fonts, MNIST *test* digits
    redrawn as strokes, and each style applied to MNIST test digits of its digit."""
    rng = np.random.default_rng([seed, 101])
    sets: dict[str, tuple[F32, npt.NDArray[np.uint8]]] = {}
    digits = rng.integers(0, 10, per_set)
    fonts = rng.choice(HELD_OUT, per_set)
    sets["held-out fonts"] = (augment_batch([synth.font_digit(str(f), int(d), rng)
                                           for f, d in zip(fonts, digits, strict=True)], rng),
                              digits.astype(np.uint8))
    pick = rng.permutation(len(test_images))[:per_set]
    skeletons = synth.skeletonize(test_images[pick])
    sets["strokes (MNIST test)"] = (augment_batch([synth.redraw(s, rng) for s in skeletons], rng),
                                    test_labels[pick])
    for name, (digit, _) in synth.STYLES.items():
        idx = np.flatnonzero(test_labels == digit)[: per_set // 4]
        skel = synth.skeletonize(test_images[idx])
        sets[f"{name} (MNIST test)"] = (augment_batch([synth.redraw(s, rng, name) for s in skel], rng),
                                        test_labels[idx])
    for name in ("curved-top 4", "open 4"):
        n = per_set // 4
        sets[f"{name} (template)"] = (augment_batch([synth.template(name, rng) for _ in range(n)], rng),
                                      np.full(n, synth.TEMPLATES[name][0], np.uint8))
    return sets


def negative_sets(test_images: U8, seed: int, per_set: int = 1500) -> dict[str, F32]:
    """Non-digits for the not-a-digit test: generators and fonts training never saw, and new
    draws of the training generators."""
    rng = np.random.default_rng([seed, 202])
    held = [synth.negative(str(rng.choice(synth.HELD_OUT_NEGATIVES)), rng, HELD_OUT, test_images)
            for _ in range(per_set)]
    letters = [synth.negative(str(rng.choice(["letter", "symbol"])), rng, HELD_OUT, test_images,
                              exclude="/") for _ in range(per_set)]
    halves = [synth.half_digit(rng, HELD_OUT, test_images) for _ in range(per_set // 5)]
    slashes = [synth.font_text(str(rng.choice(HELD_OUT)), "/", rng) for _ in range(per_set // 5)]
    seen = [synth.negative(str(rng.choice(synth.TRAINING_NEGATIVES)), rng, TRAINING, test_images)
            for _ in range(per_set)]
    return {
        f"held-out generators ({', '.join(synth.HELD_OUT_NEGATIVES)})": augment_batch(held, rng),
        "letters and symbols in held-out fonts": augment_batch(letters, rng),
        # reported apart, as the issue does: a slash is how some people write a 1, and many
        # halves of a digit are digits
        f"{APART} slash in held-out fonts": augment_batch(slashes, rng),
        f"{APART} half a digit (MNIST test)": augment_batch(halves, rng),
        "training generators, new drawings": augment_batch(seen, rng),
        f"Omniglot {', '.join(real.OMNIGLOT_TEST)} (real, held out; look-alikes apart)":
            omniglot_set(real.OMNIGLOT_TEST, rng, lookalikes=False),
        f"{APART} Omniglot {', '.join(real.OMNIGLOT_TEST)} look-alikes (real)":
            omniglot_set(real.OMNIGLOT_TEST, rng, lookalikes=True),
        f"{APART} Omniglot {', '.join(real.OMNIGLOT_APART)} (real)": omniglot_set(real.OMNIGLOT_APART, rng),
    }


def omniglot_set(alphabets: tuple[str, ...], rng: np.random.Generator,
                 lookalikes: bool | None = None) -> F32:
    """Omniglot's drawings of `alphabets` (real.omniglot's `lookalikes`) as users' inputs."""
    return augment_batch([real.omniglot_field(d, rng) for d in real.omniglot(alphabets, lookalikes)], rng)


def validation_sets(images: U8, labels: npt.NDArray[np.uint8], seed: int
                    ) -> tuple[F32, npt.NDArray[np.uint8], F32]:
    """Validation digits (MNIST validation split on canvases, training fonts, strokes) and
    negatives (training generators): where the temperature and the threshold are chosen."""
    rng = np.random.default_rng([seed, 303])
    skeletons = synth.skeletonize(images[:1000])
    fields = [*list(images), *[synth.redraw(s, rng) for s in skeletons]]
    y = [*labels, *labels[:1000]]
    digits = rng.integers(0, 10, 1000)
    fields += [synth.font_digit(str(rng.choice(TRAINING)), int(d), rng) for d in digits]
    y += list(digits)
    negatives = [synth.negative(str(rng.choice(synth.TRAINING_NEGATIVES)), rng, TRAINING, images)
                 for _ in range(1500)]
    return augment_batch(fields, rng), np.asarray(y, np.uint8), augment_batch(negatives, rng)


RealSets = tuple[dict[str, tuple[F32, npt.NDArray[np.uint8], npt.NDArray[np.int64]]], dict[str, F32]]


def real_validation_sets(images: U8, labels: npt.NDArray[np.uint8], writers: npt.NDArray[np.int64],
                         seed: int) -> RealSets:
    """Where model v3's decisions are made: real writers no model trains on, drawn as users'
    inputs look. Digits (x, y, writer): optdigits' writer-independent forms scanned, as stored
    and on canvases; the MNIST validation writers' digits (`images`, `labels`, `writers`) on
    canvases and cropped from documents. Not-a-digit: Omniglot's validation alphabets, their
    digit look-alikes (real.OMNIGLOT_LOOKALIKES) apart."""
    rng = np.random.default_rng([seed, 404])
    windep = real.optdigits("windep")

    def prep(canvases: list[U8]) -> F32:
        return np.stack([preprocess(c) for c in canvases])[..., None]

    form = windep.writers
    n_docs = min(2000, len(images))
    sets = {
        "optdigits forms, scanned": (prep([real.scanned(b, rng) for b in windep.images]),
                                     windep.labels, form),
        "optdigits forms, 32x32 bitmaps": (prep([real.small_bitmap(b) for b in windep.images]),
                                           windep.labels, form),
        "optdigits forms, on canvases": (augment_batch([real.bitmap_field(b) for b in windep.images],
                                                       rng), windep.labels, form),
        "MNIST validation writers, on canvases": (augment_batch(images, rng), labels, writers),
        "MNIST validation writers, cropped from documents": (
            prep([real.document_crop(f, rng, images) for f in images[:n_docs]]), labels[:n_docs],
            writers[:n_docs]),
    }
    names = ", ".join(real.OMNIGLOT_VALIDATION)
    negatives = {f"Omniglot {names} (look-alikes apart)":
                 omniglot_set(real.OMNIGLOT_VALIDATION, rng, lookalikes=False),
                 f"{APART} Omniglot {names} look-alikes":
                 omniglot_set(real.OMNIGLOT_VALIDATION, rng, lookalikes=True)}
    return sets, negatives


# Reported apart from the real validation's mean (its sets stay the yardstick they were): the
# MNIST validation writers' document crops, every one on a security print deeper than the
# validation's own (5-25 grey levels), as cheques have them.
PRINTED = {"MNIST validation writers, on a security print 25-45 levels deep": (25.0, 45.0),
           "MNIST validation writers, on a security print 45-70 levels deep": (45.0, 70.0)}


def printed_sets(images: U8, labels: npt.NDArray[np.uint8], writers: npt.NDArray[np.int64],
                 seed: int, n: int = 2000) -> RealSets:
    """`PRINTED`'s sets of the first `n` validation digits, as `measure_real` takes them."""
    rng = np.random.default_rng([seed, 405])
    return {name: (np.stack([preprocess(real.document_crop(f, rng, images, levels, printed=1.0))
                             for f in images[:n]])[..., None], labels[:n], writers[:n])
            for name, levels in PRINTED.items()}, {}


def stretched_sets(seed: int) -> RealSets:
    """Reported apart from the real validation's mean: optdigits' writer-independent forms and
    the Omniglot validation characters (look-alikes apart) as binary bitmaps stretched to fill
    their 16x16 box (`real.stretched_bitmap`, Semeion's format), as `measure_real` takes them."""
    rng = np.random.default_rng([seed, 406])
    windep = real.optdigits("windep")
    forms = [preprocess(real.stretched_bitmap(b * np.uint8(255), rng)) for b in windep.images]
    drawings = real.omniglot(real.OMNIGLOT_VALIDATION, lookalikes=False)
    names = ", ".join(real.OMNIGLOT_VALIDATION)
    return ({"optdigits forms, 16x16 stretched bitmaps": (np.stack(forms)[..., None], windep.labels,
                                                          windep.writers)},
            {f"Omniglot {names} (look-alikes apart), 16x16 stretched bitmaps": np.stack(
                [preprocess(real.stretched_bitmap(real.omniglot_field(d, rng), rng))
                 for d in drawings])[..., None]})


def sparse_sets() -> RealSets:
    """Reported apart from the real validation's mean: optdigits' writer-independent forms
    redrawn as a sparsely sampled pen draws them (`real.sparse_drawing`), as `measure_real`
    takes them."""
    windep = real.optdigits("windep")
    forms = np.stack([preprocess(real.sparse_drawing(b)) for b in windep.images])[..., None]
    return {"optdigits forms, sparse pen strokes": (forms, windep.labels, windep.writers)}, {}


def measure_real(outputs: Outputs, sets: RealSets, threshold: float) -> dict:  # type: ignore[type-arg]
    """A model's figures on real writers: per set the best guess's accuracy, the share rejected
    at `threshold`, the answer's accuracy (right and not rejected), the worst writer's best-guess
    accuracy and each writer's (writers with 20 digits or more); pooled ECE; per not-a-digit set
    the share rejected."""
    digit_sets, negatives = sets
    figures: dict = {"sets": {}, "rejected": {}}  # type: ignore[type-arg]
    conf, right = [], []
    for name, (x, y, writers) in digit_sets.items():
        p, score = outputs(x)
        ok = p.argmax(1) == y
        rejected = Decision(threshold).rejects(score)
        by_writer = {str(w): round(float(ok[writers == w].mean()), 5) for w in np.unique(writers)
                     if (writers == w).sum() >= 20}
        figures["sets"][name] = {
            "best_guess": round(float(ok.mean()), 5),
            "rejected": round(float(rejected.mean()), 5),
            "answered_right": round(float((ok & ~rejected).mean()), 5),
            "worst_writer": min(by_writer.values()), "writers": len(by_writer),
            "by_writer": by_writer}
        conf.append(p.max(1))
        right.append(ok)
    accuracies = [s["best_guess"] for s in figures["sets"].values()]
    figures["mean_best_guess"] = round(float(np.mean(accuracies)), 5)
    figures["rejected_digits"] = round(float(np.mean([s["rejected"] for s in figures["sets"].values()])), 5)
    figures["ece"] = round(expected_calibration_error(np.concatenate(conf), np.concatenate(right)), 5)
    for name, x in negatives.items():
        figures["rejected"][name] = round(float(Decision(threshold).rejects(outputs(x)[1]).mean()), 5)
    return figures


def test_sets(images: U8, labels: npt.NDArray[np.uint8], seed: int
              ) -> tuple[dict[str, tuple[F32, npt.NDArray[np.uint8]]], dict[str, F32]]:
    """Every set a model is measured on, from the MNIST *test* images: digits (raw, through
    preprocess, on canvases, the unseen-style sets) and the not-a-digit sets."""
    digits = {
        "mnist_test": (images[..., None].astype(np.float32) / 255, labels),
        "mnist_test_preprocessed": (preprocess_all(images), labels),
        "canvas_test": (augment_batch(images, np.random.default_rng(seed + 2)), labels),
        **unseen_style_sets(images, labels, seed + 3),
    }
    return digits, negative_sets(images, seed + 4)


# ---------------------------------------------------------------- measures

Outputs = Callable[[F32], tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]]
MNIST_STYLE = ("mnist_test", "mnist_test_preprocessed", "canvas_test")


def measure(outputs: Outputs, digit_sets, negatives, threshold: float) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """A model's figures on the test sets; `outputs(x)` gives its (probabilities, not-a-digit
    score). Per digit set: accuracy of the most probable digit, share answered not-a-digit at
    `threshold`, ECE; the same pooled over the unseen-style sets, with the share of confident
    (>= 0.9) answers that are right and the reliability curve; per not-a-digit set the share
    rejected; AUROC of the score, canvas-test digits against the held-out non-digits."""
    result: dict = {"accuracy": {}, "rejected": {}, "ece": {}}  # type: ignore[type-arg]
    pooled_conf, pooled_right = [], []
    canvas_scores = None
    for name, (x, y) in digit_sets.items():
        p, score = outputs(x)
        right = p.argmax(1) == y
        result["accuracy"][name] = float(right.mean())
        result["rejected"][name] = float(Decision(threshold).rejects(score).mean())
        result["ece"][name] = expected_calibration_error(p.max(1), right)
        if name == "canvas_test":
            canvas_scores = score
        if name not in MNIST_STYLE:
            pooled_conf.append(p.max(1))
            pooled_right.append(right)
    conf, right = np.concatenate(pooled_conf), np.concatenate(pooled_right)
    result["ece"]["unseen-style (pooled)"] = expected_calibration_error(conf, right)
    result["accuracy"]["unseen-style (pooled)"] = float(right.mean())
    confident = conf >= 0.9  # None when no answer is that confident (an untrained model)
    result["confident_right"] = float(right[confident].mean()) if confident.any() else None
    which = np.clip(np.digitize(conf, np.linspace(0, 1, 16)[1:-1]), 0, 14)
    result["reliability"] = [[float(conf[which == b].mean()), float(right[which == b].mean()),
                              int((which == b).sum())] for b in range(15) if (which == b).any()]
    held_out = []
    for name, x in negatives.items():
        score = outputs(x)[1]
        result["rejected"][name] = float(Decision(threshold).rejects(score).mean())
        if "training" not in name and not name.startswith(APART):
            held_out.append(score)
    assert canvas_scores is not None
    result["auroc"] = auroc(np.concatenate(held_out), canvas_scores)
    return result


def expected_calibration_error(confidence: npt.NDArray[np.floating], correct: npt.NDArray[np.bool_],
                               bins: int = 15) -> float:
    """ECE with equal-width bins: the gap between confidence and accuracy, weighted by bin size."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            ece += in_bin.mean() * abs(float(confidence[in_bin].mean()) - float(correct[in_bin].mean()))
    return float(ece)


def auroc(negative_scores: npt.NDArray[np.floating], positive_scores: npt.NDArray[np.floating]) -> float:
    """Probability that a random negative scores above a random positive (ties count half)."""
    scores = np.concatenate([negative_scores, positive_scores])
    ranks = scores.argsort().argsort().astype(np.float64) + 1
    # average ranks for ties
    order = np.argsort(scores)
    sorted_scores = scores[order]
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for f, c in zip(first, counts, strict=True):
        if c > 1:
            ranks[order[f : f + c]] = f + (c + 1) / 2
    n_neg, n_pos = len(negative_scores), len(positive_scores)
    return float((ranks[:n_neg].sum() - n_neg * (n_neg + 1) / 2) / (n_neg * n_pos))
