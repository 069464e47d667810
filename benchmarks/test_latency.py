"""Latency and throughput: digitrt against bare onnxruntime, Keras and LiteRT on the same nets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

import digitrt
from digitrt import MNIST_SIZE

from .timing import compare

V1_MODEL = Path(__file__).resolve().parent / "baseline" / "digit_cnn_v1.onnx"


def ready_tensor(canvas):
    return digitrt.preprocess(canvas).reshape(1, MNIST_SIZE, MNIST_SIZE, 1)


# ---------------------------------------------------------------- preprocess
@pytest.mark.benchmark(group="preprocess")
def test_preprocess_canvas_280(benchmark, canvas):
    out = benchmark(digitrt.preprocess, canvas)
    assert out.any()


@pytest.mark.benchmark(group="preprocess")
def test_preprocess_mnist_28(benchmark, mnist_image):
    out = benchmark(digitrt.preprocess, mnist_image)
    assert out.any()


@pytest.mark.benchmark(group="preprocess")
def test_preprocess_photo_1000(benchmark, photo):
    out = benchmark(digitrt.preprocess, photo)
    assert out.any()


# ---------------------------------------------------------------- end to end
@pytest.mark.benchmark(group="predict")
@pytest.mark.parametrize("kind", ["cnn", "cnn-int8", "mlp"])
def test_predict_canvas(benchmark, recognizers, canvas, kind):
    p = benchmark(recognizers[kind].predict, canvas)
    assert p.digit == 3


@pytest.mark.benchmark(group="read")
@pytest.mark.parametrize("kind", ["cnn-int8", "cnn"])
def test_read_number_800x250(benchmark, recognizers, number_canvas, kind):
    """Recognizer.read of six digits on an 800x250 canvas (#15: <= 1 ms median), with the
    default model (cnn-int8) and the float CNN."""
    r = benchmark(recognizers[kind].read, number_canvas)
    assert r.text == "314159"


@pytest.mark.benchmark(group="read")
def test_read_touching_number_800x250(benchmark, recognizers, touching_number_canvas):
    """The same six digits with touching strokes: the segmentation, then the sequence model."""
    r = benchmark(recognizers["cnn"].read, touching_number_canvas)
    assert r.text == "314159"


# ---------------------------------------------------------------- the floor
def bare_session(recognizer, threads=1):
    """A plain onnxruntime session on the same file with the same settings as Recognizer."""
    return ort.InferenceSession(str(recognizer.path), digitrt.Model.session_options(threads),
                                providers=["CPUExecutionProvider"])


@pytest.mark.benchmark(group="onnxruntime")
@pytest.mark.parametrize("kind", ["cnn", "cnn-int8", "mlp"])
def test_bare_onnxruntime_run(benchmark, recognizers, canvas, kind):
    session = bare_session(recognizers[kind])
    x = ready_tensor(canvas)
    session.run(None, {"image": x})
    out = benchmark(session.run, None, {"image": x})
    assert out[0].argmax() == 3


@pytest.mark.benchmark(group="onnxruntime")
def test_bare_onnxruntime_run_2_threads(benchmark, recognizers, canvas):
    """The float CNN with 2 intra-op threads: the same thread budget LiteRT gets below."""
    session = bare_session(recognizers["cnn"], threads=2)
    x = ready_tensor(canvas)
    session.run(None, {"image": x})
    out = benchmark(session.run, None, {"image": x})
    assert out[0].argmax() == 3


@pytest.mark.benchmark(group="overhead")
@pytest.mark.parametrize("kind", ["cnn", "cnn-int8", "mlp"])
def test_overhead_interleaved(benchmark, recognizers, canvas, kind):
    """digitrt.predict and a bare session.run alternated call by call in one loop, so machine
    noise hits both alike; the medians' difference is digitrt's overhead (preprocessing
    included)."""
    rec = recognizers[kind]
    session = bare_session(rec)
    x = ready_tensor(canvas)
    info = compare(benchmark, ("predict", lambda: rec.predict(canvas)),
                   ("bare", lambda: session.run(None, {"image": x})))
    benchmark.extra_info["overhead_us"] = info["predict_median_us"] - info["bare_median_us"]
    benchmark.pedantic(rec.predict, (canvas,), rounds=1, iterations=1)
    assert info["predict_median_us"] > 0 and info["bare_median_us"] > 0


@pytest.mark.benchmark(group="overhead")
@pytest.mark.parametrize("kind", ["cnn", "cnn-int8"])
def test_predict_vs_v1_interleaved(benchmark, recognizers, canvas, kind):
    """`predict` with a shipped model and with model v1 (benchmarks/baseline), alternated call by
    call in one loop: the ratio is what model v2 and its not-a-digit answer cost (#14: <= 1.10)."""
    rec, v1 = recognizers[kind], digitrt.Recognizer(V1_MODEL)
    compare(benchmark, ("predict", lambda: rec.predict(canvas)), ("v1", lambda: v1.predict(canvas)))
    p = benchmark.pedantic(rec.predict, (canvas,), rounds=1, iterations=1)
    assert p.digit == v1.predict(canvas).digit == 3


# ---------------------------------------------------------------- batches
@pytest.mark.benchmark(group="batch")
@pytest.mark.parametrize("size", [32, 256, 1024])
def test_predict_batch_mnist(benchmark, mnist, size):
    rec = digitrt.Recognizer("cnn", threads=2)
    images = mnist.test_images[:size]
    results = benchmark(rec.predict_batch, images)
    benchmark.extra_info["images"] = size
    accuracy = np.mean([p.digit for p in results] == mnist.test_labels[:size])
    assert accuracy > 0.97


@pytest.mark.benchmark(group="batch")
def test_predict_batch_canvases_1024(benchmark, canvas):
    rec = digitrt.Recognizer("cnn", threads=2)
    shifts = [np.roll(canvas, (i % 30 - 15, i % 17 - 8), axis=(0, 1)) for i in range(1024)]
    results = benchmark(rec.predict_batch, shifts)
    benchmark.extra_info["images"] = 1024
    assert sum(p.digit == 3 for p in results) > 1000


# ---------------------------------------------------------------- peers
@pytest.mark.benchmark(group="keras")
@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_keras_predict(benchmark, keras_models, recognizers, canvas, kind):
    """The seed's way of predicting: model.predict on one preprocessed image."""
    x = ready_tensor(canvas)
    model = keras_models[kind]
    model.predict(x, verbose=0)
    out = benchmark.pedantic(model.predict, (x,), {"verbose": 0}, rounds=30 if not
                             benchmark.disabled else 1, warmup_rounds=2)
    assert out.argmax() == 3


@pytest.mark.benchmark(group="keras")
@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_keras_call(benchmark, keras_models, recognizers, canvas, kind):
    """model(x): Keras without predict's per-call setup."""
    x = ready_tensor(canvas)
    model = keras_models[kind]
    model(x, training=False)
    out = benchmark(model, x, training=False)
    assert int(np.asarray(out).argmax()) == 3


@pytest.fixture(scope="session")
def litert_interpreters(keras_models):
    interpreter_module = pytest.importorskip(
        "ai_edge_litert.interpreter", reason="LiteRT peer needs ai-edge-litert (bench extra)"
    )
    import tensorflow as tf

    interpreters = {}
    for kind, model in keras_models.items():
        # from_keras_model: from_concrete_functions silently writes a model without weights.
        flatbuffer = tf.lite.TFLiteConverter.from_keras_model(model).convert()
        interpreter = interpreter_module.Interpreter(model_content=flatbuffer, num_threads=2)
        interpreter.allocate_tensors()
        interpreters[kind] = interpreter
    return interpreters


@pytest.mark.benchmark(group="litert")
@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_litert_invoke(benchmark, litert_interpreters, recognizers, canvas, kind):
    """LiteRT (XNNPACK, 2 threads) running the same network on a ready tensor."""
    interpreter = litert_interpreters[kind]
    x = ready_tensor(canvas)
    index_in = interpreter.get_input_details()[0]["index"]
    index_out = interpreter.get_output_details()[0]["index"]

    def run():
        interpreter.set_tensor(index_in, x)
        interpreter.invoke()
        return interpreter.get_tensor(index_out)

    out = benchmark(run)
    from training.train import heads

    model = recognizers[kind].model
    expected = model.run(x)
    got = heads(out, float(model.metadata.get("temperature", 1.0)))["probabilities"]
    assert out.argmax() == 3 and np.abs(got - expected).max() < 1e-4
