"""Turn whatever the caller passed (array, path, encoded bytes) into one 2-D uint8 grey image.

Pure input handling: it knows nothing of preprocessing or models. Every malformed input raises
ImageError saying what was received and what is accepted.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from ._cv import MAX_PIXELS, cv2
from ._errors import ImageError

ImageInput: TypeAlias = "npt.NDArray[Any] | str | os.PathLike[str] | bytes"
GreyImage: TypeAlias = npt.NDArray[np.uint8]

ACCEPTED = (
    "accepted: a 2-D grey array (uint8, uint16, or float in [0, 1]), a 3-D array with 1, 3 (BGR) "
    "or 4 (BGRA) channels, a path to an image file, or the bytes of an encoded PNG/JPEG/BMP"
)


def to_grey(image: ImageInput) -> GreyImage:
    """Return `image` as a 2-D uint8 array; raise ImageError for anything else."""
    if isinstance(image, np.ndarray):
        return _array_to_grey(image)
    if isinstance(image, (bytes, bytearray, memoryview)):
        return _array_to_grey(_decode(bytes(image), "the given bytes"))
    if isinstance(image, (str, os.PathLike)):
        return _array_to_grey(_decode(_read_file(image), f"file {os.fspath(image)!r}"))
    raise ImageError(f"cannot read an image from {_describe(image)}; {ACCEPTED}")


def _describe(value: object) -> str:
    """A short description of a value for error messages, never its whole content."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def _read_file(path: str | os.PathLike[str]) -> bytes:
    p = Path(path)
    if os.fspath(path) == "":
        raise ImageError(f"an empty string is not a path; {ACCEPTED}")
    try:
        if p.is_dir():
            raise ImageError(f"{str(p)!r} is a directory, not an image file")
        size = p.stat().st_size
        if size > 8 * MAX_PIXELS:
            raise ImageError(f"{str(p)!r} is {size} bytes, too large for an image")
        return p.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"no such file: {str(p)!r}") from None
    except OSError as e:
        raise ImageError(f"cannot read {str(p)!r}: {e.strerror or e}") from None


def _decode(data: bytes, source: str) -> npt.NDArray[Any]:
    if not data:
        raise ImageError(f"{source} is empty; expected an encoded PNG, JPEG or BMP image")
    if data[:2] == b"\xff\xd8" and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise ImageError(f"{source} is a truncated JPEG (no end-of-image marker)")
    try:
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error as e:  # OpenCV refuses images above OPENCV_IO_MAX_IMAGE_PIXELS here
        raise ImageError(
            f"{source} could not be decoded (corrupt, or larger than {MAX_PIXELS} pixels): "
            f"{str(e).strip().splitlines()[-1]}"
        ) from None
    if decoded is None:
        raise ImageError(f"{source} is not a readable image (corrupt, truncated or not PNG/JPEG/BMP)")
    return np.asarray(decoded)


def _array_to_grey(a: npt.NDArray[Any]) -> GreyImage:
    if a.size == 0:
        raise ImageError(f"received an empty array of shape {a.shape}; {ACCEPTED}")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3):
        raise ImageError(f"received {_describe(a)}: {a.ndim}-D; {ACCEPTED}")
    if a.ndim == 3 and a.shape[2] not in (3, 4):
        raise ImageError(f"received {_describe(a)}: {a.shape[2]} channels; {ACCEPTED}")
    if a.shape[0] * a.shape[1] > MAX_PIXELS:
        raise ImageError(f"received {a.shape[1]}x{a.shape[0]} pixels; at most {MAX_PIXELS} accepted")
    a = _to_uint8(a)
    if a.ndim == 2:
        return a
    if a.shape[2] == 4:
        return _flatten_alpha(a)
    return np.asarray(cv2.cvtColor(a, cv2.COLOR_BGR2GRAY))


def _to_uint8(a: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.uint16:
        return np.asarray(cv2.convertScaleAbs(a, alpha=255 / 65535))
    if a.dtype in (np.float16, np.float32, np.float64):
        f = a.astype(np.float32, copy=False)
        lo, hi = float(f.min()), float(f.max())  # NaN propagates into both
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ImageError(f"received {_describe(a)} containing NaN or infinity; {ACCEPTED}")
        if lo < 0.0 or hi > 1.0:
            raise ImageError(
                f"received a float array with values in [{lo:g}, {hi:g}]; float images must lie "
                "in [0, 1] (divide 0-255 data by 255, or pass it as uint8)"
            )
        return np.asarray(cv2.convertScaleAbs(f, alpha=255.0))
    raise ImageError(f"received {_describe(a)}: unsupported dtype; {ACCEPTED}")


def _flatten_alpha(bgra: npt.NDArray[np.uint8]) -> GreyImage:
    """Composite BGRA onto a backdrop that contrasts with the strokes.

    An HTML canvas exports strokes that may exist only in the alpha channel (colour all black, or
    all white, on transparent). Compositing onto white would erase white strokes and onto black
    would erase black ones, so the backdrop is the opposite of the opaque pixels' mean grey.
    """
    grey = cv2.cvtColor(bgra, cv2.COLOR_BGRA2GRAY)
    alpha = bgra[:, :, 3]
    if int(alpha.min()) == 255:
        return np.asarray(grey)
    opaque = alpha > 127
    stroke_level = float(grey[opaque].mean()) if opaque.any() else 0.0
    backdrop = 255.0 if stroke_level < 128 else 0.0
    a = alpha.astype(np.float32) * (1 / 255)
    return np.asarray((grey * a + backdrop * (1 - a) + 0.5).astype(np.uint8))
