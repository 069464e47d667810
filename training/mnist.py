"""Find, verify and read the four MNIST IDX files.

Where it looks, in order: an explicit directory, $DIGITRT_MNIST_DIR, the user cache
(~/.cache/digitrt/mnist), a Keras-style mnist.npz already cached by keras.datasets; then it
downloads the IDX files from well-known mirrors into the user cache, verifying sha256.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import math
import os
import struct
import time
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# sha256 of the uncompressed files (the .gz wrappers differ between mirrors; the contents do not).
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
# Exact sizes of the uncompressed files: downloads and decompression are capped by them.
SIZES = {
    "train-images-idx3-ubyte": 16 + 60_000 * 28 * 28,
    "train-labels-idx1-ubyte": 8 + 60_000,
    "t10k-images-idx3-ubyte": 16 + 10_000 * 28 * 28,
    "t10k-labels-idx1-ubyte": 8 + 10_000,
}
DOWNLOAD_DEADLINE = 300.0  # seconds for one whole file, whatever the server's pace
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
ENV_VAR = "DIGITRT_MNIST_DIR"
CACHE_DIR = Path.home() / ".cache" / "digitrt" / "mnist"
KERAS_NPZ = Path.home() / ".keras" / "datasets" / "mnist.npz"

_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049


class MnistError(RuntimeError):
    """MNIST could not be found, downloaded or read; the message says where it looked."""


@dataclass(frozen=True)
class Mnist:
    """The MNIST train and test sets: uint8 images (N, 28, 28), ink bright on 0; uint8 labels."""

    train_images: npt.NDArray[np.uint8]
    train_labels: npt.NDArray[np.uint8]
    test_images: npt.NDArray[np.uint8]
    test_labels: npt.NDArray[np.uint8]


def load_mnist(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    mirrors: tuple[str, ...] = MIRRORS,
    cache_dir: Path | None = None,
    keras_npz: Path | None = None,
) -> Mnist:
    """Load MNIST from the first place that has it, downloading into the cache as a last resort."""
    cache_dir = CACHE_DIR if cache_dir is None else cache_dir
    keras_npz = KERAS_NPZ if keras_npz is None else keras_npz
    looked: list[str] = []
    candidates: list[tuple[str, Path]] = []
    if data_dir is not None:
        candidates.append(("--data", Path(data_dir)))
    if os.environ.get(ENV_VAR):
        candidates.append((f"${ENV_VAR}", Path(os.environ[ENV_VAR])))
    candidates.append(("user cache", cache_dir))
    for label, folder in candidates:
        if _has_all(folder, looked, label):
            return _read_folder(folder)
        if not looked or not looked[-1].startswith(f"{label}: {folder} (cannot"):
            looked.append(f"{label}: {folder}" + ("" if _is_dir(folder) else " (no such folder)"))
        if label == "--data":  # an explicit folder that lacks the files is the user's mistake
            raise MnistError(_not_found_message(looked, "--data was given but lacks the files"))
    try:
        found = keras_npz.is_file()
    except OSError:
        found = False
    if found:
        return _read_npz(keras_npz)
    looked.append(f"Keras cache: {keras_npz}")
    if not mirrors:
        raise MnistError(_not_found_message(looked, "no copy found; downloading was not allowed",
                                            downloaded=False))
    errors = _download(cache_dir, mirrors)
    if not errors:
        return _read_folder(cache_dir)
    looked += [f"download: {e}" for e in errors]
    raise MnistError(_not_found_message(looked, "no copy found and the download failed"))


def _not_found_message(looked: list[str], why: str, downloaded: bool = True) -> str:
    names = ", ".join(f"{n}[.gz]" for n in FILES.values())
    fix = (f"Provide the four IDX files ({names}) in a folder and pass --data DIR or set "
           f"{ENV_VAR}=DIR")
    fix += (", or retry the download when the network is back (make data)." if downloaded
            else ", or download them once with `make data` (into the user cache).")
    return f"MNIST not found ({why}). Looked in:\n  - " + "\n  - ".join(looked) + "\n" + fix


def _is_dir(folder: Path) -> bool:
    try:
        return folder.is_dir()
    except OSError:
        return False


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _has_all(folder: Path, looked: list[str] | None = None, label: str = "") -> bool:
    """Whether `folder` holds the four files; a folder that cannot be looked into (no
    permission) counts as not having them, and is noted in `looked`."""
    try:
        return folder.is_dir() and all(_find(folder, n) is not None for n in FILES.values())
    except OSError as e:
        if looked is not None:
            looked.append(f"{label}: {folder} (cannot look inside: {e.strerror or e})")
        return False


def _read_bytes(path: Path) -> bytes:
    """A file's bytes, a .gz decompressed; never more than its MNIST file's size (bombs)."""
    size = SIZES.get(path.name.removesuffix(".gz"), max(SIZES.values()))
    try:
        if path.stat().st_size > size + 1024 * 1024:
            raise MnistError(f"{path}: {path.stat().st_size:,} bytes, larger than MNIST's "
                             f"{size:,}; not the expected file")
        return _gunzip(path.read_bytes(), size) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as e:
        raise MnistError(f"{path}: cannot read ({e}); delete it and provide a fresh copy") from None
    except MnistError as e:
        raise MnistError(f"{path}: {e}; delete it and provide a fresh copy") from None


def _read_folder(folder: Path) -> Mnist:
    arrays = {}
    for key, name in FILES.items():
        path = _find(folder, name)
        if path is None:
            raise MnistError(f"{folder}: {name}[.gz] is missing")
        array = parse_idx(_read_bytes(path), path)
        want_images = key.endswith("images")
        if array.shape[1:] != ((28, 28) if want_images else ()):
            kind = "28x28 images" if want_images else "labels"
            raise MnistError(f"{path}: holds an array of shape {array.shape}, expected {kind}")
        if len(array) == 0:
            raise MnistError(f"{path}: holds no {'images' if want_images else 'labels'}")
        arrays[key] = array
    for split in ("train", "test"):
        n_img, n_lab = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if n_img != n_lab:
            raise MnistError(f"{folder}: {split} set has {n_img} images but {n_lab} labels")
    return Mnist(**arrays)


NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _read_npz(path: Path) -> Mnist:
    """Keras' mnist.npz: the four arrays, of MNIST's shapes and uint8, or MnistError."""
    try:
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as z:  # sizes as stated, before unpacking any
            if sum(i.file_size for i in z.infolist()) > sum(SIZES.values()) + 1024 * 1024:
                raise MnistError("it unpacks to more than MNIST's size")
        with np.load(io.BytesIO(data), allow_pickle=False) as f:  # numpy leaks a bad zip's file
            arrays = {k: f[k] for k in NPZ_KEYS}
    except MnistError as e:
        raise MnistError(f"{path}: not a Keras mnist.npz ({e})") from None
    except (OSError, KeyError, ValueError, TypeError, EOFError, zipfile.BadZipFile) as e:
        raise MnistError(f"{path}: not a readable Keras mnist.npz ({type(e).__name__}: {e})") from None
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if (x.dtype != np.uint8 or y.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28)
                or y.shape != (len(x),) or not len(x) or y.max() > 9):
            raise MnistError(f"{path}: x_{split} is {x.dtype} {x.shape} and y_{split} {y.dtype} "
                             f"{y.shape}; expected uint8 (N, 28, 28) images and N uint8 labels 0-9")
    return Mnist(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])


def parse_idx(data: bytes, source: Path | str = "<bytes>") -> npt.NDArray[np.uint8]:
    """Parse an uncompressed IDX file of images (magic 2051) or labels (magic 2049)."""
    if len(data) < 8:
        raise MnistError(f"{source}: {len(data)} bytes is too short for an IDX file")
    magic, count = struct.unpack(">II", data[:8])
    if magic == _IMAGES_MAGIC:
        if len(data) < 16:
            raise MnistError(f"{source}: truncated IDX image header")
        rows, cols = struct.unpack(">II", data[8:16])
        shape, offset = (count, rows, cols), 16
    elif magic == _LABELS_MAGIC:
        shape, offset = (count,), 8
    else:
        raise MnistError(
            f"{source}: magic number {magic} is not an IDX image (2051) or label (2049) file"
        )
    expected = math.prod(shape)  # Python ints: a hostile header cannot overflow
    if len(data) - offset != expected:
        raise MnistError(
            f"{source}: header promises {expected} bytes of data for shape {shape}, "
            f"file holds {len(data) - offset} (truncated or corrupt)"
        )
    array = np.frombuffer(data, np.uint8, offset=offset).reshape(shape)
    if magic == _LABELS_MAGIC and array.size and int(array.max()) > 9:
        raise MnistError(f"{source}: label {int(array.max())} is not a digit 0-9")
    return array


def _download(cache_dir: Path, mirrors: tuple[str, ...]) -> list[str]:
    """Download every missing file into cache_dir; return the failures (empty on success)."""
    errors: list[str] = []
    try:
        created = not cache_dir.exists()
    except OSError as e:
        return [f"{cache_dir}: cannot use it as the download cache ({e.strerror or e})"]
    try:
        for name in FILES.values():
            errors = _download_one(cache_dir, name, mirrors)
            if errors:
                return errors
        return []
    finally:
        if created and cache_dir.is_dir() and not any(cache_dir.iterdir()):
            cache_dir.rmdir()  # a failed download leaves no empty folder behind


def _download_one(cache_dir: Path, name: str, mirrors: tuple[str, ...]) -> list[str]:
    """Download one file into cache_dir unless it is there; return each mirror's failure.

    Any failure (network, short body, oversize, bad gzip, checksum) moves on to the next mirror.
    A whole file must arrive within DOWNLOAD_DEADLINE seconds, and decompression stops at the
    file's known size, so a slow or hostile server can neither hang the loader nor fill memory.
    """
    if _find(cache_dir, name) is not None:
        return []
    errors: list[str] = []
    for mirror in mirrors:
        url = f"{mirror}{name}.gz"
        try:
            packed = _fetch(url, SIZES[name])
            raw = _gunzip(packed, SIZES[name])
        except (OSError, EOFError, ValueError, MnistError, http.client.HTTPException,
                zlib.error) as e:
            errors.append(f"{url}: {e or type(e).__name__}")
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if digest != SHA256[name]:
            errors.append(f"{url}: sha256 {digest[:12]}... does not match {SHA256[name][:12]}...")
            continue
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = cache_dir / f"{name}.gz.part"
            tmp.write_bytes(packed)
            tmp.replace(cache_dir / f"{name}.gz")
        except OSError as e:
            raise MnistError(f"cannot write {name}.gz into {cache_dir}: {e.strerror or e}") from None
        return []
    return errors or [f"{name}: no download mirrors to try"]


def _fetch(url: str, size: int) -> bytes:
    """The body at url, at most `size` bytes (a gzip of MNIST is smaller than its contents)."""
    deadline = time.monotonic() + DOWNLOAD_DEADLINE
    parts, total = [], 0
    with urllib.request.urlopen(url, timeout=min(30.0, DOWNLOAD_DEADLINE)) as response:
        while chunk := response.read1(1 << 16):  # read1: returns what has arrived, no waiting
            total += len(chunk)
            if total > size + 1024:
                raise MnistError(f"more than {size + 1024} bytes: not the expected file")
            if time.monotonic() > deadline:
                raise MnistError(f"not complete after {DOWNLOAD_DEADLINE:.0f} s ({total} bytes)")
            parts.append(chunk)
    return b"".join(parts)


def _gunzip(packed: bytes, size: int) -> bytes:
    """Decompress a gzip stream, refusing to produce more than `size` bytes (gzip bombs)."""
    inflater = zlib.decompressobj(wbits=31)
    raw = inflater.decompress(packed, size + 1)
    if len(raw) > size or inflater.unconsumed_tail:
        raise MnistError(f"decompresses to more than the expected {size} bytes")
    if not inflater.eof:
        raise MnistError("truncated gzip stream")
    return raw


def main(argv: list[str] | None = None) -> int:
    """`python -m training.mnist` (`make data`): make sure MNIST is available, downloading and
    verifying it into the user cache if no copy is found."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.mnist", description=main.__doc__)
    parser.add_argument("--cache", type=Path, default=CACHE_DIR,
                        help=f"where downloads go (default {CACHE_DIR})")
    args = parser.parse_args(argv)
    try:
        m = load_mnist(cache_dir=args.cache)
    except MnistError as e:
        print(f"error: {e}")
        return 1
    print(f"MNIST ready: {len(m.train_images)} training and {len(m.test_images)} test images "
          f"(sha256 verified on download; found in the first place listed in training/mnist.py)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
