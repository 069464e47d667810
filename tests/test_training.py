"""Training: smoke runs of both architectures, export, parity, metadata; custom drawings."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from training import train
from training.custom import load_custom
from training.strokes import draw_digit


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_smoke_training_exports_a_working_model(kind, tmp_path, mnist):
    """2 epochs on ~2k MNIST images (plus the fonts, templates and non-digits that go with them),
    in small batches so BatchNorm's moving statistics settle: trains, exports ONNX with parity
    checked on every output, metadata and plots."""
    assert train.main(["--model", kind, "--epochs", "2", "--limit", "2000", "--batch", "32",
                       "--out", str(tmp_path)]) == 0
    path = tmp_path / f"digit_{kind}.onnx"
    model = onnx.load(str(path))
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["model"] == f"digit_{kind}"
    for key in ("digitrt_version", "preprocessing_version", "mnist_test_accuracy",
                "training_command", "date", "temperature", "not_a_digit_threshold"):
        assert meta[key]
    assert model.opset_import[0].version >= 17
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].name == "image"
    assert session.get_outputs()[0].name == "probabilities"
    x = mnist.test_images[:500, :, :, None].astype(np.float32) / 255
    accuracy = (session.run(None, {"image": x})[0].argmax(1) == mnist.test_labels[:500]).mean()
    assert accuracy > 0.5  # two short epochs: far better than chance
    names = [o.name for o in session.get_outputs()]
    assert names[0] == "probabilities" and set(names) == {"probabilities", "not_a_digit", "embedding"}
    assert float(meta["mnist_test_accuracy"]) > 0.5
    for plot in ("curves", "confusion", "errors"):
        assert (tmp_path / f"digit_{kind}_{plot}.png").stat().st_size > 1000
    assert (tmp_path / f"digit_{kind}.weights.h5").is_file()


def test_parity_check_rejects_a_mismatching_export(tmp_path, mnist_subset):
    """check_parity raises when the ONNX file does not compute what the Keras model does."""
    other = train.build_model("mlp")
    same = train.build_model("mlp")
    train.export_onnx(other, tmp_path / "m.onnx", {})
    x = mnist_subset.test_images[:50, :, :, None].astype(np.float32) / 255
    assert train.check_parity(other, tmp_path / "m.onnx", x) <= train.PARITY_TOLERANCE
    with pytest.raises(RuntimeError, match="differs from Keras"):
        train.check_parity(same, tmp_path / "m.onnx", x)


def test_flops_of_the_shipped_cnn_are_within_budget():
    """The CNN costs at most 10 MFLOP per image. Latency is about proportional to FLOPs here
    (toolchain notes: ~8 us per MFLOP), and #13 allows a bare run of 80 us."""
    assert train.count_flops(train.build_model("cnn")) <= 10_000_000


def test_custom_folder_reads_drawings_and_skips_bad_files(tmp_path, caplog):
    """Drawings under DIR/<digit>/ are preprocessed like inference does; bad files are skipped
    and counted in one warning."""
    for digit in (1, 4, 7):
        (tmp_path / str(digit)).mkdir()
        for i in range(2):
            cv2.imwrite(str(tmp_path / str(digit) / f"s{i}.png"), draw_digit(digit, width=12 + i))
    (tmp_path / "4" / "broken.png").write_bytes(b"not a png")
    (tmp_path / "7" / "notes.txt").write_text("hello")
    (tmp_path / "x").mkdir()
    cv2.imwrite(str(tmp_path / "x" / "stray.png"), draw_digit(3))
    (tmp_path / "9").mkdir()  # empty digit folder
    cv2.imwrite(str(tmp_path / "1" / "blank.png"), np.full((50, 50), 128, np.uint8))

    with caplog.at_level(logging.WARNING, logger="training"):
        images, labels = load_custom(tmp_path)
    assert images.shape == (6, 28, 28) and images.dtype == np.uint8
    assert sorted(labels.tolist()) == [1, 1, 4, 4, 7, 7]
    from digitrt import preprocess

    expected = np.round(preprocess(tmp_path / "4" / "s0.png") * 255)
    assert np.array_equal(images[list(labels).index(4)], expected)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "skipped 5 " in warnings[0]
    for reason in ("1 blank", "1 empty folder", "1 not an image", "1 not in a 0-9 folder",
                   "1 unreadable"):
        assert reason in warnings[0]


