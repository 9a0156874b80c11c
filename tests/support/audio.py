"""Test clips: tone mixtures that differ by genre, and the one encoder that turns samples into file bytes."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

SR = 22050


def tone_clip(genre_index: int, track: int, seconds: float, sr: int = SR) -> np.ndarray:
    """A genre-specific chord plus a pulse train: trivially separable, enough for pipeline tests."""
    rng = np.random.default_rng(1000 * genre_index + track)
    t = np.arange(int(seconds * sr)) / sr
    base = 110.0 * 2 ** (genre_index / 4)
    y = sum(np.sin(2 * np.pi * base * k * t + rng.uniform(0, 6.28)) / k for k in (1, 2, 3))
    pulse = (np.sin(2 * np.pi * (1 + genre_index) * t) > 0.95).astype(float) * rng.normal(0, 1, t.size)
    return (0.25 * y + 0.1 * pulse + 0.01 * rng.normal(size=t.size)).astype(np.float32)


def encoded(samples: np.ndarray, sr: int = SR, *, format: str = "WAV", subtype: str = "PCM_16") -> bytes:
    """``samples`` as the bytes of an audio file (16-bit WAV unless told otherwise)."""
    buffer = io.BytesIO()
    sf.write(buffer, samples, sr, format=format, subtype=subtype)
    return buffer.getvalue()


def wav_bytes(seconds: float, *, seed: int = 0, sr: int = SR) -> bytes:
    """A 16-bit WAV of ``seconds``: 2 s tone clips of changing genres, so windows differ."""
    parts = [
        tone_clip((seed + i) % 10, seed, min(2.0, seconds - 2.0 * i), sr) for i in range(int(np.ceil(seconds / 2.0)))
    ]
    return encoded(np.concatenate(parts)[: int(seconds * sr)], sr)
