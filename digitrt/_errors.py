"""The exceptions digitrt raises. Everything it raises on purpose is a DigitrtError."""


class DigitrtError(Exception):
    """Base class of every error digitrt raises on purpose."""


class ImageError(DigitrtError, ValueError):
    """The input is not an image digitrt can read; the message says what was received."""


class ModelError(DigitrtError):
    """A model file is missing, corrupt or does not have digitrt's input and output."""


class ArgumentTypeError(DigitrtError, TypeError):
    """An argument has the wrong type; the message names it, what was given and what is accepted."""


class ArgumentValueError(DigitrtError, ValueError):
    """An argument is out of its range; the message names it, what was given and the range."""


def check_int(name: str, value: object, low: int, high: int) -> int:
    """`value` as an int in [low, high], or ArgumentTypeError / ArgumentValueError saying why."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ArgumentTypeError(f"{name} must be an int from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise ArgumentValueError(f"{name} must be from {low} to {high}, got {value}")
    return value
