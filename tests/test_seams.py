"""The runtime's public seams: Model, the model registry, the samples store, the batching core."""

from __future__ import annotations

import warnings

import cv2
import numpy as np
import onnx
import pytest

import digitrt
from digitrt import ImageError, Model, ModelError, Recognizer, SampleStore
from training.common import CNN_DENSE
from training.strokes import draw_digit


def test_registry_lists_every_bundled_model_and_each_loads():
    """list_models names each bundled model once, default first; each one loads under its name."""
    specs = digitrt.list_models()
    assert [s.name for s in specs] == ["cnn-int8", "cnn", "mlp"]
    assert Recognizer().name == "digit_cnn_int8" and Model(None).path.name == specs[0].file
    for spec in specs:
        assert spec.label and spec.description and spec.file.endswith(".onnx")
        assert Model(spec.name).path.name == spec.file


def test_unknown_model_name_lists_the_bundled_ones():
    """An unknown name is a ModelError that lists every model that exists."""
    with pytest.raises(ModelError) as info:
        Model("resnet")
    for spec in digitrt.list_models():
        assert repr(spec.name) in str(info.value)


def test_model_runs_a_ready_batch_like_the_recognizer():
    """Model.run on preprocessed tensors gives the probabilities Recognizer.predict reports."""
    model = Model("cnn")
    rec = Recognizer(model)
    images = [draw_digit(d) for d in (2, 5, 9)]
    batch = np.stack([digitrt.preprocess(im) for im in images])[..., None]
    probabilities = model.run(batch)
    assert probabilities.shape == (3, 10) and probabilities.dtype == np.float32
    assert probabilities.argmax(1).tolist() == [2, 5, 9]
    assert np.allclose(probabilities[1], rec.predict(images[1]).probabilities, atol=1e-6)
    assert rec.model is model and model.input_name == "image"
    named = model.run_outputs(batch, "probabilities", "embedding")
    assert np.array_equal(named["probabilities"], probabilities)
    assert named["embedding"].shape == (3, CNN_DENSE)  # the penultimate layer (training/common.py)
    with pytest.raises(ModelError, match="no output"):
        model.run_outputs(batch, "logits")


def test_model_for_another_preprocessing_version_is_refused(tmp_path):
    """A model whose metadata names another preprocessing version is a ModelError saying both."""
    proto = onnx.load(str(Model("mlp").path))
    for prop in proto.metadata_props:
        if prop.key == "preprocessing_version":
            prop.value = "1"
    path = tmp_path / "old.onnx"
    onnx.save(proto, str(path))
    with pytest.raises(ModelError, match=r"preprocessing version 1.*version "
                                         + digitrt.PREPROCESSING_VERSION):
        Model(path)


def test_status_and_unsure_come_from_the_runtime(recognizer):
    """status is 'digit' with a digit, 'blank' with None; unsure follows the unsure_below knob."""
    p = recognizer.predict(draw_digit(4))
    assert p.status == "digit" and p.digit == 4 and not p.unsure
    blank = recognizer.predict(np.full((100, 100), 200, np.uint8))
    assert blank.status == "blank" and blank.digit is None and not blank.unsure
    strict = Recognizer(recognizer.model, unsure_below=1.0)
    q = strict.predict(draw_digit(4, width=3))
    assert q.unsure == (q.confidence < 1.0)
    assert Recognizer(recognizer.model, unsure_below=0.0).predict(draw_digit(4)).unsure is False


def test_predict_iter_streams_with_per_item_errors(recognizer):
    """A lazy stream: a bad item yields its ImageError in its place, the rest are predicted,
    one batch at a time (the generator is consumed only as far as the results are read)."""
    consumed = []

    def stream():
        for i, item in enumerate([draw_digit(1), b"not an image", draw_digit(7),
                                  np.zeros((30, 30), np.uint8), draw_digit(3)] * 3):
            consumed.append(i)
            yield item

    results = recognizer.predict_iter(stream(), batch_size=2)
    first = next(results)
    assert first.digit == 1 and len(consumed) == 2  # one batch read, not the whole stream
    rest = list(results)
    assert len(rest) == 14
    assert isinstance(rest[0], ImageError) and "not a readable image" in str(rest[0])
    assert [r.status for r in rest[1:4]] == ["digit", "blank", "digit"]
    assert [r.digit for r in rest[4:9:2]] == [1, 7, 3]


def test_predict_batch_keeps_its_contract(recognizer):
    """predict_batch still raises the first bad item's error with its index, over many batches."""
    images = [draw_digit(d % 10) for d in range(300)]
    assert [p.digit for p in recognizer.predict_batch(images)] == [d % 10 for d in range(300)]
    with pytest.raises(ImageError, match="image 280"):
        recognizer.predict_batch([*images[:280], b"junk"])


def test_sample_store_saves_counts_and_loads(tmp_path):
    """Saved samples land in root/<digit>/ under new names; counts and load read them back."""
    store = SampleStore(tmp_path / "samples")
    assert store.counts() == [0] * 10
    first = store.save(draw_digit(3), 3)
    second = store.save(cv2.imencode(".png", draw_digit(3, width=10))[1].tobytes(), 3)
    store.save(draw_digit(8), 8)
    assert first != second and first.parent == second.parent == tmp_path / "samples" / "3"
    assert store.counts()[3] == 2 and store.counts()[8] == 1 and sum(store.counts()) == 3
    assert not list((tmp_path / "samples").rglob(".*"))  # no temporary file left behind
    images, labels = store.load()
    assert images.shape == (3, 28, 28) and sorted(labels.tolist()) == [3, 3, 8]
    assert any(np.array_equal(im, digitrt.preprocess(first)) for im in images)
    with pytest.raises(ValueError, match="0-9"):
        store.save(draw_digit(3), 10)


def test_sample_store_skips_bad_files_with_one_warning(tmp_path):
    """Unreadable, blank and misplaced files are skipped and counted in a single warning."""
    store = SampleStore(tmp_path)
    store.save(draw_digit(5), 5)
    (tmp_path / "5" / "broken.png").write_bytes(b"not a png")
    store.save(np.full((40, 40), 255, np.uint8), 6)
    (tmp_path / "stray.png").write_bytes(b"x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, labels = store.load()
    assert labels.tolist() == [5]
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "skipped 3" in message and "1 blank" in message and "1 unreadable" in message
