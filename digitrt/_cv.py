"""OpenCV, imported once, with digitrt's limit on decoded image size set before its first use."""

import os

# digitrt refuses images above MAX_PIXELS from their headers before decoding (_image.py); OpenCV
# also reads this at its first decode, a second line of defence when digitrt imports cv2 first.
MAX_PIXELS = 40_000_000
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))

import cv2  # noqa: E402

__all__ = ["MAX_PIXELS", "cv2"]
