"""OpenCV, imported once, with digitrt's limit on decoded image size set before its first use."""

import os

# OpenCV reads this at its first decode: refuse decompression bombs inside the decoder too.
MAX_PIXELS = 40_000_000
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))

import cv2  # noqa: E402

__all__ = ["MAX_PIXELS", "cv2"]
