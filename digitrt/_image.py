"""Turn whatever the caller passed (array, path, encoded bytes) into one 2-D uint8 grey image.

Pure input handling: it knows nothing of preprocessing or models. Every malformed input raises
ImageError saying what was received and what is accepted.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import stat
import struct
import tempfile
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO, TypeAlias

import numpy as np
import numpy.typing as npt

from ._constants import FORMATS
from ._cv import MAX_PIXELS, cv2
from ._errors import ImageError

ImageInput: TypeAlias = "npt.NDArray[Any] | str | os.PathLike[str] | bytes | BinaryIO"
GreyImage: TypeAlias = npt.NDArray[np.uint8]

# Files and stdin are read up to this many bytes: a digit image is kilobytes, a photo megabytes.
MAX_FILE_BYTES = 64 * 1024 * 1024

ACCEPTED = (
    "accepted: a 2-D grey array (uint8, uint16, or float in [0, 1]), a 3-D array with 1, 3 (BGR) "
    "or 4 (BGRA) channels, a path to an image file, the bytes of an encoded PNG/JPEG/BMP, or a "
    "binary file object holding them"
)


def to_grey(image: ImageInput) -> GreyImage:
    """Return `image` as a 2-D uint8 array; raise ImageError for anything else."""
    if isinstance(image, np.ndarray):  # np.matrix and other subclasses: as a plain array
        return _array_to_grey(np.asarray(image))
    if isinstance(image, (bytes, bytearray, memoryview)):
        return _array_to_grey(_decode(bytes(image), "the given bytes"))
    if isinstance(image, (str, os.PathLike)):
        return _array_to_grey(_decode(_read_file(image), f"file {os.fspath(image)!r}"))
    if hasattr(image, "read"):  # an open binary file, e.g. sys.stdin.buffer
        name = str(getattr(image, "name", "the stream"))
        return _array_to_grey(_decode(_read_capped(image, name), name))
    raise ImageError(f"cannot read an image from {_describe(image)}; {ACCEPTED}")


def _describe(value: object) -> str:
    """A short description of a value for error messages, never its whole content."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def _read_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file, at most MAX_FILE_BYTES; every problem is an ImageError."""
    try:
        name = os.fspath(path)
    except TypeError:
        raise ImageError(f"cannot use {_describe(path)} as a path; {ACCEPTED}") from None
    if not isinstance(name, str):
        raise ImageError(f"path {name!r} is {type(name).__name__}, not str; give it as str")
    if name == "":
        raise ImageError(f"an empty string is not a path; {ACCEPTED}")
    if "\0" in name:
        raise ImageError(f"{name!r} is not a valid path: it contains a NUL character")
    try:
        # Non-blocking, then fstat: a FIFO or device is refused without ever waiting on it.
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ImageError(f"no such file: {name!r}") from None
    except OSError as e:
        raise ImageError(f"cannot read {name!r}: {e.strerror or e}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ImageError(f"{name!r} is a directory, not an image file")
        if not stat.S_ISREG(mode):
            raise ImageError(f"{name!r} is not a regular file (a FIFO, device or socket); "
                             "digitrt reads image files only")
        with open(fd, "rb", closefd=False) as f:
            return _read_capped(f, name)
    except OSError as e:
        raise ImageError(f"cannot read {name!r}: {e.strerror or e}") from None
    finally:
        os.close(fd)


def _read_capped(stream: Any, name: str) -> bytes:
    """At most MAX_FILE_BYTES from a binary stream; more is an ImageError (never read whole)."""
    try:
        data = stream.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as e:  # ValueError: a closed file
        raise ImageError(f"cannot read {name!r}: {e}") from None
    if not isinstance(data, bytes):
        raise ImageError(f"{name!r} gave {type(data).__name__}, not bytes; open it in binary mode")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"{name!r} is larger than {MAX_FILE_BYTES} bytes, too large for an image")
    return data


def _decode(data: bytes, source: str) -> npt.NDArray[Any]:
    """Decode PNG, JPEG or BMP bytes after checking the format and the size its header states."""
    if not data:
        raise ImageError(f"{source} is empty; expected an encoded {FORMATS} image")
    kind = _sniff(data)
    if kind is None:
        raise ImageError(f"{source} is not a readable image: not {FORMATS} "
                         f"(it starts with {data[:8]!r})")
    width, height = _dimensions(data, kind, source)
    if width <= 0 or height <= 0:
        raise ImageError(f"{source}: its header states {width}x{height} pixels; corrupt")
    if width * height > MAX_PIXELS:
        raise ImageError(f"{source} could not be decoded: it is {width}x{height} pixels, at most "
                         f"{MAX_PIXELS} accepted")
    # JPEG: decoded straight to grey, which also applies the EXIF orientation of phone photos.
    # PNG/BMP: unchanged, to keep alpha (canvas exports) and 16-bit depth.
    flags = cv2.IMREAD_GRAYSCALE if kind == "jpeg" else cv2.IMREAD_UNCHANGED
    with _decoder_messages() as messages:
        try:
            decoded = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
        except cv2.error as e:
            raise ImageError(f"{source} could not be decoded: "
                             f"{str(e).strip().splitlines()[-1]}") from None
    if decoded is None:
        raise ImageError(f"{source} is not a readable image (a corrupt or truncated {kind.upper()})")
    if kind == "jpeg" and ("Corrupt JPEG" in messages[0] or "Premature end" in messages[0]):
        raise ImageError(f"{source} is a corrupt or truncated JPEG "
                         f"({messages[0].strip().splitlines()[0]})")
    if kind == "png":  # OpenCV applies a JPEG's EXIF orientation, not a PNG's (its eXIf chunk)
        return _orient(np.asarray(decoded), _png_orientation(data))
    return np.asarray(decoded)


