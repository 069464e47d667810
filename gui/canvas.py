"""A Scribble-shaped drawing canvas: it owns a QImage and draws on it with a round pen."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PyQt6.QtCore import QPointF, QRect, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PyQt6.QtWidgets import QWidget

CANVAS_SIZE = 280  # logical pixels, 10x MNIST_SIZE
NUMBER_WIDTH = 3 * CANVAS_SIZE  # the wide canvas of number mode
BACKGROUND = QColor(160, 160, 160)
INK = QColor(0, 0, 0)
MIN_PEN, MAX_PEN, DEFAULT_PEN = 6, 40, CANVAS_SIZE // 14
UNDO_LEVELS = 100


def qimage_to_array(image: QImage) -> npt.NDArray[np.uint8]:
    """View a Grayscale8 QImage as a (height, width) uint8 array without copying pixels.

    The view shares the image's memory: use it before the image changes again.
    """
    if image.format() != QImage.Format.Format_Grayscale8:
        image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    height, stride = image.height(), image.bytesPerLine()
    buffer = image.constBits()
    buffer.setsize(height * stride)
    rows = np.frombuffer(buffer, np.uint8).reshape(height, stride)
    return rows[:, : image.width()]


class DigitCanvas(QWidget):
    """A fixed-size canvas (square, or wide for numbers): grey paper, black round pen, undo,
    clear, and boxes with labels drawn over the paper (not into the drawing).

    Signals:
        changed: the drawing changed (emitted on every pen movement).
        strokeFinished: the left button was released after a stroke.
    """

    changed = pyqtSignal()
    strokeFinished = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(CANVAS_SIZE, CANVAS_SIZE)
        self.boxes: list[tuple[tuple[int, int, int, int], str, QColor]] = []
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.pen_width = DEFAULT_PEN
        self._undo: list[QImage] = []
        self._drawing = False
        self._last = QPointF()
        self._image = self._blank_image()

    # ------------------------------------------------------------ state
    def _blank_image(self) -> QImage:
        ratio = self.devicePixelRatioF()
        # HiDPI: as many pixels as the screen has
        image = QImage(round(self.width() * ratio), round(self.height() * ratio),
                       QImage.Format.Format_Grayscale8)
        image.setDevicePixelRatio(ratio)
        image.fill(BACKGROUND)
        return image

    def image(self) -> QImage:
        """The drawing (Grayscale8, at the screen's device pixel ratio)."""
        return self._image

    def array(self) -> npt.NDArray[np.uint8]:
        """The drawing as a uint8 array view (see qimage_to_array)."""
        return qimage_to_array(self._image)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def set_paper_width(self, width: int) -> None:
        """Square (CANVAS_SIZE) or wide (NUMBER_WIDTH) paper; the drawing and its undo steps
        are wiped (they belong to the other paper)."""
        if width != self.width():
            self._undo.clear()
            self.setFixedSize(width, CANVAS_SIZE)
            self._image = self._blank_image()
            self.set_boxes([])
            self.changed.emit()

    def set_boxes(self, boxes: list[tuple[tuple[int, int, int, int], str, QColor]]) -> None:
        """Outline each (x, y, w, h) box (in the drawing's pixels) and write its label above it."""
        self.boxes = boxes
        self.update()

    def set_pen_width(self, width: int) -> None:
        self.pen_width = max(MIN_PEN, min(MAX_PEN, int(width)))

    def clear(self) -> None:
        """Wipe the canvas (undoable)."""
        self._push_undo()
        self._image = self._blank_image()
        self.update()
        self.changed.emit()

    def undo(self) -> None:
        """Restore the canvas as it was before the last stroke or clear."""
        if self._undo:
            self._image = self._undo.pop()
            self.update()
            self.changed.emit()

    def load_image(self, image: QImage) -> None:
        """Show a picture on the canvas, scaled to fit on the paper (undoable)."""
        self._push_undo()
        canvas = self._blank_image()
        scaled = image.scaled(canvas.size(), Qt.AspectRatioMode.KeepAspectRatio,
                              Qt.TransformationMode.SmoothTransformation)
        scaled.setDevicePixelRatio(canvas.devicePixelRatio())
        painter = QPainter(canvas)
        painter.fillRect(canvas.rect(), QColor(255, 255, 255))
        offset = QPointF((self.width() - scaled.width() / canvas.devicePixelRatio()) / 2,
                         (self.height() - scaled.height() / canvas.devicePixelRatio()) / 2)
        painter.drawImage(offset, scaled)
        painter.end()
        self._image = canvas
        self.update()

    def _push_undo(self) -> None:
        self._undo.append(self._image.copy())
        del self._undo[:-UNDO_LEVELS]

    # ------------------------------------------------------------ events
    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        if event is not None and event.button() == Qt.MouseButton.LeftButton:
            self._push_undo()
            self._drawing = True
            self._last = event.position()
            self._draw_to(event.position())

    def mouseMoveEvent(self, event: QMouseEvent | None) -> None:
        if event is not None and self._drawing and event.buttons() & Qt.MouseButton.LeftButton:
            self._draw_to(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent | None) -> None:
        if event is not None and event.button() == Qt.MouseButton.LeftButton and self._drawing:
            self._draw_to(event.position())
            self._drawing = False
            self.strokeFinished.emit()

    def paintEvent(self, event: QPaintEvent | None) -> None:
        painter = QPainter(self)
        dirty = event.rect() if event is not None else self.rect()
        painter.drawImage(dirty, self._image, self._source_rect(dirty))
        ratio = self._image.devicePixelRatio()
        for (x, y, w, h), label, color in self.boxes:
            painter.setPen(QPen(color, 2))
            painter.drawRect(QRectF(x / ratio, y / ratio, w / ratio, h / ratio))
            painter.drawText(QPointF(x / ratio + 2, max(12.0, y / ratio - 4)), label)

    def _source_rect(self, rect: QRect) -> QRect:
        ratio = self._image.devicePixelRatio()
        return QRect(round(rect.x() * ratio), round(rect.y() * ratio),
                     round(rect.width() * ratio), round(rect.height() * ratio))

    def _draw_to(self, end: QPointF) -> None:
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(INK, self.pen_width, Qt.PenStyle.SolidLine,
                            Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        painter.drawLine(self._last, end)
        painter.end()
        # Repaint only the rectangle the segment touched (Scribble's dirty rectangle).
        pad = self.pen_width // 2 + 2
        dirty = QRect(self._last.toPoint(), end.toPoint()).normalized()
        self.update(dirty.adjusted(-pad, -pad, pad, pad))
        self._last = end
        self.changed.emit()

    def sizeHint(self) -> QSize:
        return QSize(self.width(), self.height())
