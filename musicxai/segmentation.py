"""Interpretable segments of a clip's whole log-mel spectrogram.

A segmentation splits the (n_mels, t) spectrogram into k components. Switching a component off
replaces its share of every cell's power by the baseline's; with hard segments (temporal, spectral,
grid, superpixel) that is ``np.where(on[labels], S, baseline)``, with the soft harmonic/percussive
``sources`` segments each cell is a mix. All segmentations answer the same questions:
``compose`` (masks -> perturbed log-mels), ``components_in`` (which components can change a frame
range: the locality the engine exploits) and ``weight_map`` (segment weights -> a heatmap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from musicxai.errors import ParameterError
from musicxai.features import FeatureSettings

SegmentationKind = Literal["temporal", "spectral", "time_frequency", "superpixel", "sources"]
SEGMENTATIONS: tuple[str, ...] = ("temporal", "spectral", "time_frequency", "superpixel", "sources")


@dataclass(frozen=True)
class Segment:
    """What a person needs to read a segment: where it lies in time and frequency, and its name."""

    index: int
    name: str
    start_s: float
    end_s: float
    low_hz: float
    high_hz: float
    component: str = "all"

    def as_dict(self) -> dict:
        return {
            "index": self.index,
            "name": self.name,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "low_hz": round(self.low_hz, 1),
            "high_hz": round(self.high_hz, 1),
            "component": self.component,
        }


class Segmentation(Protocol):
    kind: str
    segments: list[Segment]
    n_frames: int

    @property
    def k(self) -> int: ...

    def compose(self, Z: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Z [shape=(n, k)] bool -> perturbed log-mel dB of frames [start, stop) [shape=(n, n_mels, stop-start)]."""
        ...

    def components_in(self, start: int, stop: int) -> np.ndarray:
        """Sorted indices of the components that can change frames [start, stop)."""
        ...

    def weight_map(self, weights: np.ndarray) -> np.ndarray:
        """[shape=(k,)] -> [shape=(n_mels, t)]: each cell gets the weights of the components it holds."""
        ...

    def on_mask(self, on: np.ndarray) -> np.ndarray:
        """[shape=(k,)] bool -> [shape=(n_mels, t)] in [0, 1]: how much of each cell is switched on."""
        ...


class _Counts:
    """What every segmentation derives from its segment list and spectrogram."""

    segments: list[Segment]
    S: np.ndarray

    @property
    def k(self) -> int:
        return len(self.segments)

    @property
    def n_frames(self) -> int:
        return self.S.shape[1]


@dataclass
class LabelSegmentation(_Counts):
    """Hard segments: every cell belongs to exactly one segment (a 0-based label map)."""

    kind: str
    S: np.ndarray  # [shape=(n_mels, t)] dB
    baseline: np.ndarray  # [shape=(n_mels, t)] dB
    labels: np.ndarray  # [shape=(n_mels, t)] int
    segments: list[Segment]

    def __post_init__(self) -> None:
        if self.labels.shape != self.S.shape or self.baseline.shape != self.S.shape:
            raise ParameterError(f"labels {self.labels.shape} and baseline must match the spectrogram {self.S.shape}")
        k = len(self.segments)
        if self.labels.min() < 0 or self.labels.max() != k - 1:
            raise ParameterError(f"labels must cover 0..{k - 1}")
        # per-frame presence table, so components_in is a fast OR over frames
        present = np.zeros((self.S.shape[1], k), dtype=bool)
        present[np.arange(self.S.shape[1])[None, :].repeat(self.S.shape[0], 0), self.labels] = True
        self._present = present

    def compose(self, Z: np.ndarray, start: int, stop: int) -> np.ndarray:
        on = Z[:, self.labels[:, start:stop]]  # (n, n_mels, len) gather
        return np.where(on, self.S[None, :, start:stop], self.baseline[None, :, start:stop])

    def components_in(self, start: int, stop: int) -> np.ndarray:
        return np.flatnonzero(self._present[start:stop].any(axis=0))

    def weight_map(self, weights: np.ndarray) -> np.ndarray:
        return np.asarray(weights, dtype=np.float64)[self.labels]

    def on_mask(self, on: np.ndarray) -> np.ndarray:
        return np.asarray(on, dtype=np.float64)[self.labels]


