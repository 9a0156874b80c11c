"""Shared fixtures: tiny GTZAN-layout data made by the tests themselves, and a 1-epoch bundle."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from musicxai.classifier import GenreClassifier
from musicxai.genres import GTZAN_GENRES

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SR = 22050


def process_alive(pid: int) -> bool:
    """Running or sleeping; a zombie (ended, not yet reaped by whoever adopted it) counts as ended."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def wait_until_ended(pids: list[int], timeout: float) -> bool:
    """Whether every process in ``pids`` has ended within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while any(process_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def tone_clip(genre_index: int, track: int, seconds: float, sr: int = SR) -> np.ndarray:
    """A genre-specific chord plus a pulse train: trivially separable, enough for pipeline tests."""
    rng = np.random.default_rng(1000 * genre_index + track)
    t = np.arange(int(seconds * sr)) / sr
    base = 110.0 * 2 ** (genre_index / 4)
    y = sum(np.sin(2 * np.pi * base * k * t + rng.uniform(0, 6.28)) / k for k in (1, 2, 3))
    pulse = (np.sin(2 * np.pi * (1 + genre_index) * t) > 0.95).astype(float) * rng.normal(0, 1, t.size)
    return (0.25 * y + 0.1 * pulse + 0.01 * rng.normal(size=t.size)).astype(np.float32)


def write_gtzan(root: Path, *, per_genre: int, seconds: float) -> Path:
    for g, genre in enumerate(GTZAN_GENRES):
        folder = root / "genres_original" / genre
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_genre):
            sf.write(folder / f"{genre}.{i:05d}.wav", tone_clip(g, i, seconds), SR, subtype="PCM_16")
    return root


@pytest.fixture(scope="session")
def tiny_gtzan(tmp_path_factory) -> Path:
    return write_gtzan(tmp_path_factory.mktemp("gtzan"), per_genre=5, seconds=4.0)


@pytest.fixture(scope="session")
def tiny_bundle(tiny_gtzan, tmp_path_factory) -> Path:
    """A real bundle from a 1-epoch training run on the tiny data, with ALE plots of 4 descriptors."""
    from musicxai.descriptors import build_descriptors
    from training.ale import compute_ale, held_out_spectrograms, write_ale
    from training.train import TrainConfig, train

    out = tmp_path_factory.mktemp("models") / "tiny"
    train(
        TrainConfig(
            data=tiny_gtzan,
            out=out,
            epochs=1,
            batch_size=16,
            seed=0,
            valid_fraction=0.2,
            test_fraction=0.2,
            verbose=0,
            workers=1,
        )
    )
    classifier = GenreClassifier(out)
    chosen = [
        d for d in build_descriptors(classifier.features) if d.name in ("band1_level", "centroid", "mfcc1", "flatness")
    ]
    spectrograms = held_out_spectrograms(out, tiny_gtzan, max_clips=None)
    curves, _ = compute_ale(classifier, spectrograms, bins=4, descriptors=chosen)
    write_ale(out / "ale", curves, meta={"bundle": out.name, "engine": "pyale", "bins": 4})
    return out


@pytest.fixture(scope="session")
def tiny_transfer_bundle(tiny_gtzan, tmp_path_factory) -> Path:
    """A music-transfer bundle (musicnn backbone, 16 kHz, 96 mels, log10 features) from 2 epochs."""
    from training.train import TrainConfig, train

    out = tmp_path_factory.mktemp("transfer") / "tiny-transfer"
    train(
        TrainConfig(
            data=tiny_gtzan,
            out=out,
            arch="music-vgg",
            pretrained_dir=Path(__file__).resolve().parents[1] / "models" / "pretrained",
            epochs=2,
            batch_size=16,
            seed=0,
            valid_fraction=0.2,
            test_fraction=0.2,
            verbose=0,
            workers=1,
        )
    )
    return out
