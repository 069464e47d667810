"""The image formats digitrt reads: one table for the library, the CLI, Ray, the server and the
window (cheap to import: no NumPy, no OpenCV)."""

from __future__ import annotations

# format -> (its file suffixes, its MIME type)
_TABLE = {"PNG": ((".png",), "image/png"), "JPEG": ((".jpg", ".jpeg"), "image/jpeg"),
          "BMP": ((".bmp",), "image/bmp")}
IMAGE_SUFFIXES: tuple[str, ...] = tuple(s for suffixes, _ in _TABLE.values() for s in suffixes)
IMAGE_TYPES: tuple[str, ...] = tuple(mime for _, mime in _TABLE.values())
FORMATS = ", ".join(list(_TABLE)[:-1]) + " or " + list(_TABLE)[-1]  # "PNG, JPEG or BMP"
