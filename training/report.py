"""Plots for the model card: learning curves, confusion matrix, misclassified test digits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def write_plots(report: dict[str, Any], images: np.ndarray, labels: np.ndarray,
                probabilities: np.ndarray, out: Path) -> None:
    name = report["model"]
    h = report["history"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    epochs = np.arange(1, len(h["loss"]) + 1)
    ax1.plot(epochs, h["loss"], label="train (canvas-augmented)")
    ax1.plot(epochs, h["val_loss"], label="validation (canvas renderings)")
    ax1.set(xlabel="epoch", ylabel="loss", yscale="log", title=f"{name}: loss")
    ax2.plot(epochs, 100 * np.array(h["accuracy"]), label="train (canvas-augmented)")
    ax2.plot(epochs, 100 * np.array(h["val_accuracy"]), label="validation (canvas renderings)")
    ax2.set(xlabel="epoch", ylabel="accuracy %", title=f"{name}: accuracy", ylim=(95, 100))
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / f"{name}_curves.png", dpi=100)
    plt.close(fig)

    matrix = np.array(report["confusion"])
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(np.log1p(matrix), cmap="Blues")
    for i in range(10):
        for j in range(10):
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if i == j else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
           title=f"{name}: MNIST test confusion")
    fig.tight_layout()
    fig.savefig(out / f"{name}_confusion.png", dpi=100)
    plt.close(fig)

    predicted = probabilities.argmax(1)
    wrong = np.flatnonzero(predicted != labels)[:60]
    cols = 10
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.0, rows * 1.2), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong, strict=False):
        ax.imshow(images[i], cmap="gray")
        ax.set_title(f"{labels[i]}→{predicted[i]}", fontsize=8)
    fig.suptitle(f"{name}: misclassified MNIST test digits (true→predicted)", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / f"{name}_errors.png", dpi=100)
    plt.close(fig)
