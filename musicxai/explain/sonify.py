"""Listenable explanations: the clip filtered down to its evidence, and the clip without it.

The mask lives on the mel grid the model saw; it is carried to STFT bins through the mel filterbank
(each bin takes the filterbank-weighted mean of the bands that cover it), smoothed so segment
edges do not click, multiplied onto the clip's own complex STFT and inverted with the original phase.
Evidence and complement add up to the clip.
"""

from __future__ import annotations

import librosa
import numpy as np
from scipy.ndimage import gaussian_filter

from musicxai.model.features import FeatureSettings

PEAK = 0.99
SMOOTH_BINS = 1.5  # the gain's Gaussian smoothing over STFT bins and frames, so segment edges do not click
SMOOTH_FRAMES = 2.0


def evidence_segments(weights: np.ndarray, *, top_k: int | None = None, threshold: float = 0.0) -> np.ndarray:
    """Segments that speak *for* the genre: weight above ``threshold``, at most the ``top_k`` largest."""
    weights = np.asarray(weights, dtype=float)
    on = weights > threshold
    if top_k is not None and on.sum() > top_k:
        keep = np.argsort(-weights, kind="stable")[:top_k]
        on = np.zeros_like(on)
        on[keep] = True
    return on


def stft_gain(
    mel_mask: np.ndarray,
    settings: FeatureSettings,
    *,
    smooth_bins: float = SMOOTH_BINS,
    smooth_frames: float = SMOOTH_FRAMES,
):
    """[shape=(n_mels, t)] mask in [0, 1] -> [shape=(1 + n_fft // 2, t)] gain in [0, 1]."""
    fb = settings.mel_filterbank()  # (n_mels, F)
    totals = fb.sum(axis=0)
    uncovered = totals <= 0
    if uncovered.any():  # DC and bins outside [fmin, fmax]: follow the nearest band
        freqs = librosa.fft_frequencies(sr=settings.sample_rate, n_fft=settings.n_fft)
        nearest = np.abs(settings.mel_frequencies()[:, None] - freqs[None, uncovered]).argmin(axis=0)
        fb = fb.copy()
        fb[nearest, np.flatnonzero(uncovered)] = 1.0
        totals = fb.sum(axis=0)
    gain = (fb / totals).T @ mel_mask
    return np.clip(gain_filter(gain, smooth_bins, smooth_frames), 0.0, 1.0)


def gain_filter(gain: np.ndarray, smooth_bins: float, smooth_frames: float) -> np.ndarray:
    return gaussian_filter(gain, sigma=(smooth_bins, smooth_frames), mode="nearest")


def sonify(y: np.ndarray, mel_mask: np.ndarray, settings: FeatureSettings) -> tuple[np.ndarray, np.ndarray]:
    """Evidence and complement audio, same length and rate as ``y``, peaks at most 0.99.

    y : np.ndarray [shape=(n,)] the decoded clip; mel_mask : [shape=(n_mels, t)] in [0, 1]
    """
    D = librosa.stft(y, n_fft=settings.n_fft, hop_length=settings.hop_length)
    mask = mel_mask[:, : D.shape[1]]
    if mask.shape[1] < D.shape[1]:
        mask = np.pad(mask, ((0, 0), (0, D.shape[1] - mask.shape[1])), mode="edge")
    gain = stft_gain(mask, settings).astype(D.real.dtype)  # stay in complex64
    evidence = librosa.istft(D * gain, n_fft=settings.n_fft, hop_length=settings.hop_length, length=len(y))
    # the ISTFT is linear and the STFT reconstructs y, so the complement is what the evidence leaves
    return _safe_peak(evidence), _safe_peak(y - evidence)


def _safe_peak(x: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    scale = PEAK / peak if peak > PEAK else 1.0
    return (x * scale).astype(np.float32)
