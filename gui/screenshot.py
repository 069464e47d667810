"""Render the window with a drawn digit to a PNG (for the README): python -m gui.screenshot OUT."""

from __future__ import annotations

import sys

from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QApplication

from .window import MainWindow

# A handwritten-looking 2, in canvas coordinates.
PATH = [(95, 90), (110, 72), (135, 63), (162, 66), (180, 82), (184, 104), (174, 130),
        (150, 158), (122, 186), (96, 212), (118, 212), (150, 211), (188, 210)]


def draw(window: MainWindow, path: list[tuple[int, int]]) -> None:
    """Draw a stroke with real mouse events."""
    canvas = window.canvas
    points = [QPoint(x, y) for x, y in path]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for p in points[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       points[-1])


def main(out: str) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("digitrt")
    window = MainWindow()  # the default samples folder: shown, not written to
    window.show()
    QTest.qWaitForWindowExposed(window)
    draw(window, PATH)
    app.processEvents()
    window.grab().save(out)
    print(f"{out}: predicted {window.last_prediction}, {window.last_latency_us:.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/gui.png"))
