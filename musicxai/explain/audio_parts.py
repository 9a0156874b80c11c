"""Perturbed audio for models that take audio: each segment's own share of the clip's waveform.

Switching segments off is done where the sonification does it: on the clip's STFT, multiplied by a
gain carried from the segment mask (:func:`~musicxai.explain.sonify.stft_gain`), inverted with the
clip's own phase. Every step is linear in the mask (the gain of a set of segments is the sum of
their gains, and the ISTFT is linear), so a perturbed clip is the sum of the kept segments' parts:
``part_s = istft(D · gain_s)``, computed once per clip over the frames a segment reaches. A
switched-off segment is silent, and the evidence audio a job returns is exactly a clip the model
was shown. Composing n masks is then a sum of short arrays, not n inverse STFTs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import librosa
import numpy as np

from musicxai.explain.segmentation import Segmentation
from musicxai.explain.sonify import SMOOTH_FRAMES, stft_gain
from musicxai.model.features import FeatureSettings

REACH_SIGMAS = 4.0  # scipy's gaussian_filter stops at 4 standard deviations: a gain is exactly 0 past it


@dataclass
class AudioParts:
    """``parts[s]`` is segment s's waveform from sample ``starts[s]`` on; the parts sum to the clip."""

    starts: np.ndarray  # [shape=(k,)] int
    parts: list[np.ndarray]  # k float32 arrays
    n_samples: int

    @classmethod
    def of(cls, y: np.ndarray, segmentation: Segmentation, settings: FeatureSettings) -> AudioParts:
        """Each of ``segmentation``'s segments' parts of ``y`` (samples at ``settings.sample_rate``)."""
        y = np.asarray(y, dtype=np.float32)
        hop, n_fft = settings.hop_length, settings.n_fft
        D = librosa.stft(y, n_fft=n_fft, hop_length=hop)
        t = D.shape[1]
        # frames a segment's gain reaches past its own (the smoothing) plus those the ISTFT overlaps
        margin = math.ceil(REACH_SIGMAS * SMOOTH_FRAMES) + 1 + math.ceil(n_fft / hop)
        starts, parts = np.zeros(segmentation.k, dtype=np.int64), []
        for s in range(segmentation.k):
            one = np.zeros(segmentation.k, dtype=bool)
            one[s] = True
            mask = _fit_frames(segmentation.on_mask(one), t)
            columns = np.flatnonzero(mask.any(axis=0))
            if not len(columns):
                parts.append(np.zeros(0, dtype=np.float32))
                continue
            lo, hi = max(0, columns[0] - margin), min(t, columns[-1] + 1 + margin)
            gain = stft_gain(mask[:, lo:hi], settings).astype(np.float32)
            # centred frames: frame j of the slice sits at sample (lo + j) * hop of the clip
            start = lo * hop
            length = len(y) - start if hi == t else (hi - lo - 1) * hop + 1  # the last frames reach the clip's end
            part = librosa.istft(D[:, lo:hi] * gain, n_fft=n_fft, hop_length=hop, length=length)
            starts[s] = start
            parts.append(part.astype(np.float32))
        return cls(starts, parts, len(y))

    def touching(self, a: int, b: int) -> np.ndarray:
        """Sorted indices of the segments whose part reaches samples [a, b)."""
        ends = self.starts + np.array([len(p) for p in self.parts])
        return np.flatnonzero((self.starts < b) & (ends > a) & (ends > self.starts))

    def compose(self, Z: np.ndarray, players: np.ndarray, a: int, b: int) -> np.ndarray:
        """Z [shape=(n, len(players))] bool over ``players`` -> the clip's samples [a, b) with only the
        kept segments sounding [shape=(n, b - a)] float32 (segments that are no player are off)."""
        out = np.zeros((len(Z), b - a), dtype=np.float32)
        for j, s in enumerate(players):
            part, start = self.parts[s], int(self.starts[s])
            lo, hi = max(a, start), min(b, start + len(part))
            if hi <= lo:
                continue
            kept = np.flatnonzero(Z[:, j])
            if len(kept):
                out[kept, lo - a : hi - a] += part[lo - start : hi - start]
        return out


def _fit_frames(mask: np.ndarray, t: int) -> np.ndarray:
    """A segmentation's mask on the STFT's frames (the edge frame repeated if it is short), as sonify does."""
    mask = mask[:, :t]
    if mask.shape[1] < t:
        mask = np.pad(mask, ((0, 0), (0, t - mask.shape[1])), mode="edge")
    return mask
