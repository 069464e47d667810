"""Numbers and names shared by the library, the CLI, Ray, the server and the window, in one place
(cheap to import: no NumPy, no OpenCV, so `digitrt --help` stays instant)."""

from __future__ import annotations

# The image formats digitrt reads: format -> (its file suffixes, its MIME type).
_TABLE = {"PNG": ((".png",), "image/png"), "JPEG": ((".jpg", ".jpeg"), "image/jpeg"),
          "BMP": ((".bmp",), "image/bmp")}
IMAGE_SUFFIXES: tuple[str, ...] = tuple(s for suffixes, _ in _TABLE.values() for s in suffixes)
IMAGE_TYPES: tuple[str, ...] = tuple(mime for _, mime in _TABLE.values())
FORMATS = ", ".join(list(_TABLE)[:-1]) + " or " + list(_TABLE)[-1]  # "PNG, JPEG or BMP"

# Images per model run in predict_batch, predict_iter, the CLI and Ray, and the most allowed.
DEFAULT_BATCH_SIZE = 256
MAX_BATCH_SIZE = 65_536
