"""Held-out evaluation: clip- and window-level accuracy, per-genre scores, confusion matrix, curves.

Evaluation always goes through :class:`~musicxai.model.classifier.GenreClassifier`, the serving code path,
so the reported numbers are the numbers the service delivers.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from musicxai.model.classifier import GenreClassifier
from training.dataset import WindowSet


@dataclass
class Evaluation:
    genres: tuple[str, ...]
    clip_accuracy: float
    window_accuracy: float
    confusion: np.ndarray  # clip level, rows = true genre
    per_genre: dict[str, dict[str, float]]
    tracks: int
    windows: int

    def metrics(self) -> dict:
        return {
            "clip_accuracy": self.clip_accuracy,
            "window_accuracy": self.window_accuracy,
            "tracks": self.tracks,
            "windows": self.windows,
            "per_genre": self.per_genre,
        }


def evaluate(classifier: GenreClassifier, data: WindowSet, *, batch: int = 1024) -> Evaluation:
    """Score held-out windows; a clip's prediction is the mean of its windows' probabilities."""
    probs = np.concatenate(
        [classifier.window_probabilities(data.windows[i : i + batch]) for i in range(0, len(data.windows), batch)]
    )
    n_tracks, n_genres = len(data.tracks), len(classifier.genres)
    clip_probs = np.zeros((n_tracks, n_genres))
    np.add.at(clip_probs, data.track_ids, probs)
    clip_probs /= np.bincount(data.track_ids, minlength=n_tracks)[:, None]
    truth = data.track_labels
    clip_pred = clip_probs.argmax(axis=1)
    labels = list(range(n_genres))
    precision, recall, f1, support = precision_recall_fscore_support(truth, clip_pred, labels=labels, zero_division=0)
    per_genre = {
        g: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for g, p, r, f, s in zip(classifier.genres, precision, recall, f1, support, strict=True)
    }
    return Evaluation(
        genres=classifier.genres,
        clip_accuracy=float((clip_pred == truth).mean()),
        window_accuracy=float((probs.argmax(axis=1) == data.labels).mean()),
        confusion=confusion_matrix(truth, clip_pred, labels=labels),
        per_genre=per_genre,
        tracks=n_tracks,
        windows=len(data.windows),
    )


def write_evaluation(out_dir: Path, result: Evaluation, history: dict[str, list[float]] | None = None) -> None:
    """Write ``confusion_matrix.{csv,png}``, ``per_genre.csv`` and ``training_curves.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "confusion_matrix.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["true \\ predicted", *result.genres])
        for genre, row in zip(result.genres, result.confusion, strict=True):
            writer.writerow([genre, *row.tolist()])
    with open(out_dir / "per_genre.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["genre", "precision", "recall", "f1", "support"])
        for genre, s in result.per_genre.items():
            writer.writerow([genre, f"{s['precision']:.4f}", f"{s['recall']:.4f}", f"{s['f1']:.4f}", s["support"]])
    fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
    plot_confusion(result, ax=ax)
    fig.savefig(out_dir / "confusion_matrix.png", dpi=110)
    plt.close(fig)
    if history:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
        plot_history(history, axes=axes)
        fig.savefig(out_dir / "training_curves.png", dpi=110)
        plt.close(fig)


def plot_confusion(result: Evaluation, *, ax=None):
    ax = ax or plt.gca()
    image = ax.imshow(result.confusion, cmap="Blues")
    ticks = np.arange(len(result.genres))
    ax.set_xticks(ticks, result.genres, rotation=45, ha="right")
    ax.set_yticks(ticks, result.genres)
    ax.set_xlabel("predicted genre")
    ax.set_ylabel("true genre")
    ax.set_title(f"Held-out tracks: clip accuracy {result.clip_accuracy:.3f} (n={result.tracks})")
    threshold = result.confusion.max() / 2 if result.confusion.size else 0
    for (i, j), count in np.ndenumerate(result.confusion):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", color="white" if count > threshold else "black")
    return image


def plot_history(history: dict[str, list[float]], *, axes):
    for ax, key in zip(axes, ("loss", "accuracy"), strict=True):
        ax.plot(history.get(key, []), label=f"train {key}")
        ax.plot(history.get(f"val_{key}", []), label=f"validation {key}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend()
        ax.grid(alpha=0.3)
    return axes
