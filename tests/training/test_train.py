import json

import numpy as np
import pytest

from musicxai.model.bundle import read_bundle_meta
from musicxai.model.classifier import GenreClassifier
from training.genres import GTZAN_GENRES
from training.gtzan import discover_tracks, stratified_split


@pytest.mark.slow
def test_one_epoch_training_writes_a_loadable_evaluated_bundle(tiny_bundle, tiny_gtzan):
    meta = read_bundle_meta(tiny_bundle)
    assert meta.genres == list(GTZAN_GENRES)
    assert meta.split.unit == "track"
    assert meta.metrics is not None and 0.0 <= meta.metrics.test.clip_accuracy <= 1.0
    assert meta.metrics.test.tracks == len(meta.split.test_tracks) == 10
    for name in ("confusion_matrix.png", "confusion_matrix.csv", "per_genre.csv", "training_curves.png"):
        assert (tiny_bundle / "evaluation" / name).stat().st_size > 0
    classifier = GenreClassifier.load(tiny_bundle)
    rng = np.random.default_rng(0)
    prediction = classifier.classify(rng.normal(0, 0.1, 22050 * 5).astype(np.float32))
    assert prediction.window_probabilities.shape == (3, 10)
    assert abs(prediction.probabilities.sum() - 1.0) < 1e-5


def test_bundle_records_held_out_tracks_disjoint_from_training(tiny_bundle, tiny_gtzan):
    meta = read_bundle_meta(tiny_bundle)
    expected = stratified_split(discover_tracks(tiny_gtzan), seed=0, valid_fraction=0.2, test_fraction=0.2)
    assert meta.split.test_tracks == [t.relpath for t in expected["test"]]
    train_paths = {t.relpath for t in expected["train"]}
    assert not train_paths & set(meta.split.test_tracks)
    assert meta.split.tracks == {"train": 30, "valid": 10, "test": 10}


def test_normalisation_comes_from_training_windows_only(tiny_bundle, tiny_gtzan):
    from musicxai.model.features import FeatureSettings
    from training.dataset import build_windows, fit_normalisation

    expected = stratified_split(discover_tracks(tiny_gtzan), seed=0, valid_fraction=0.2, test_fraction=0.2)
    train_windows = build_windows(expected["train"], FeatureSettings(), workers=1).windows
    stored = json.loads((tiny_bundle / "bundle.json").read_text())["normalisation"]
    np.testing.assert_allclose(stored["mean"], fit_normalisation(train_windows).mean, rtol=1e-6)


@pytest.mark.slow
def test_a_tag_head_bundle_records_how_its_pull_was_chosen_and_serves(tiny_gtzan, tmp_path):
    from tests.support.data import ROOT, train_tiny

    out = train_tiny(
        tiny_gtzan,
        tmp_path / "tags",
        arch="music-tags",
        pretrained_dir=ROOT / "models" / "pretrained",
        tag_head="tags+embeddings",
    )
    meta = read_bundle_meta(out)
    assert meta.architecture == "music-tags" and meta.features.sample_rate == 16000
    selection = meta.training["selection"]
    assert [row["strength"] for row in selection["tried"]] and selection["chosen"] in selection["tried"]
    assert all("real_train_leave_one_package_out" not in row for row in selection["tried"])  # no real set given
    prediction = GenreClassifier.load(out).classify(
        np.random.default_rng(0).normal(0, 0.1, 16000 * 4).astype("float32")
    )
    assert abs(prediction.probabilities.sum() - 1.0) < 1e-5
