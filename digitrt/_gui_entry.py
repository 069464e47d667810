"""The `digitrt-gui` command: find the window package however digitrt was installed.

A wheel installs the repo's gui/ folder as `digitrt_gui`; an editable install of a checkout
leaves it where it is, as `gui` next to `digitrt`. This shim imports neither Qt nor NumPy itself.
"""

from __future__ import annotations

import importlib
import sys


def main() -> int:
    for package in ("digitrt_gui", "gui"):  # a wheel's name first, then an editable checkout's
        try:
            app = importlib.import_module(f"{package}.app")
        except ModuleNotFoundError as e:
            if e.name not in (package, f"{package}.app"):
                raise
            continue
        code: int = app.main()
        return code
    print("digitrt-gui: the window needs PyQt6: in a clone, pip install -e '.[gui]' (or make run); "
          "from a wheel, pip install 'digitrt-<version>-py3-none-any.whl[gui]'", file=sys.stderr)
    return 1
