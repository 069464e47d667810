"""The `digitrt-gui` command: find the window package however digitrt was installed.

A wheel installs the repo's gui/ folder as `digitrt_gui`; an editable install of a checkout
leaves it where it is, as `gui` next to `digitrt`. This shim imports neither Qt nor NumPy itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def main() -> int:
    run: Callable[[], int]
    try:
        from digitrt_gui.app import main as run  # type: ignore[import-not-found,no-redef]
    except ModuleNotFoundError as e:
        if e.name != "digitrt_gui":
            raise
        try:  # an editable install: the checkout's root is on sys.path
            from gui.app import main as run  # type: ignore[import-not-found,no-redef]
        except ModuleNotFoundError:
            print("digitrt-gui: the window is not installed; pip install 'digitrt[gui]'",
                  file=sys.stderr)
            return 1
    return run()
