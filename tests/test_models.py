"""The shipped models: what the committed training code produced, as the model card says."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import onnx
import pytest

import digitrt

MODELS = Path(__file__).resolve().parent.parent / "models"
# Model v3 (real writers in training, decisions on real writers) gives up 0.1 point of MNIST
# test accuracy for 3.2 points on real writers' digits (models/README.md): 0.9955, not 0.9960.
MINIMUM = {"cnn": 0.9955, "cnn-int8": 0.9950, "mlp": 0.9820}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["cnn", "cnn-int8", "mlp"])
def test_shipped_model_accuracy_and_metadata(kind, mnist):
    """The ONNX file reaches its accuracy target on the MNIST test set, and its metadata
    quotes exactly that accuracy."""
    rec = digitrt.Recognizer(kind)
    x = mnist.test_images[..., None].astype(np.float32) / 255
    accuracy = float((rec.model.run(x).argmax(1) == mnist.test_labels).mean())
    assert accuracy >= MINIMUM[kind]
    meta = rec.metadata
    assert meta["model"] == f"digit_{kind.replace('-', '_')}"
    assert meta["mnist_test_accuracy"] == f"{accuracy:.4f}"
    assert meta["digitrt_version"] and meta["date"]
    assert meta["preprocessing_version"] == digitrt.PREPROCESSING_VERSION
    assert "python -m training.train" in meta["training_command"]
    assert f"--model {kind.split('-')[0]}" in meta["training_command"]
    # the second stage, from the committed first stage's weights (make train-second-stage)
    assert f"--finetune models/digit_{kind.split('-')[0]}_base.weights.h5" in meta["training_command"]
    assert onnx.load(str(rec.path)).opset_import[0].version >= 17


def margin(accuracy: float, n: int) -> float:
    """Three standard errors of an accuracy measured on n images: a subset's statistical margin."""
    return 3 * (accuracy * (1 - accuracy) / n) ** 0.5


@pytest.mark.parametrize("kind", ["cnn", "cnn-int8", "mlp"])
def test_shipped_models_hold_their_accuracy_on_a_2000_digit_sample(kind, mnist_subset):
    """On the 2,000-digit MNIST test sample, raw and through predict_batch, each model is
    within the subset's statistical margin (3 standard errors) of the 10k accuracy it claims."""
    rec = digitrt.Recognizer(kind)
    claimed = float(rec.metadata["mnist_test_accuracy"])
    images, labels = mnist_subset.test_images, mnist_subset.test_labels
    raw = float((rec.model.run(images[..., None].astype(np.float32) / 255).argmax(1)
                 == labels).mean())
    through = float(np.mean(np.array([p.best_guess for p in rec.predict_batch(images)]) == labels))
    assert raw >= claimed - margin(claimed, len(labels))
    assert through >= claimed - 0.0015 - margin(claimed, len(labels))


@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_keras_weights_and_onnx_agree(kind, mnist_subset):
    """The committed Keras weights, loaded into the committed architecture, give the same
    probabilities as the ONNX file: max |diff| <= 1e-5 on 1000 test images."""
    from training.train import PARITY_TOLERANCE, build_model, heads, with_embedding

    model = build_model(kind)
    model.load_weights(MODELS / f"digit_{kind}.weights.h5")
    x = mnist_subset.test_images[:1000, :, :, None].astype(np.float32) / 255
    embedding, logits = with_embedding(model).predict(x, batch_size=500, verbose=0)
    onnx = digitrt.Model(kind)
    expected = {**heads(logits, float(onnx.metadata["temperature"])), "embedding": embedding}
    got = onnx.run_outputs(x, *expected)
    for name, value in expected.items():
        assert np.abs(value - got[name]).max() <= PARITY_TOLERANCE, name


def test_model_card_quotes_the_files_it_describes():
    """models/README.md lists the sha256 of every shipped file, and they match."""
    card = (MODELS / "README.md").read_text()
    for name in ("digit_cnn.onnx", "digit_cnn_int8.onnx", "digit_mlp.onnx",
                 "digit_cnn.weights.h5", "digit_mlp.weights.h5",
                 "digit_cnn_base.weights.h5", "digit_mlp_base.weights.h5"):
        digest = hashlib.sha256((MODELS / name).read_bytes()).hexdigest()
        assert re.search(rf"{re.escape(name)}.*{digest}", card), name
    for kind in ("cnn", "mlp"):
        report = json.loads((MODELS / f"digit_{kind}.json").read_text())
        assert f"{100 * report['accuracy']['mnist_test']:.2f} %" in card
        for plot in ("curves", "confusion", "errors"):
            assert (MODELS / f"digit_{kind}_{plot}.png").is_file()
    lines = card.splitlines()
    table = lines[lines.index(next(line for line in lines if line.startswith("| |"))):]
    header = table[0]
    rows = [next(line for line in table if line.startswith(start))
            for start in ("| ONNX file size", "| **MNIST test accuracy**")]
    files = re.findall(r"\(`(digit_\w+\.onnx)`\)", header)
    sizes, accuracies = ([cell.strip() for cell in row.split("|")[2:-1]] for row in rows)
    for file, size, accuracy in zip(files, sizes, accuracies, strict=True):  # columns as headed
        assert size == f"{(MODELS / file).stat().st_size / 1024:.0f} KB", file
        report = json.loads((MODELS / file.replace(".onnx", ".json")).read_text())
        assert accuracy == f"**{100 * report['accuracy']['mnist_test']:.2f} %**", file


