"""Fitting the music detector: the threshold keeps false alarms in bounds, cross-validation is grouped
by package, and the served form (embedder + folded regression) says what the fitted regression says."""

from pathlib import Path

import keras
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from musicxai.model.detector import clip_music_probability, pooled
from training.detector import (
    ClipFeatures,
    choose_threshold,
    fit_detector,
    folded,
    out_of_fold,
    rates,
)
from training.models import build_music_embedder
from training.pretrained import FEATURE_LAYER
from training.train import MUSIC_VGG_FEATURES


def toy(seed: int = 0, clips: int = 60, dim: int = 8) -> ClipFeatures:
    rng = np.random.default_rng(seed)
    is_music = np.arange(clips) % 2
    x = rng.standard_normal((clips, dim))
    x[:, 0] += 4.0 * is_music  # one direction tells music apart
    return ClipFeatures(x, is_music, np.array([f"package{i % 10}" for i in range(clips)]))


def test_threshold_calls_at_most_the_allowed_share_of_music_not_music():
    rng = np.random.default_rng(0)
    scores, is_music = rng.uniform(size=200), np.repeat([0, 1], 100)
    for share in (0.0, 0.02, 0.1):
        threshold = choose_threshold(scores, is_music, share)
        assert rates(scores, is_music, threshold)["false_alarm_rate"] <= share


def test_out_of_fold_scores_never_come_from_a_model_that_saw_the_package():
    data = toy()
    assert np.mean((out_of_fold(data, 1.0) > 0.5) == data.is_music) > 0.9
    # flip one package's labels: answered by the other packages' rule, it comes out wrong
    flipped = ClipFeatures(data.features, data.is_music.copy(), data.groups)
    held = data.groups == "package0"
    flipped.is_music[held] = 1 - flipped.is_music[held]
    assert np.mean((out_of_fold(flipped, 1.0)[held] > 0.5) == flipped.is_music[held]) < 0.2


def test_fit_chooses_on_cross_validation_and_reports_it():
    _, _, report = fit_detector(toy())
    assert report["grouped_by"] == "package" and 0 < report["threshold"] < 1
    assert report["cross_validation"][str(report["C"])]["detection_rate"] > 0.8


def test_the_served_form_is_the_regression_on_the_pooled_embedding():
    tagger = keras.saving.load_model(Path("models/pretrained/MTT_vgg/backbone.keras"), compile=False)
    shape = MUSIC_VGG_FEATURES.input_shape
    rng = np.random.default_rng(0)
    clips = [rng.uniform(0, 2, (4, *shape)).astype("float32") for _ in range(6)]
    embedder = build_music_embedder(shape, tagger)
    direct = keras.Model(tagger.input, tagger.get_layer(FEATURE_LAYER).output)
    embedded = [embedder.predict(x, verbose=0) for x in clips]
    np.testing.assert_allclose(embedded[0], direct.predict(np.transpose(clips[0], (0, 2, 1, 3)), verbose=0), atol=1e-5)
    X = np.array([pooled(e.astype(np.float64)) for e in embedded])
    y = np.array([0, 1, 0, 1, 0, 1])
    scaler = StandardScaler().fit(X)
    model = LogisticRegression().fit(scaler.transform(X), y)
    weights, bias = folded(model, scaler)
    served = [clip_music_probability(e, weights, bias) for e in embedded]
    np.testing.assert_allclose(served, model.predict_proba(scaler.transform(X))[:, 1], atol=1e-6)
