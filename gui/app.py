"""`digitrt-gui` / `python -m gui`: open the drawing window."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="digitrt-gui",
        description="Draw a digit and watch digitrt recognise it live. Press 0-9 to save your "
        "drawing as a labelled sample; train on your samples with "
        "`python -m training.train --custom SAMPLES --finetune`.",
    )
    parser.add_argument("--model", default=None,
                        help="cnn-int8 (the default), cnn, mlp, or a path to an .onnx model")
    parser.add_argument("--samples", type=Path, default=None,
                        help="where labelled samples are saved (default: the platform's "
                             "app-data folder, e.g. ~/.local/share/digitrt/samples)")
    return parser.parse_args(argv)


def no_display() -> bool:
    """True on Linux when neither X11 nor Wayland is reachable and no Qt platform was chosen."""
    return (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.samples is not None and not args.samples.is_dir():
        print(f"digitrt-gui: the samples folder {str(args.samples)!r} does not exist; create it "
              "(mkdir -p) or leave --samples out to use the default folder", file=sys.stderr)
        return 2
    if no_display():
        print("digitrt-gui: no display found (DISPLAY and WAYLAND_DISPLAY are not set); run it "
              "on a desktop, set DISPLAY, or use a virtual one: xvfb-run -a make run (in a clone) "
              "or xvfb-run -a python -m digitrt_gui (installed from a wheel)",
              file=sys.stderr)
        return 1
    try:
        from PyQt6.QtWidgets import QApplication
    except ImportError as e:
        print(f"digitrt-gui needs PyQt6: in a clone, pip install -e '.[gui]' (or make run); from "
              f"a wheel, pip install 'digitrt-<version>-py3-none-any.whl[gui]' ({e})", file=sys.stderr)
        return 1
    from .window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("digitrt")
    window = MainWindow(args.model, args.samples)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
