"""The exceptions digitrt raises. Everything it raises on purpose is a DigitrtError."""


class DigitrtError(Exception):
    """Base class of every error digitrt raises on purpose."""


class ImageError(DigitrtError, ValueError):
    """The input is not an image digitrt can read; the message says what was received."""


class ModelError(DigitrtError):
    """A model file is missing, corrupt or does not have digitrt's input and output."""