def _png_orientation(data: bytes) -> int:
    """The EXIF orientation (1-8) in a PNG's eXIf chunk; 1 (as stored) when there is none."""
    i = 8
    while i + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[i : i + 8])
        if kind == b"eXIf":
            return _tiff_orientation(data[i + 8 : i + 8 + length])
        if kind in (b"IDAT", b"IEND"):
            return 1
        i += 12 + length
    return 1


def _tiff_orientation(exif: bytes) -> int:
    """Tag 0x0112 of an EXIF (TIFF) block's first directory; 1 when absent or unreadable."""
    order = {b"II": "<", b"MM": ">"}.get(exif[:2])
    try:
        if order is None:
            return 1
        (start,) = struct.unpack(order + "I", exif[4:8])
        (count,) = struct.unpack(order + "H", exif[start : start + 2])
        for k in range(min(count, 256)):
            entry = exif[start + 2 + 12 * k : start + 14 + 12 * k]
            tag, _type, _n, value = struct.unpack(order + "HHIH", entry[:10])
            if tag == 0x0112:
                return value if 1 <= value <= 8 else 1
    except struct.error:
        return 1
    return 1


def _orient(a: npt.NDArray[Any], orientation: int) -> npt.NDArray[Any]:
    """The image turned upright for an EXIF orientation (2-8 mirror and/or rotate it)."""
    if orientation in (5, 6, 7, 8):  # stored sideways: transpose first, then as 2 / 1 / 4 / 3
        a = a.swapaxes(0, 1)
        orientation = {5: 1, 6: 2, 7: 3, 8: 4}[orientation]
    if orientation == 2:
        a = a[:, ::-1]
    elif orientation == 3:
        a = a[::-1, ::-1]
    elif orientation == 4:
        a = a[::-1]
    return np.ascontiguousarray(a)


def _sniff(data: bytes) -> str | None:
    """The format from the leading bytes: "png", "jpeg", "bmp", or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"BM"):
        return "bmp"
    return None


def _dimensions(data: bytes, kind: str, source: str) -> tuple[int, int]:
    """Width and height as the file's header states them, without decoding any pixels."""
    try:
        if kind == "png":
            if data[12:16] != b"IHDR":
                raise ImageError(f"{source} is a PNG without its IHDR header; corrupt")
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        if kind == "bmp":
            if struct.unpack("<I", data[14:18])[0] == 12:  # the old OS/2 header: 16-bit sizes
                width, height = struct.unpack("<HH", data[18:22])
                return int(width), int(height)
            width, height = struct.unpack("<ii", data[18:26])
            return int(width), abs(int(height))  # a negative height means top-down rows
        return _jpeg_dimensions(data, source)
    except struct.error:
        raise ImageError(f"{source} is a truncated {kind.upper()} header") from None


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_dimensions(data: bytes, source: str) -> tuple[int, int]:
    """Walk the JPEG's marker segments to its frame header; check that the scan is followed by
    an end-of-image marker (bytes after it, which some cameras append, are allowed)."""
    i, size = 2, None
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ImageError(f"{source} is a corrupt JPEG (no marker at byte {i})")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the compressed data runs to the end-of-image marker
            if size is None:
                break
            if data.find(b"\xff\xd9", i) < 0:
                raise ImageError(f"{source} is a truncated JPEG (no end-of-image marker)")
            return size
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            size = (int(width), int(height))
        i += 2 + length
    raise ImageError(f"{source} is a truncated or corrupt JPEG (no frame or scan header)")


_stderr_lock = threading.Lock()
_capture: Any = None  # one temporary file per process, reused under the lock


@contextlib.contextmanager
def _decoder_messages() -> Iterator[list[str]]:
    """Capture what the image libraries print on standard error while decoding (libjpeg and
    libpng write their warnings there directly), so they are never shown to the user and a
    corrupt JPEG's warning can be turned into an ImageError. Yields a one-item list that holds
    the text afterwards. Decodes are serialised by a lock while fd 2 is redirected."""
    global _capture
    messages = [""]
    with _stderr_lock:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (a daemon): nothing to capture
            yield messages
            return
        if _capture is None:  # making a temporary file costs as much as a fifth of a decode
            _capture = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the process)
            atexit.register(_capture.close)
        capture = _capture
        capture.seek(0)
        capture.truncate()
        try:
            os.dup2(capture.fileno(), 2)
            yield messages
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            messages[0] = capture.read(4096).decode("utf-8", "replace")


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
        lo, hi = float(a.min()), float(a.max())  # NaN propagates into both; before any cast
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ImageError(f"received {_describe(a)} containing NaN or infinity; {ACCEPTED}")
        if lo < 0.0 or hi > 1.0:
            raise ImageError(
                f"received a float array with values in [{lo:g}, {hi:g}]; float images must lie "
                "in [0, 1] (divide 0-255 data by 255, or pass it as uint8)"
            )
        return np.asarray(cv2.convertScaleAbs(a.astype(np.float32, copy=False), alpha=255.0))
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
