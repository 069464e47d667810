"""Hostile and awkward inputs: special files, odd paths, bombs, odd models, odd arguments."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import threading
import zlib

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import digitrt
from digitrt import DigitrtError, ImageError, Model, ModelError, Recognizer
from training.strokes import draw_digit

SEVEN = draw_digit(7, background=255)
# A subprocess's own peak memory in KB (VmHWM; ru_maxrss would carry over the parent's peak).
PEAK_KB = ("next(int(line.split()[1]) for line in open('/proc/self/status') "
           "if line.startswith('VmHWM'))")


def jpeg(image, quality=90):
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def test_a_fifo_is_refused_at_once(tmp_path):
    """A FIFO is not read (it would never end): ImageError naming it, without waiting."""
    fifo = tmp_path / "digit.png"
    os.mkfifo(fifo)
    result = []
    thread = threading.Thread(target=lambda: result.append(_error(lambda: digitrt.predict(fifo))))
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and "not a regular file" in result[0] and "digit.png" in result[0]


def _error(call):
    try:
        call()
    except ImageError as e:
        return str(e)
    return ""


@pytest.mark.parametrize("path, fragment", [
    ("/dev/zero", "not a regular file"),
    ("/dev/null", "not a regular file"),
    ("digit\0.png", "NUL"),
])
def test_special_and_odd_paths_are_image_errors(path, fragment):
    """Devices and names with a NUL byte are ImageErrors, immediately and without reading."""
    with pytest.raises(ImageError, match=fragment):
        digitrt.predict(path)


def test_a_pathlike_returning_bytes_is_an_image_error():
    """An os.PathLike whose __fspath__ returns bytes: ImageError, not TypeError."""
    class BytesPath:
        def __fspath__(self):
            return b"/tmp/digit.png"

    with pytest.raises(ImageError, match="bytes"):
        digitrt.predict(BytesPath())


def test_oversized_file_is_refused_before_reading(tmp_path):
    """A file above the byte cap is refused, without reading it all."""
    big = tmp_path / "big.png"
    with open(big, "wb") as f:
        f.truncate(65 * 2**20)  # sparse: 65 MB, above the 64 MB cap
    with pytest.raises(ImageError, match="larger than"):
        digitrt.predict(big)


def png_bomb(width, height):
    """A small, valid PNG header stating width x height pixels (a decompression bomb)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\0" * 10_000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_from_its_header_even_after_cv2_was_imported():
    """A 30000x30000 PNG is refused from its header in a process that imported cv2 before
    digitrt (OpenCV's own limit is then not set), without allocating the image."""
    code = ("import cv2, time, digitrt\n"
            f"data = {png_bomb(30000, 30000)!r}\n"
            "t = time.perf_counter()\n"
            "try:\n    digitrt.preprocess(data)\nexcept digitrt.ImageError as e:\n    print(e)\n"
            f"print(time.perf_counter() - t, {PEAK_KB})\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    message, numbers = out.stdout.strip().splitlines()
    seconds, max_rss_kb = map(float, numbers.split())
    # Decoding would take seconds and 1.8 GB; refused from the header it takes neither.
    assert "30000x30000" in message and seconds < 5 and max_rss_kb < 400_000


@pytest.mark.parametrize("data, fragment", [
    (b"GIF89a" + b"\0" * 100, "not PNG, JPEG or BMP"),
    (b"II*\0" + b"\0" * 100, "not PNG, JPEG or BMP"),  # TIFF: OpenCV decodes it, we do not
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 8, "without its IHDR header"),
])
def test_only_png_jpeg_and_bmp_are_accepted(data, fragment):
    """Formats are sniffed from the leading bytes; others are refused by name."""
    with pytest.raises(ImageError, match=fragment):
        digitrt.preprocess(data)


