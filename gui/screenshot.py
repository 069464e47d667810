"""Render the window to a PNG (for the README), with a drawn digit or, with --number, a number
written in number mode:

    python -m gui.screenshot docs/gui.png
    python -m gui.screenshot --number docs/number_mode.png
"""

from __future__ import annotations

import math
import sys

from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QApplication

from .window import MainWindow

# A handwritten-looking 2, in canvas coordinates.
PATH = [(95, 90), (110, 72), (135, 63), (162, 66), (180, 82), (184, 104), (174, 130),
        (150, 158), (122, 186), (96, 212), (118, 212), (150, 211), (188, 210)]
# "2071" on the wide canvas: the 2 above, an oval 0 written across its tail, a crossed 7 (two
# strokes) and a flagged 1 whose flag runs into the 7 (the sequence model reads those pairs).
OVAL = [(int(120 + 45 * math.cos(a / 8 * math.pi)), int(140 - 75 * math.sin(a / 8 * math.pi)))
        for a in range(4, 21)]
NUMBER = [[(x - 20, y) for x, y in PATH], [(x + 70, y) for x, y in OVAL],
          [(330, 70), (410, 66), (355, 212)], [(340, 140), (400, 138)],
          [(420, 100), (460, 66), (458, 212)]]


def draw(window: MainWindow, path: list[tuple[int, int]]) -> None:
    """Draw a stroke with real mouse events."""
    canvas = window.canvas
    points = [QPoint(x, y) for x, y in path]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for p in points[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       points[-1])


def main(out: str, number: bool = False) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("digitrt")
    window = MainWindow()  # the default samples folder: shown, not written to
    window.show()
    QTest.qWaitForWindowExposed(window)
    if number:
        window.set_number_mode(True)
        for stroke in NUMBER:
            draw(window, stroke)
    else:
        draw(window, PATH)
    app.processEvents()
    window.grab().save(out)
    result = window.last_reading.text if number and window.last_reading else window.last_prediction
    print(f"{out}: read {result}, {window.last_latency_us:.0f} us")
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--number"]
    sys.exit(main(args[0] if args else "docs/gui.png", "--number" in sys.argv[1:]))
