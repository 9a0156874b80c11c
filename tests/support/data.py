"""The tiny GTZAN-layout data set the tests make themselves, and short seeded training runs on it."""

from __future__ import annotations

from pathlib import Path

import soundfile as sf

from tests.support.audio import SR, tone_clip
from training.genres import GTZAN_GENRES

ROOT = Path(__file__).resolve().parents[2]


def write_gtzan(root: Path, *, per_genre: int, seconds: float) -> Path:
    for g, genre in enumerate(GTZAN_GENRES):
        folder = root / "genres_original" / genre
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_genre):
            sf.write(folder / f"{genre}.{i:05d}.wav", tone_clip(g, i, seconds), SR, subtype="PCM_16")
    return root


def train_tiny(data: Path, out: Path, **config) -> Path:
    """A bundle from a short, seeded training run on the tiny data (20 % valid, 20 % test tracks)."""
    from training.train import TrainConfig, train

    defaults = {"batch_size": 16, "seed": 0, "valid_fraction": 0.2, "test_fraction": 0.2, "verbose": 0, "workers": 1}
    train(TrainConfig(data=data, out=out, **(defaults | config)))
    return out