@dataclass
class SourceSegmentation(_Counts):
    """Soft segments: harmonic / percussive parts (librosa HPSS) × time segments, as in audioLIME.

    ``shares[c]`` is the fraction of each cell's mel power that component ``c`` holds; a switched-off
    (component, time segment) gives its share of the cell to the baseline instead.
    """

    kind: str
    S: np.ndarray  # [shape=(n_mels, t)] the bundle's log-mel features
    baseline: np.ndarray  # [shape=(n_mels, t)]
    shares: np.ndarray  # [shape=(n_components, n_mels, t)], sums to 1 over components
    time_labels: np.ndarray  # [shape=(t,)] time-segment index of each frame
    segments: list[Segment]
    settings: FeatureSettings

    def __post_init__(self) -> None:
        self._power = self.settings.to_power(self.S.astype(np.float64))
        self._base_power = self.settings.to_power(self.baseline.astype(np.float64))
        self.n_time = int(self.time_labels.max()) + 1
        if len(self.segments) != self.shares.shape[0] * self.n_time:
            raise ParameterError("sources: one segment per (component, time segment) is expected")

    def _columns(self, start: int, stop: int) -> np.ndarray:
        """[shape=(n_components, stop-start)] segment index of each component at each frame."""
        comps = np.arange(self.shares.shape[0])[:, None]
        return comps * self.n_time + self.time_labels[None, start:stop]

    def compose(self, Z: np.ndarray, start: int, stop: int) -> np.ndarray:
        on = Z[:, self._columns(start, stop)].astype(np.float64)  # (n, C, len)
        power = self._power[:, start:stop]
        base = self._base_power[:, start:stop]
        shares = self.shares[:, :, start:stop]  # (C, n_mels, len)
        mixed = np.einsum("ncl,cml->nml", on, shares) * power + np.einsum("ncl,cml->nml", 1.0 - on, shares) * base
        return self.settings.from_power(mixed).astype(np.float32)

    def components_in(self, start: int, stop: int) -> np.ndarray:
        return np.unique(self._columns(start, stop))

    def weight_map(self, weights: np.ndarray) -> np.ndarray:
        w = np.asarray(weights, dtype=np.float64)[self._columns(0, self.n_frames)]  # (C, t)
        return np.einsum("cmt,ct->mt", self.shares, w)

    def on_mask(self, on: np.ndarray) -> np.ndarray:
        return self.weight_map(np.asarray(on, dtype=np.float64))


def baseline_fill(S: np.ndarray, kind: str = "min", *, rng: np.random.Generator | None = None) -> np.ndarray:
    """What a switched-off segment becomes [shape=S.shape].

    ``min``: the clip's own quietest level everywhere (silence relative to the clip); ``mean``: each
    band's mean level over the clip; ``noise``: Gaussian noise with each band's mean and spread.
    """
    if kind == "min":
        return np.full_like(S, S.min())
    band_mean = S.mean(axis=1, keepdims=True)
    if kind == "mean":
        return np.broadcast_to(band_mean, S.shape).astype(S.dtype).copy()
    if kind == "noise":
        rng = rng if rng is not None else np.random.default_rng(0)
        band_std = S.std(axis=1, keepdims=True)
        return (band_mean + band_std * rng.standard_normal(S.shape)).astype(S.dtype)
    raise ParameterError(f"baseline={kind!r} must be one of 'min', 'mean', 'noise'")


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


