"""Pictures and files of an explanation: heatmap PNG, faithfulness PNG, WAV bytes.

Plot functions take an ``ax`` and return the artist (librosa.display's habit); the ``*_png``
helpers own a figure and return encoded bytes for storage. The Agg backend never opens a window.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import soundfile as sf
from matplotlib.colors import TwoSlopeNorm

from musicxai.features import FeatureSettings

HZ_TICKS = (0, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
DIVERGING = "RdBu_r"  # ColorBrewer RdBu: colour-blind safe; red = evidence for the genre


def _hz_axis(ax, settings: FeatureSettings) -> None:
    centres = settings.mel_frequencies()
    ticks, labels = [], []
    for hz in HZ_TICKS:
        if hz <= centres[-1]:
            ticks.append(int(np.abs(centres - hz).argmin()))
            labels.append(f"{hz // 1000}k" if hz >= 1000 else str(hz))
    ax.set_yticks(ticks, labels)
    ax.set_ylabel("frequency (Hz, mel scale)")


def plot_log_mel(S: np.ndarray, settings: FeatureSettings, *, ax=None):
    ax = ax or plt.gca()
    extent = (0.0, S.shape[1] * settings.frame_seconds, -0.5, S.shape[0] - 0.5)
    image = ax.imshow(S, origin="lower", aspect="auto", cmap="gray", extent=extent, interpolation="nearest")
    ax.set_xlabel("time (s)")
    _hz_axis(ax, settings)
    return image


def plot_attribution(S: np.ndarray, weight_map: np.ndarray, settings: FeatureSettings, *, ax=None):
    """Log-mel in grey with signed attributions on top; opacity grows with |weight|."""
    ax = ax or plt.gca()
    plot_log_mel(S, settings, ax=ax)
    limit = float(np.max(np.abs(weight_map))) or 1.0
    alpha = 0.15 + 0.65 * np.abs(weight_map) / limit
    extent = (0.0, S.shape[1] * settings.frame_seconds, -0.5, S.shape[0] - 0.5)
    return ax.imshow(
        weight_map,
        origin="lower",
        aspect="auto",
        cmap=DIVERGING,
        norm=TwoSlopeNorm(0.0, -limit, limit),
        alpha=alpha,
        extent=extent,
        interpolation="nearest",
    )


def heatmap_png(S: np.ndarray, weight_map: np.ndarray, settings: FeatureSettings, *, title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(11, 4.2), layout="constrained")
    overlay = plot_attribution(S, weight_map, settings, ax=ax)
    ax.set_title(title)
    fig.colorbar(overlay, ax=ax, label="attribution (red: for the genre, blue: against)", pad=0.01)
    return _png(fig)


def plot_faithfulness(curves: dict, *, ax=None):
    ax = ax or plt.gca()
    x = curves["fraction_removed"]
    lines = [
        ax.plot(x, curves["deletion"], color="#b2182b", label=f"deletion (AUC {curves['deletion_auc']:.3f})"),
        ax.plot(x, curves["random_deletion"], color="#b2182b", ls="--", label="deletion, random order"),
        ax.plot(x, curves["insertion"], color="#2166ac", label=f"insertion (AUC {curves['insertion_auc']:.3f})"),
        ax.plot(x, curves["random_insertion"], color="#2166ac", ls="--", label="insertion, random order"),
    ]
    ax.set_xlabel("fraction of segments removed / inserted (in ranked order)")
    ax.set_ylabel("probability of explained genre")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return lines


def faithfulness_png(curves: dict, *, title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    plot_faithfulness(curves, ax=ax)
    ax.set_title(title)
    return _png(fig)


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()
