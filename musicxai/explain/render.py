"""Pictures and files of an explanation: heatmap PNG, faithfulness PNG, WAV bytes.

Plot functions take an ``ax`` and return the artist (librosa.display's habit); the ``*_png``
helpers own a figure (``matplotlib.figure.Figure``, not pyplot's global state, so a job may render
its pictures in parallel threads) and return encoded bytes. A bare ``Figure`` draws with the Agg
canvas and never opens a window, so no backend is chosen here for the whole process.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import soundfile as sf
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure

from musicxai.explain.faithfulness import FaithfulnessCurves
from musicxai.explain.genre_maps import GenreMaps, MapView
from musicxai.model.features import FeatureSettings

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


def plot_attribution(S: np.ndarray, weight_map: np.ndarray, settings: FeatureSettings, *, ax=None) -> ScalarMappable:
    """Log-mel in grey with signed attributions on top; opacity grows with |weight|.

    The two layers are blended here into one RGB image (one image for matplotlib to resample, not
    two with a per-pixel alpha). Returns the overlay's colour scale, for a colorbar.
    """
    ax = ax or Figure().subplots()
    limit = float(np.max(np.abs(weight_map))) or 1.0
    scale = ScalarMappable(norm=TwoSlopeNorm(0.0, -limit, limit), cmap=DIVERGING)
    grey = matplotlib.colormaps["gray"](Normalize(float(S.min()), float(S.max()))(S))[..., :3]
    alpha = (0.15 + 0.65 * np.abs(weight_map) / limit)[..., None]
    rgb = alpha * scale.to_rgba(weight_map)[..., :3] + (1.0 - alpha) * grey
    extent = (0.0, S.shape[1] * settings.frame_seconds, -0.5, S.shape[0] - 0.5)
    ax.imshow(rgb, origin="lower", aspect="auto", extent=extent, interpolation="nearest")
    ax.set_xlabel("time (s)")
    _hz_axis(ax, settings)
    return scale


def heatmap_png(S: np.ndarray, weight_map: np.ndarray, settings: FeatureSettings, *, title: str) -> bytes:
    fig = Figure(figsize=(11, 4.2))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.075, right=0.99, bottom=0.12, top=0.92)
    scale = plot_attribution(S, weight_map, settings, ax=ax)
    ax.set_title(title)
    fig.colorbar(scale, ax=ax, label="attribution (red: for the genre, blue: against)", pad=0.01)
    return _png(fig)


def plot_faithfulness(curves: FaithfulnessCurves, *, ax=None):
    ax = ax or Figure().subplots()
    x = curves.fraction_removed
    lines = [
        ax.plot(x, curves.deletion, color="#b2182b", label=f"deletion (AUC {curves.deletion_auc:.3f})"),
        ax.plot(x, curves.random_deletion, color="#b2182b", ls="--", label="deletion, random order"),
        ax.plot(x, curves.insertion, color="#2166ac", label=f"insertion (AUC {curves.insertion_auc:.3f})"),
        ax.plot(x, curves.random_insertion, color="#2166ac", ls="--", label="insertion, random order"),
    ]
    ax.set_xlabel("fraction of segments removed / inserted (in ranked order)")
    ax.set_ylabel("probability of explained genre")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return lines


def faithfulness_png(curves: FaithfulnessCurves, *, title: str) -> bytes:
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.92)
    plot_faithfulness(curves, ax=ax)
    ax.set_title(title)
    return _png(fig)


def genre_maps_png(maps: GenreMaps, view: MapView) -> bytes:
    """One panel per genre (mean share of the evidence per cell), on one colour scale shared by all."""
    genres = list(maps.genres)
    cols = min(5, max(1, len(genres)))
    rows = max(1, -(-len(genres) // cols))
    fig = Figure(figsize=(3.0 * cols + 1.2, 2.3 * rows + 0.8))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)).ravel()
    means = {g: np.asarray(maps.genres[g].views[view].mean) for g in genres}
    limit = max((float(np.abs(m).max()) for m in means.values()), default=0.0) or 1.0
    scale = ScalarMappable(norm=TwoSlopeNorm(0.0, -limit, limit), cmap=DIVERGING)
    labels = maps.rows[view]
    for ax, genre in zip(axes, genres, strict=False):
        ax.imshow(
            means[genre],
            origin="lower",
            aspect="auto",
            cmap=scale.cmap,
            norm=scale.norm,
            extent=(0, 1, -0.5, len(labels) - 0.5),
        )
        ax.set_title(f"{genre} · {maps.genres[genre].clips} clips", fontsize="medium")
        ax.set_yticks(range(len(labels)), labels if len(labels) <= 2 else [lb.split("–")[0] for lb in labels])
    for ax in axes[len(genres) :]:
        ax.set_axis_off()
    for ax in axes[-cols:]:
        ax.set_xlabel("relative time in the clip")
    what = "mel band (low edge, Hz)" if view is MapView.time_band else "source"
    fig.supylabel(what)
    fig.suptitle(f"What {maps.model} listens to, per genre · {maps.method.upper()} over {maps.clips} clips")
    fig.colorbar(scale, ax=axes.tolist(), label="share of the clip's attribution (red: for the genre)", shrink=0.9)
    return _png(fig)


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