@pytest.mark.slow
def test_int8_cnn_keeps_the_float_cnns_accuracy(mnist):
    """The int8 CNN is within 0.05 points of the float CNN on the MNIST test set."""
    x = mnist.test_images[..., None].astype(np.float32) / 255
    fp32, int8 = (
        float((digitrt.Model(k).run(x).argmax(1) == mnist.test_labels).mean())
        for k in ("cnn", "cnn-int8")
    )
    assert int8 >= fp32 - 0.0005
    assert "static int8" in digitrt.Recognizer("cnn-int8").metadata["quantization"]


@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_keras_weights_carry_no_optimizer_state(kind):
    """The shipped .weights.h5 hold the layers' weights only, not Adam's moments."""
    import h5py

    with h5py.File(MODELS / f"digit_{kind}.weights.h5") as f:
        assert "optimizer" not in f and "layers" in f


@pytest.mark.parametrize("name", ["digit_cnn.onnx", "digit_cnn_int8.onnx"])
def test_shipped_cnns_compute_no_shapes_at_run_time(name):
    """Flatten's shape is a constant in the shipped graphs (`training.graph.static_flatten`):
    no Shape node runs on every call."""
    ops = [n.op_type for n in onnx.load(str(MODELS / name)).graph.node]
    assert "Reshape" in ops and "Shape" not in ops and "Concat" not in ops, ops


def _flatten_graph() -> onnx.ModelProto:
    """Flatten as tf2onnx writes it: Reshape(x, Cast(Concat(Slice(Shape(x)), [6]))), and two
    Reshapes that must be left alone: one with two computed dimensions, one to rank 3."""
    from onnx import TensorProto, helper, numpy_helper

    const = {"start": [0], "end": [1], "second": [2], "width": [6], "three": [3],
             "three_two": [3, 2]}
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Slice", ["s", "start", "end"], ["n"]),
             helper.make_node("Concat", ["n", "width"], ["c"], axis=0),
             helper.make_node("Cast", ["c"], ["shape"], to=TensorProto.INT64),
             helper.make_node("Reshape", ["x", "shape"], ["flat"]),
             helper.make_node("Slice", ["s", "end", "second"], ["rows"]),
             helper.make_node("Concat", ["n", "rows", "three"], ["both"], axis=0),
             helper.make_node("Reshape", ["x", "both"], ["kept"]),
             helper.make_node("Concat", ["n", "three_two"], ["rank3"], axis=0),
             helper.make_node("Reshape", ["x", "rank3"], ["turned"])]
    graph = helper.make_graph(
        nodes, "flatten", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 3])],
        [helper.make_tensor_value_info("flat", TensorProto.FLOAT, ["N", 6]),
         helper.make_tensor_value_info("kept", TensorProto.FLOAT, ["N", 2, 3]),
         helper.make_tensor_value_info("turned", TensorProto.FLOAT, ["N", 3, 2])],
        [numpy_helper.from_array(np.array(v, np.int64), k) for k, v in const.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_static_flatten_keeps_every_batch_size_and_drops_the_shape_nodes():
    import onnxruntime as ort

    from training.graph import static_flatten

    before = _flatten_graph()
    after = _flatten_graph()
    assert static_flatten(after) == 2  # Concat and Cast; Shape and Slice still feed "kept"
    onnx.checker.check_model(after)
    assert [n.op_type for n in after.graph.node].count("Concat") == 2
    sessions = [ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
                for m in (before, after)]
    for n in (1, 4):
        x = np.arange(n * 6, dtype=np.float32).reshape(n, 2, 3)
        expected, got = (s.run(None, {"x": x}) for s in sessions)
        assert got[0].shape == (n, 6)
        assert all(np.array_equal(a, b) for a, b in zip(expected, got, strict=True))
