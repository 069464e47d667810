"""Every kind of input digitrt accepts, and a clear ImageError for everything else."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest

import digitrt
from digitrt import ImageError, preprocess
from training.strokes import draw_digit

SEVEN = draw_digit(7, background=255, pen=0)


def encoded(image, ext=".png"):
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


@pytest.fixture(scope="module")
def reference():
    return preprocess(SEVEN)


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda a: a, id="uint8"),
        pytest.param(lambda a: a.astype(np.uint16) * 257, id="uint16"),
        pytest.param(lambda a: a.astype(np.float32) / 255, id="float32"),
        pytest.param(lambda a: a.astype(np.float64) / 255, id="float64"),
        pytest.param(lambda a: a[:, :, None], id="one-channel"),
        pytest.param(lambda a: cv2.cvtColor(a, cv2.COLOR_GRAY2BGR), id="bgr"),
        pytest.param(lambda a: cv2.cvtColor(a, cv2.COLOR_GRAY2BGRA), id="bgra-opaque"),
        pytest.param(lambda a: encoded(a, ".png"), id="png-bytes"),
        pytest.param(lambda a: encoded(a, ".bmp"), id="bmp-bytes"),
        pytest.param(lambda a: encoded(a, ".jpg"), id="jpeg-bytes"),
    ],
)
def test_accepted_forms_give_the_same_result(convert, reference):
    """Arrays of every accepted dtype and channel count, and encoded bytes, read the same."""
    assert np.abs(preprocess(convert(SEVEN)) - reference).mean() < 0.01


def test_paths_as_str_and_pathlike(tmp_path, reference):
    """A file path works as str and as os.PathLike."""
    path = tmp_path / "seven.png"
    path.write_bytes(encoded(SEVEN))
    assert np.array_equal(preprocess(str(path)), reference)
    assert np.array_equal(preprocess(path), reference)


@pytest.mark.parametrize("stroke_colour", [0, 255])
def test_rgba_with_strokes_only_in_alpha(stroke_colour, reference):
    """An HTML-canvas export (colour constant, strokes only in alpha) reads correctly,
    whether its strokes are black or white."""
    alpha = 255 - SEVEN  # opaque where the ink is
    rgba = np.dstack([np.full_like(SEVEN, stroke_colour)] * 3 + [alpha])
    assert np.abs(preprocess(rgba) - reference).mean() < 0.01
    assert np.abs(preprocess(encoded(rgba)) - reference).mean() < 0.01


def png_header_only(width, height):
    """A tiny PNG whose header claims width x height pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = zlib.compress(b"\x00" * 1000)
    body += struct.pack(">I", len(idat)) + b"IDAT" + idat + struct.pack(
        ">I", zlib.crc32(b"IDAT" + idat)
    )
    return b"\x89PNG\r\n\x1a\n" + body + b"\x00\x00\x00\x00IEND\xaeB`\x82"


BAD_INPUTS = {
    "empty array": (np.zeros((0, 0), np.uint8), "empty"),
    "1-D array": (np.zeros(784, np.uint8), "1-D"),
    "4-D array": (np.zeros((1, 28, 28, 1), np.uint8), "4-D"),
    "2 channels": (np.zeros((28, 28, 2), np.uint8), "2 channels"),
    "5 channels": (np.zeros((28, 28, 5), np.uint8), "5 channels"),
    "NaN": (np.full((28, 28), np.nan, np.float32), "NaN"),
    "inf": (np.full((28, 28), np.inf), "NaN or infinity"),
    "float out of range": (np.full((28, 28), 255.0), "[0, 1]"),
    "bool": (np.zeros((28, 28), bool), "dtype bool"),
    "object": (np.zeros((28, 28), object), "dtype object"),
    "complex": (np.zeros((28, 28), complex), "dtype complex"),
    "int64": (np.zeros((28, 28), np.int64), "dtype int64"),
    "None": (None, "NoneType"),
    "number": (7, "int 7"),
    "list": ([[0, 1]], "list"),
    "missing file": ("/no/such/digit.png", "no such file"),
    "empty string": ("", "empty string"),
    "empty bytes": (b"", "empty"),
    "not an image": (b"hello, this is text", "not a readable image"),
    "truncated png": (encoded(SEVEN)[:200], "not a readable image"),
    "truncated jpeg": (encoded(SEVEN, ".jpg")[:500], "truncated JPEG"),
    "huge array": (np.broadcast_to(np.uint8(0), (10_000, 10_000)), "pixels"),
    "decompression bomb": (png_header_only(100_000, 100_000), "could not be decoded"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_raises_image_error_saying_what_was_received(case):
    """Malformed input raises ImageError (also a ValueError) that names the problem."""
    bad, expected = BAD_INPUTS[case]
    with pytest.raises(ImageError) as info:
        preprocess(bad)
    assert isinstance(info.value, ValueError)
    assert expected.lower() in str(info.value).lower()


def test_directory_and_non_image_file(tmp_path):
    """A directory and a text file named .png are refused with their names in the message."""
    with pytest.raises(ImageError, match="directory"):
        preprocess(tmp_path)
    fake = tmp_path / "fake.png"
    fake.write_text("not a png")
    with pytest.raises(ImageError, match=r"fake\.png"):
        preprocess(fake)


def test_errors_are_digitrt_errors():
    """ImageError and ModelError share the DigitrtError base."""
    assert issubclass(digitrt.ImageError, digitrt.DigitrtError)
    assert issubclass(digitrt.ModelError, digitrt.DigitrtError)
