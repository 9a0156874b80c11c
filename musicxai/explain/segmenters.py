"""Building a segmentation of a clip: time × band grids, SLIC superpixels, harmonic/percussive sources.

Every builder is a pure function of the clip's log-mel, its baseline and the bundle's feature
settings, and returns one of the :mod:`musicxai.explain.segmentation` types; :func:`segment_clip` builds
the one a request names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from musicxai.errors import ParameterError, choice
from musicxai.explain.segmentation import LabelSegmentation, Segment, SegmentationKind, SourceSegmentation
from musicxai.model.features import FeatureSettings

SEGMENT_SECONDS = 1.5  # the model's window hop, so time segments line up with the windows
N_BANDS = 8  # equal on the mel scale; fewer explain faster on a CPU, but rank less faithfully (README)
N_SUPERPIXELS = 150  # SLIC's target region count, as in the original notebooks' lime_image recipe
SUPERPIXEL_COMPACTNESS = 0.1
SOURCE_SEGMENT_SECONDS = 3.0  # sources: harmonic/percussive × segments of this length by default


def _time_edges(n_frames: int, frames_per_segment: int) -> np.ndarray:
    """Equal segments; a last remainder shorter than half a segment joins the one before it."""
    edges = np.arange(0, n_frames, frames_per_segment)
    if len(edges) > 1 and n_frames - edges[-1] < frames_per_segment / 2:
        edges = edges[:-1]
    return np.append(edges, n_frames)


def _band_edges(n_mels: int, n_bands: int) -> np.ndarray:
    """Equal split of the mel axis (so bands are equal on the mel scale)."""
    if not 1 <= n_bands <= n_mels:
        raise ParameterError(f"n_bands={n_bands} must be in [1, {n_mels}]")
    return np.linspace(0, n_mels, n_bands + 1).round().astype(int)


def _segment(index, settings, t0, t1, m0, m1, *, name, component="all") -> Segment:
    """Frames [t0, t1) and mel bands m0..m1; Hz from the lower foot of m0 to the upper foot of m1.

    ``name`` formats the bounds: ``name.format(start_s=…, end_s=…, low_hz=…, high_hz=…)``."""
    edges_hz = settings.mel_band_edges()
    bounds = {
        "start_s": t0 * settings.frame_seconds,
        "end_s": t1 * settings.frame_seconds,
        "low_hz": float(edges_hz[m0]),
        "high_hz": float(edges_hz[m1 + 2]),  # the upper foot of the last band's mel triangle
    }
    return Segment(index=index, name=name.format(**bounds), component=component, **bounds)


def grid_segmentation(
    S: np.ndarray,
    baseline: np.ndarray,
    settings: FeatureSettings,
    *,
    segment_seconds: float | None,
    n_bands: int,
    kind: SegmentationKind,
) -> LabelSegmentation:
    """Time × mel-band grid; ``segment_seconds=None`` means one time segment (pure spectral bands)."""
    n_mels, n_frames = S.shape
    if segment_seconds is not None and segment_seconds <= 0:
        raise ParameterError(f"segment_seconds={segment_seconds} must be positive")
    per_segment = n_frames if segment_seconds is None else max(1, round(segment_seconds / settings.frame_seconds))
    t_edges = _time_edges(n_frames, per_segment)
    m_edges = _band_edges(n_mels, n_bands)
    t_index = np.repeat(np.arange(len(t_edges) - 1), np.diff(t_edges))
    m_index = np.repeat(np.arange(len(m_edges) - 1), np.diff(m_edges))
    labels = t_index[None, :] * n_bands + m_index[:, None]
    name = "{start_s:.1f}-{end_s:.1f} s, {low_hz:.0f}-{high_hz:.0f} Hz"
    segments = [
        _segment(ti * n_bands + mi, settings, t_edges[ti], t_edges[ti + 1], m_edges[mi], m_edges[mi + 1] - 1, name=name)
        for ti in range(len(t_edges) - 1)
        for mi in range(n_bands)
    ]
    return LabelSegmentation(kind, S, baseline, labels, segments)


def superpixel_segmentation(
    S: np.ndarray,
    baseline: np.ndarray,
    settings: FeatureSettings,
    *,
    n_segments: int = N_SUPERPIXELS,
    compactness: float = SUPERPIXEL_COMPACTNESS,
) -> LabelSegmentation:
    """SLIC regions on the spectrogram image, like the lime_image recipe (scikit-image)."""
    from skimage.segmentation import slic

    image = (S - S.min()) / max(float(S.max() - S.min()), 1e-6)
    raw = slic(image, n_segments=n_segments, compactness=compactness, channel_axis=None, start_label=0)
    _, labels = np.unique(raw, return_inverse=True)
    labels = labels.reshape(S.shape)
    segments = []
    for i in range(labels.max() + 1):
        mels, frames = np.nonzero(labels == i)
        name = f"region {i}: " + "{start_s:.1f}-{end_s:.1f} s, {low_hz:.0f}-{high_hz:.0f} Hz"
        segments.append(_segment(i, settings, frames.min(), frames.max() + 1, mels.min(), mels.max(), name=name))
    return LabelSegmentation(SegmentationKind.superpixel, S, baseline, labels, segments)


def source_segmentation(
    y: np.ndarray,
    S: np.ndarray,
    baseline: np.ndarray,
    settings: FeatureSettings,
    *,
    segment_seconds: float = SOURCE_SEGMENT_SECONDS,
) -> SourceSegmentation:
    """Harmonic and percussive parts (librosa HPSS on the STFT) × equal time segments."""
    import librosa

    D = librosa.stft(y, n_fft=settings.n_fft, hop_length=settings.hop_length)
    harmonic, percussive = librosa.decompose.hpss(np.abs(D) ** 2)
    fb = settings.mel_filterbank()
    mel_parts = np.stack([fb @ harmonic, fb @ percussive])[:, :, : S.shape[1]]
    total = mel_parts.sum(axis=0, keepdims=True)
    shares = np.where(total > 0, mel_parts / np.maximum(total, 1e-30), 0.5)
    per_segment = max(1, round(segment_seconds / settings.frame_seconds))
    t_edges = _time_edges(S.shape[1], per_segment)
    time_labels = np.repeat(np.arange(len(t_edges) - 1), np.diff(t_edges))
    n_time, top_band = len(t_edges) - 1, S.shape[0] - 1
    segments = [
        _segment(
            c * n_time + ti,
            settings,
            t_edges[ti],
            t_edges[ti + 1],
            0,
            top_band,
            name=component + " {start_s:.1f}-{end_s:.1f} s",
            component=component,
        )
        for c, component in enumerate(("harmonic", "percussive"))
        for ti in range(n_time)
    ]
    return SourceSegmentation(SegmentationKind.sources, S, baseline, shares, time_labels, segments, settings)


@dataclass(frozen=True)
class SegmentationParams:
    """What decides a segmentation of a clip (hashable: part of the engine-cache key)."""

    kind: SegmentationKind = SegmentationKind.time_frequency
    segment_seconds: float = SEGMENT_SECONDS
    n_bands: int = N_BANDS
    n_superpixels: int = N_SUPERPIXELS


def segment_clip(
    y: np.ndarray, S: np.ndarray, baseline: np.ndarray, settings: FeatureSettings, params: SegmentationParams
) -> LabelSegmentation | SourceSegmentation:
    """Build the segmentation a request names."""
    kind = choice(SegmentationKind, params.kind, name="segmentation")
    if kind is SegmentationKind.temporal:
        return grid_segmentation(S, baseline, settings, segment_seconds=params.segment_seconds, n_bands=1, kind=kind)
    if kind is SegmentationKind.spectral:
        return grid_segmentation(S, baseline, settings, segment_seconds=None, n_bands=params.n_bands, kind=kind)
    if kind is SegmentationKind.time_frequency:
        return grid_segmentation(
            S, baseline, settings, segment_seconds=params.segment_seconds, n_bands=params.n_bands, kind=kind
        )
    if kind is SegmentationKind.superpixel:
        return superpixel_segmentation(S, baseline, settings, n_segments=params.n_superpixels)
    return source_segmentation(y, S, baseline, settings, segment_seconds=params.segment_seconds)