def test_custom_folder_missing_is_an_error(tmp_path):
    """A --custom folder that does not exist is an error, not a silent no-op."""
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_custom(tmp_path / "missing")


@pytest.mark.slow
def test_finetune_on_custom_drawings(tmp_path, mnist):
    """--custom with --finetune starts from saved weights and trains on MNIST + drawings."""
    assert train.main(["--model", "mlp", "--epochs", "1", "--limit", "1000",
                       "--out", str(tmp_path)]) == 0
    custom = tmp_path / "drawings"
    for digit in range(10):
        (custom / str(digit)).mkdir(parents=True)
        cv2.imwrite(str(custom / str(digit) / "a.png"), draw_digit(digit))
    start = tmp_path / "digit_mlp.weights.h5"
    assert train.main(["--model", "mlp", "--epochs", "1", "--limit", "1000", "--finetune",
                       str(start), "--custom", str(custom), "--out", str(tmp_path / "mine")]) == 0
    assert (tmp_path / "mine" / "digit_mlp.onnx").is_file()
    meta = {p.key: p.value
            for p in onnx.load(str(tmp_path / "mine" / "digit_mlp.onnx")).metadata_props}
    assert "--finetune" in meta["training_command"] and "--custom" in meta["training_command"]


@pytest.mark.slow
def test_quantize_makes_an_int8_cnn_that_keeps_accuracy(tmp_path, mnist):
    """training.quantize turns the shipped CNN into an int8 model within the accuracy budget,
    with its own metadata."""
    import shutil

    from training import quantize

    shutil.copy(train.SHIPPED / "digit_cnn.onnx", tmp_path / "digit_cnn.onnx")
    assert quantize.main(["--models", str(tmp_path)]) == 0
    int8 = tmp_path / "digit_cnn_int8.onnx"
    assert int8.stat().st_size < (tmp_path / "digit_cnn.onnx").stat().st_size / 2
    meta = {p.key: p.value for p in onnx.load(str(int8)).metadata_props}
    assert meta["model"] == "digit_cnn_int8" and "static int8" in meta["quantization"]
    session = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"])
    x = mnist.test_images[:, :, :, None].astype(np.float32) / 255
    accuracy = (session.run(None, {"image": x})[0].argmax(1) == mnist.test_labels).mean()
    assert f"{accuracy:.4f}" == meta["mnist_test_accuracy"]


def test_first_stage_uses_model_v2_0s_data_and_its_weights_are_shipped():
    """--base trains on the first stage's fonts and generators (none of the second stage's
    additions); the committed first-stage weights load into both architectures, and the
    shipped CNN differs from them (the second stage changed it)."""
    from training import fonts

    base_fonts, base_negatives = train.training_data(train.parse_args(["--base"]))
    assert not set(base_fonts) & set(fonts.ADDED) and len(base_fonts) == 10
    assert "icon" not in base_negatives and "glyph" not in base_negatives
    all_fonts, all_negatives = train.training_data(train.parse_args([]))
    assert set(fonts.ADDED) <= set(all_fonts) and {"icon", "glyph"} <= set(all_negatives)
    for kind in ("cnn", "mlp"):
        model = train.build_model(kind)
        model.load_weights(train.SHIPPED / f"digit_{kind}_base.weights.h5")
        shipped = train.build_model(kind)
        shipped.load_weights(train.SHIPPED / f"digit_{kind}.weights.h5")
        assert not np.array_equal(model.get_weights()[0], shipped.get_weights()[0])
