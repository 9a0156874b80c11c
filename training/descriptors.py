"""Clip descriptors a person understands, each with an edit that sets it on a spectrogram.

Global ALE plots vary one descriptor at a time and ask the real CNN what happens. That needs, for
every descriptor, a way to change a clip's log-mel *as little as possible* so the descriptor takes a
chosen value: shift a band's level, tilt the spectrum, sharpen or soften its peaks or its onsets,
or move one cepstral coefficient. Linear descriptors are set exactly; the others by a
one-dimensional root search on a monotone edit.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import librosa
import numpy as np
from scipy.fft import idct
from scipy.ndimage import uniform_filter1d
from scipy.optimize import brentq

from musicxai.errors import ParameterError
from musicxai.model.features import FeatureSettings

N_BANDS = 8
N_MFCC = 4


@dataclass(frozen=True)
class Descriptor:
    name: str
    label: str
    unit: str
    measure: Callable[[np.ndarray], float]  # S [shape=(n_mels, t)] dB -> value
    edit: Callable[[np.ndarray, float], np.ndarray]  # (S, target) -> S' with measure(S') ≈ target

    def as_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "unit": self.unit}


def _band_slices(n_mels: int) -> list[slice]:
    edges = np.linspace(0, n_mels, N_BANDS + 1).round().astype(int)
    return [slice(a, b) for a, b in itertools.pairwise(edges)]


def _shift(S: np.ndarray, rows: slice, delta: float) -> np.ndarray:
    out = S.copy()
    out[rows] += delta
    return out


def _solve(measure, make, target: float, lo: float, hi: float, what: str) -> float:
    """The parameter p in [lo, hi] with measure(make(p)) == target (measure monotone in p)."""
    f_lo, f_hi = measure(make(lo)) - target, measure(make(hi)) - target
    if f_lo * f_hi > 0:  # out of reach: take the nearer end, the edit saturates
        return lo if abs(f_lo) < abs(f_hi) else hi
    return brentq(lambda p: measure(make(p)) - target, lo, hi, xtol=1e-4, rtol=1e-6, maxiter=60)


def build_descriptors(settings: FeatureSettings) -> list[Descriptor]:
    """The descriptor set for one bundle's feature settings (band edges and Hz come from them)."""
    n_mels = settings.n_mels
    level_unit = "dB" if settings.is_db else "log10(10000·power + 1)"
    centres = settings.mel_frequencies()
    edges = settings.mel_band_edges()
    tilt = np.linspace(-0.5, 0.5, n_mels)[:, None] * (1.0 if settings.is_db else 0.1)  # per unit of tilt, low -> high
    descriptors = []

    for i, rows in enumerate(_band_slices(n_mels)):
        lo_hz, hi_hz = edges[rows.start], edges[rows.stop + 1]

        def measure_band(S, rows=rows):
            return float(S[rows].mean())

        def edit_band(S, target, rows=rows):
            return _shift(S, rows, target - float(S[rows].mean()))

        descriptors.append(
            Descriptor(
                f"band{i + 1}_level",
                f"mean level, band {i + 1} ({lo_hz:.0f}-{hi_hz:.0f} Hz)",
                level_unit,
                measure_band,
                edit_band,
            )
        )

    def loudness(S):
        return float(S.mean())

    descriptors.append(
        Descriptor("loudness", "mean level, all bands", level_unit, loudness, lambda S, t: S + (t - float(S.mean())))
    )

    def centroid(S):
        power = settings.to_power(S.astype(np.float64))
        return float(np.mean((centres[:, None] * power).sum(0) / np.maximum(power.sum(0), 1e-12)))

    def edit_centroid(S, target):
        alpha = _solve(centroid, lambda a: S + a * tilt, target, -120.0, 120.0, "centroid")
        return S + alpha * tilt

    descriptors.append(Descriptor("centroid", "spectral centroid", "Hz", centroid, edit_centroid))

    def flatness(S):
        log_power = np.log(np.maximum(settings.to_power(S.astype(np.float64)), 1e-30))
        log_power = log_power - log_power.max(axis=0, keepdims=True)
        geometric = np.exp(log_power.mean(axis=0))
        arithmetic = np.exp(log_power).mean(axis=0)
        return float(np.mean(geometric / np.maximum(arithmetic, 1e-12)))

    def edit_flatness(S, target):
        frame_mean = S.mean(axis=0, keepdims=True)
        beta = _solve(flatness, lambda b: frame_mean + b * (S - frame_mean), target, 0.0, 4.0, "flatness")
        return frame_mean + beta * (S - frame_mean)

    descriptors.append(
        Descriptor("flatness", "spectral flatness (0 tonal … 1 noise-like)", "ratio", flatness, edit_flatness)
    )

    def onset_strength(S):
        return float(librosa.onset.onset_strength(S=S, sr=settings.sample_rate, hop_length=settings.hop_length).mean())

    def edit_onsets(S, target):
        smooth = uniform_filter1d(S, size=9, axis=1, mode="nearest")
        gamma = _solve(onset_strength, lambda g: smooth + g * (S - smooth), target, 0.0, 5.0, "onsets")
        return smooth + gamma * (S - smooth)

    descriptors.append(
        Descriptor(
            "onset_strength", "onset strength (rhythmic attack)", f"{level_unit} per frame", onset_strength, edit_onsets
        )
    )

    for k in range(1, N_MFCC + 1):
        basis = idct(np.eye(n_mels)[k], type=2, norm="ortho")[:, None]

        def measure_mfcc(S, k=k):
            return float(librosa.feature.mfcc(S=S, n_mfcc=k + 1, dct_type=2, norm="ortho")[k].mean())

        def edit_mfcc(S, target, k=k, basis=basis):
            return S + (target - measure_mfcc(S, k)) * basis

        descriptors.append(Descriptor(f"mfcc{k}", f"MFCC {k} mean", level_unit, measure_mfcc, edit_mfcc))
    return descriptors


def descriptor_by_name(settings: FeatureSettings, name: str) -> Descriptor:
    for d in build_descriptors(settings):
        if d.name == name:
            return d
    raise ParameterError(f"descriptor={name!r} is not defined")
