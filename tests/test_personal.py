"""Personalization in the runtime: adapt, profiles, bad samples, the CLI and the window's use."""

from __future__ import annotations

import subprocess
import sys
import warnings

import cv2
import numpy as np
import pytest

from digitrt import ModelError, Recognizer, SampleStore
from training.strokes import draw_digit


def mirrored_three(i: int) -> np.ndarray:
    """A writer who draws 3 mirrored (like an E): a style no training set has."""
    widths = (10, 14, 18, 22, 26, 12, 16, 20)
    box = (0.25 + 0.02 * (i % 3), 0.12 + 0.02 * (i % 4), 0.45, 0.72)
    return np.fliplr(draw_digit(3, width=widths[i % len(widths)], box=box)).copy()


@pytest.fixture(scope="module")
def base():
    return Recognizer("cnn")


@pytest.fixture(scope="module")
def adapted(base):
    return base.adapt([(mirrored_three(i), 3) for i in range(5)])


def test_adapt_learns_a_writers_style_and_leaves_the_original_alone(base, adapted):
    """Five samples of a mirrored 3 teach the adapted recognizer to read this writer's 3s; the
    original recognizer still answers as before."""
    tests = [mirrored_three(i) for i in range(5, 13)]
    before = [base.predict(t).best_guess for t in tests]
    after = [adapted.predict(t).digit for t in tests]
    assert sum(d == 3 for d in before) <= 4
    assert sum(d == 3 for d in after) >= 7
    assert [base.predict(t).best_guess for t in tests] == before  # unchanged
    assert adapted.profile.counts()[3] == 5 and base.profile is None


def test_adapted_recognizer_keeps_other_peoples_digits(base, adapted, mnist_subset):
    """On the 2,000-digit MNIST test sample the adapted recognizer is within 0.2 points of
    the base model."""
    images, labels = mnist_subset.test_images, mnist_subset.test_labels
    acc = [float(np.mean(np.array([p.best_guess for p in r.predict_batch(images)]) == labels))
           for r in (base, adapted)]
    assert acc[1] >= acc[0] - 0.002


def test_profile_round_trip_and_refusals(base, adapted, tmp_path):
    """A saved profile reloads with the same effect; another model or a corrupt file is a
    ModelError saying why."""
    path = tmp_path / "me.profile"
    adapted.save_profile(path)
    reloaded = Recognizer("cnn", profile=path)
    t = mirrored_three(9)
    assert reloaded.predict(t).digit == adapted.predict(t).digit
    assert np.allclose(reloaded.predict(t).probabilities, adapted.predict(t).probabilities)
    with pytest.raises(ModelError, match="another model"):
        Recognizer("mlp", profile=path)
    (tmp_path / "bad.profile").write_bytes(b"PK\x03\x04 garbage")
    with pytest.raises(ModelError, match="cannot read the profile"):
        Recognizer("cnn", profile=tmp_path / "bad.profile")
    with pytest.raises(ModelError, match="no profile"):
        base.save_profile(tmp_path / "none.profile")


def test_bad_samples_are_skipped_with_one_warning(base, tmp_path):
    """Unreadable files, blank drawings, a non-digit folder and odd pairs: one warning, no
    crash; a single good sample is enough."""
    store = SampleStore(tmp_path)
    store.save(mirrored_three(0), 3)
    (tmp_path / "3" / "broken.png").write_bytes(b"nope")
    store.save(np.full((50, 50), 255, np.uint8), 5)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "x.png").write_bytes(b"x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = base.adapt(tmp_path)
    assert len(caught) == 1 and "skipped 3" in str(caught[0].message)
    assert r.profile.counts()[3] == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = base.adapt([(b"junk", 2), (mirrored_three(1), 11), ("x",), (mirrored_three(2), 3)])
    assert len(caught) == 1 and "skipped 3" in str(caught[0].message)
    assert r.profile.counts()[3] == 1
    with pytest.raises(TypeError):
        base.adapt(42)


def test_cli_predict_with_samples(tmp_path):
    """`digitrt predict --samples DIR` reads the writer's mirrored 3 as 3."""
    store = SampleStore(tmp_path / "samples")
    for i in range(5):
        store.save(mirrored_three(i), 3)
    target = tmp_path / "test.png"
    cv2.imwrite(str(target), mirrored_three(11))
    out = subprocess.run([sys.executable, "-m", "digitrt", "predict", "--json", "--samples",
                          str(tmp_path / "samples"), str(target)], capture_output=True, text=True,
                         timeout=120)
    import json

    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["digit"] == 3


def test_a_model_without_embedding_says_so(tmp_path):
    """adapt on a model that has no embedding output is a ModelError naming what is missing."""
    import onnx
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Flatten", ["image"], ["flat"]),
             helper.make_node("Slice", ["flat", "s", "e", "a"], ["ten"]),
             helper.make_node("Softmax", ["ten"], ["probabilities"])]
    graph = helper.make_graph(
        nodes, "plain",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 28, 28, 1])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])],
        [helper.make_tensor(n, TensorProto.INT64, [1], [v]) for n, v in (("s", 0), ("e", 10), ("a", 1))])
    path = tmp_path / "plain.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    with pytest.raises(ModelError, match="embedding"):
        Recognizer(path).adapt([(mirrored_three(0), 3)])
