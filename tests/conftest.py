"""Shared fixtures and helpers: tiny GTZAN-layout data made by the tests themselves, 1-epoch bundles,
WAV bytes, the problem-document check and process helpers."""

from __future__ import annotations

import io
import os
import socket
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from musicxai.model.classifier import GenreClassifier
from training.genres import GTZAN_GENRES

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SR = 22050
ROOT = Path(__file__).resolve().parents[1]


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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tone_clip(genre_index: int, track: int, seconds: float, sr: int = SR) -> np.ndarray:
    """A genre-specific chord plus a pulse train: trivially separable, enough for pipeline tests."""
    rng = np.random.default_rng(1000 * genre_index + track)
    t = np.arange(int(seconds * sr)) / sr
    base = 110.0 * 2 ** (genre_index / 4)
    y = sum(np.sin(2 * np.pi * base * k * t + rng.uniform(0, 6.28)) / k for k in (1, 2, 3))
    pulse = (np.sin(2 * np.pi * (1 + genre_index) * t) > 0.95).astype(float) * rng.normal(0, 1, t.size)
    return (0.25 * y + 0.1 * pulse + 0.01 * rng.normal(size=t.size)).astype(np.float32)


def wav_bytes(seconds: float, *, seed: int = 0, sr: int = SR) -> bytes:
    """A 16-bit WAV of ``seconds``: 2 s tone clips of changing genres, so windows differ."""
    parts = [
        tone_clip((seed + i) % 10, seed, min(2.0, seconds - 2.0 * i), sr) for i in range(int(np.ceil(seconds / 2.0)))
    ]
    buffer = io.BytesIO()
    sf.write(buffer, np.concatenate(parts)[: int(seconds * sr)], sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def assert_problem(response, status: int) -> dict:
    """``response`` is an RFC 9457 problem document with ``status``; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


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


@pytest.fixture(scope="session")
def tiny_gtzan(tmp_path_factory) -> Path:
    return write_gtzan(tmp_path_factory.mktemp("gtzan"), per_genre=5, seconds=4.0)


@pytest.fixture(scope="session")
def tiny_bundle(tiny_gtzan, tmp_path_factory) -> Path:
    """A real bundle from a 1-epoch training run on the tiny data, with ALE plots of 4 descriptors and
    per-genre attribution maps over one held-out clip per genre."""
    from training.ale import compute_ale, held_out_spectrograms, write_ale
    from training.descriptors import build_descriptors
    from training.explain_corpus import build_genre_maps

    out = train_tiny(tiny_gtzan, tmp_path_factory.mktemp("models") / "tiny", epochs=1)
    classifier = GenreClassifier.load(out)
    chosen = [
        d for d in build_descriptors(classifier.features) if d.name in ("band1_level", "centroid", "mfcc1", "flatness")
    ]
    spectrograms = held_out_spectrograms(out, tiny_gtzan, max_clips=None)
    curves, _ = compute_ale(classifier, spectrograms, bins=4, descriptors=chosen)
    write_ale(out, curves, meta={"bundle": out.name, "engine": "pyale", "bins": 4})
    build_genre_maps(out, tiny_gtzan, per_genre=1, num_samples=16)
    return out


@pytest.fixture(scope="session")
def tiny_transfer_bundle(tiny_gtzan, tmp_path_factory) -> Path:
    """A music-transfer bundle (musicnn backbone, 16 kHz, 96 mels, log10 features) from 2 epochs."""
    out = tmp_path_factory.mktemp("transfer") / "tiny-transfer"
    return train_tiny(tiny_gtzan, out, arch="music-vgg", pretrained_dir=ROOT / "models" / "pretrained", epochs=2)


@pytest.fixture(scope="session")
def classifier(tiny_bundle) -> GenreClassifier:
    """The tiny bundle loaded once for every unit test that needs a real model."""
    return GenreClassifier.load(tiny_bundle)