def _segment(index, name, settings, t0, t1, m0, m1, component="all") -> Segment:
    """Frames [t0, t1) and mel bands m0..m1; Hz from the lower foot of m0 to the upper foot of m1."""
    edges_hz = settings.mel_band_edges()
    return Segment(
        index=index,
        name=name,
        start_s=t0 * settings.frame_seconds,
        end_s=t1 * settings.frame_seconds,
        low_hz=float(edges_hz[m0]),
        high_hz=float(edges_hz[m1 + 2]),  # the upper foot of the last band's mel triangle
        component=component,
    )


def grid_segmentation(
    S: np.ndarray,
    baseline: np.ndarray,
    settings: FeatureSettings,
    *,
    segment_seconds: float | None,
    n_bands: int,
    kind: str,
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
    segments = []
    for ti in range(len(t_edges) - 1):
        for mi in range(n_bands):
            t0, t1, m0, m1 = t_edges[ti], t_edges[ti + 1], m_edges[mi], m_edges[mi + 1] - 1
            seg = _segment(len(segments), "", settings, t0, t1, m0, m1)
            name = f"{seg.start_s:.1f}-{seg.end_s:.1f} s, {seg.low_hz:.0f}-{seg.high_hz:.0f} Hz"
            segments.append(Segment(**{**seg.__dict__, "name": name}))
    return LabelSegmentation(kind, S, baseline, labels, segments)


def superpixel_segmentation(
    S: np.ndarray,
    baseline: np.ndarray,
    settings: FeatureSettings,
    *,
    n_segments: int = 150,
    compactness: float = 0.1,
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
        seg = _segment(i, "", settings, frames.min(), frames.max() + 1, mels.min(), mels.max())
        name = f"region {i}: {seg.start_s:.1f}-{seg.end_s:.1f} s, {seg.low_hz:.0f}-{seg.high_hz:.0f} Hz"
        segments.append(Segment(**{**seg.__dict__, "name": name}))
    return LabelSegmentation("superpixel", S, baseline, labels, segments)


def source_segmentation(
    y: np.ndarray,
    S: np.ndarray,
    baseline: np.ndarray,
    settings: FeatureSettings,
    *,
    segment_seconds: float = 3.0,
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
    names = ("harmonic", "percussive")
    segments = []
    for c, comp in enumerate(names):
        for ti in range(len(t_edges) - 1):
            seg = _segment(
                c * (len(t_edges) - 1) + ti, "", settings, t_edges[ti], t_edges[ti + 1], 0, S.shape[0] - 1, comp
            )
            segments.append(Segment(**{**seg.__dict__, "name": f"{comp} {seg.start_s:.1f}-{seg.end_s:.1f} s"}))
    return SourceSegmentation("sources", S, baseline, shares, time_labels, segments, settings)


@dataclass(frozen=True)
class SegmentationParams:
    kind: str = "time_frequency"
    segment_seconds: float = 1.5
    n_bands: int = 8
    n_superpixels: int = 150


def segment_clip(
    y: np.ndarray, S: np.ndarray, baseline: np.ndarray, settings: FeatureSettings, params: SegmentationParams
) -> Segmentation:
    """Build the segmentation a request names."""
    if params.kind == "temporal":
        return grid_segmentation(
            S, baseline, settings, segment_seconds=params.segment_seconds, n_bands=1, kind="temporal"
        )
    if params.kind == "spectral":
        return grid_segmentation(S, baseline, settings, segment_seconds=None, n_bands=params.n_bands, kind="spectral")
    if params.kind == "time_frequency":
        return grid_segmentation(
            S, baseline, settings, segment_seconds=params.segment_seconds, n_bands=params.n_bands, kind="time_frequency"
        )
    if params.kind == "superpixel":
        return superpixel_segmentation(S, baseline, settings, n_segments=params.n_superpixels)
    if params.kind == "sources":
        return source_segmentation(y, S, baseline, settings, segment_seconds=params.segment_seconds)
    raise ParameterError(f"segmentation={params.kind!r} must be one of {', '.join(SEGMENTATIONS)}")
