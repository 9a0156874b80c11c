"""Session fixtures every test folder shares: the tiny GTZAN-layout data, bundles trained on it in a
few seconds, and the tiny bundle loaded once. Helpers live in :mod:`tests.support`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from musicxai.model.classifier import GenreClassifier
from tests.support.data import ROOT, train_tiny, write_gtzan

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
KIND_BY_FOLDER = {"app": "app", "integration": "integration", "browser": "browser"}  # everything else: unit


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its kind from the folder it lives in, so ``-m unit`` or ``-m "not browser"``
    picks a layer of the suite without a marker on every test."""
    tests = Path(__file__).parent
    for item in items:
        folder = Path(item.fspath).relative_to(tests).parts[0]
        item.add_marker(KIND_BY_FOLDER.get(folder, "unit"))


@pytest.fixture(scope="session")
def tiny_gtzan(tmp_path_factory) -> Path:
    return write_gtzan(tmp_path_factory.mktemp("gtzan"), per_genre=5, seconds=4.0)


@pytest.fixture(scope="session")
def tiny_bundle(tiny_gtzan, tmp_path_factory) -> Path:
    """A real bundle from a 1-epoch training run on the tiny data, with ALE plots of 4 descriptors and
    per-genre attribution maps over one held-out clip per genre."""
    from training.ale import compute_ale, held_out_spectrograms, write_ale
    from training.descriptors import build_descriptors
    from training.genre_maps import build_genre_maps

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