def exif_orientation(jpeg_bytes, orientation):
    """The JPEG with an EXIF APP1 segment stating `orientation` (1-8)."""
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"MM\0*" + struct.pack(">I", 8) + ifd + struct.pack(">I", 0)
    payload = b"Exif\0\0" + tiff
    return jpeg_bytes[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg_bytes[2:]


def test_exif_orientation_is_applied(recognizer):
    """A phone JPEG of an upright 7 stored upside down with EXIF orientation 3 reads as 7."""
    stored = jpeg(cv2.rotate(SEVEN, cv2.ROTATE_180))
    assert recognizer.predict(stored).digit != 7  # without the tag it is upside down
    assert recognizer.predict(exif_orientation(stored, 3)).digit == 7


def test_jpeg_trailer_is_accepted_and_corrupt_jpeg_refused(recognizer):
    """Bytes after a JPEG's end marker (camera trailers) are fine; a JPEG whose data was cut
    short but still ends with the marker is refused as corrupt; nothing reaches stderr."""
    good = jpeg(SEVEN)
    assert recognizer.predict(good + b"CAMERA-TRAILER" * 50).digit == 7
    with pytest.raises(ImageError, match="corrupt or truncated JPEG"):
        recognizer.predict(good[: len(good) // 2] + b"\xff\xd9")


def test_decoder_warnings_never_reach_stderr(tmp_path):
    """libjpeg's and libpng's complaints about bad files are not printed (a fresh process)."""
    good = jpeg(SEVEN)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(good[: len(good) // 2] + b"\xff\xd9")
    code = (f"import digitrt\ntry:\n    digitrt.predict({str(bad)!r})\n"
            "except digitrt.ImageError:\n    print('refused')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "refused" and out.stderr == ""


def test_a_wide_array_leaves_no_memory_behind():
    """A 1 x 40,000,000 array is read without caching index arrays of its size."""
    code = ("import numpy as np, digitrt, gc\n"
            "p = digitrt.predict(np.full((1, 40_000_000), 255, np.uint8))\n"
            "gc.collect()\n"
            f"print(p.status, {PEAK_KB})\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    status, max_rss_kb = out.stdout.split()
    assert status == "blank" and int(max_rss_kb) < 700_000


def save(graph, path):
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def model_with(tmp_path, name, nodes, out_shape=("N", 10), in_shape=("N", 28, 28, 1), inits=()):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, list(in_shape))],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, list(out_shape))],
        list(inits))
    return save(graph, tmp_path / f"{name}.onnx")


def ten_columns():
    return [helper.make_node("Flatten", ["image"], ["flat"]),
            helper.make_node("Slice", ["flat", "s", "e", "a"], ["ten"])]


def slice_inits():
    return [helper.make_tensor(n, TensorProto.INT64, [1], [v])
            for n, v in (("s", 0), ("e", 10), ("a", 1))]


@pytest.mark.parametrize("kind, fragment", [
    ("logits", "not probabilities"),
    ("nan", "NaN"),
    ("fixed batch", "batch of 2"),
    ("one row", "shape"),
])
def test_models_with_bad_outputs_are_refused(tmp_path, kind, fragment):
    """Logits, NaN, a fixed batch of 1 and a model that always returns one row: ModelError at
    load, never NaN in JSON or a 687 % confidence later."""
    inits = slice_inits()
    if kind == "logits":
        nodes = [*ten_columns(), helper.make_node("Sub", ["ten", "half"], ["probabilities"])]
        inits.append(helper.make_tensor("half", TensorProto.FLOAT, [1], [5.0]))
        path = model_with(tmp_path, kind, nodes, inits=inits)
    elif kind == "nan":
        nodes = [*ten_columns(), helper.make_node("Div", ["ten", "zero"], ["q"]),
                 helper.make_node("Softmax", ["q"], ["probabilities"])]
        inits.append(helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0]))
        path = model_with(tmp_path, kind, nodes, inits=inits)
    elif kind == "fixed batch":
        nodes = [*ten_columns(), helper.make_node("Softmax", ["ten"], ["probabilities"])]
        path = model_with(tmp_path, kind, nodes, out_shape=(1, 10), in_shape=(1, 28, 28, 1),
                          inits=inits)
    else:
        nodes = [*ten_columns(), helper.make_node("Softmax", ["ten"], ["p"]),
                 helper.make_node("ReduceMean", ["p"], ["probabilities"], axes=[0], keepdims=1)]
        path = model_with(tmp_path, kind, nodes, inits=inits)
    with pytest.raises(ModelError, match=fragment):
        Model(path)


@pytest.mark.parametrize("kwargs, kind", [
    (dict(model=123), TypeError),
    (dict(model=b"cnn"), TypeError),
    (dict(threads=2**31), ValueError),
    (dict(threads=4096), ValueError),
    (dict(providers=5), TypeError),
    (dict(providers="CPUExecutionProvider"), TypeError),
    (dict(unsure_below=2), ValueError),
    (dict(unsure_below=float("nan")), ValueError),
    (dict(unsure_below="high"), TypeError),
])
def test_constructor_arguments_are_checked(kwargs, kind):
    """Every constructor argument is type- and range-checked: TypeError or ValueError that is
    also a DigitrtError, naming the argument."""
    with pytest.raises(kind) as info:
        Recognizer(**kwargs)
    assert isinstance(info.value, DigitrtError)
    assert next(iter(kwargs)) in str(info.value)


def test_model_under_an_unreadable_folder_is_a_model_error(tmp_path):
    """A model path that cannot even be checked (a NUL in it) is a ModelError, not ValueError."""
    with pytest.raises(ModelError):
        Model("models\0/x.onnx")


def test_top_k_is_checked(recognizer):
    """top(-1) is an error, not nine entries; top(0) is empty."""
    p = recognizer.predict(SEVEN)
    assert p.top(0) == [] and len(p.top(10)) == 10
    with pytest.raises(ValueError, match="k must be"):
        p.top(-1)


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

ENCODED = [cv2.imencode(ext, draw_digit(d, size=64, width=6))[1].tobytes()
           for d in (3, 8) for ext in (".png", ".jpg", ".bmp")]


def check_outcome(recognizer, value):
    """Either a Prediction without NaN, or a DigitrtError; nothing else escapes."""
    try:
        p = recognizer.predict(value)
    except DigitrtError:
        return
    assert p.status in ("digit", "blank", "not_a_digit")
    assert np.isfinite(p.probabilities).all() and np.isfinite(p.confidence)
    assert np.isfinite(p.image).all()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hnp.arrays(st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.int32,
                                   np.bool_, np.float16]),
                  hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=40),
                  ),
       st.sampled_from(["plain", "transposed", "strided", "reversed"]))
def test_random_arrays_and_views_only_raise_digitrt_errors(recognizer, array, view):
    """Arrays of any dtype and shape, and non-contiguous views of them: a Prediction or a
    DigitrtError, never NaN, never another exception."""
    if view == "transposed":
        array = array.T
    elif view == "strided" and array.ndim >= 2:
        array = array[::2, ::3]
    elif view == "reversed" and array.ndim >= 1:
        array = array[::-1]
    check_outcome(recognizer, array)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(ENCODED), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                          max_size=8),
       st.integers(0, 10**6))
def test_mutated_encoded_bytes_only_raise_digitrt_errors(recognizer, data, flips, cut):
    """PNG, JPEG and BMP bytes with random bytes changed and cut short anywhere: a Prediction
    or a DigitrtError, never NaN, never another exception."""
    mutated = bytearray(data)
    for position, value in flips:
        mutated[position % len(mutated)] = value
    check_outcome(recognizer, bytes(mutated[: max(1, cut % (len(mutated) + 1))]))
