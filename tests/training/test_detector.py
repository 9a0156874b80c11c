"""Fitting the music detector: the threshold keeps false alarms in bounds, cross-validation is grouped
by package, and the served form (embedder + folded regression) says what the fitted regression says."""

from pathlib import Path

import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from musicxai.model.detector import clip_music_probability, pooled
from training.architectures import build_music_embedder
from training.detector import (
    ClipFeatures,
    choose_threshold,
    fit_detector,
    folded,
    out_of_fold,
    rates,
)
from training.detector_distil import cached_teacher, distil, embed_clips, held_back
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


@pytest.mark.slow
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


def test_held_back_windows_are_whole_packages_and_never_none():
    groups = np.array([f"package{i % 7}" for i in range(70)])
    held = held_back(groups, seed=0)
    assert held.any() and not held.all()
    assert set(groups[held]).isdisjoint(groups[~held])
    assert held_back(np.array(["only"] * 3), seed=0).all()  # one package: it is the one held back


class CountingTeacher:
    """Stands for the tagger: says each window's mean, and counts the windows it was asked about."""

    def __init__(self) -> None:
        self.windows = 0

    def predict(self, x, batch_size, verbose):
        self.windows += len(x)
        return x.mean(axis=(1, 2))


def test_the_teachers_embeddings_are_cached_for_exactly_those_clips(tmp_path):
    rng = np.random.default_rng(0)
    clips = [rng.standard_normal((n, 4, 5)).astype("float32") for n in (3, 1, 2)]
    cache, teacher = tmp_path / "teacher.npz", CountingTeacher()
    first = cached_teacher(teacher, clips, ["a", "b", "c"], cache)
    assert [len(e) for e in first] == [3, 1, 2] and teacher.windows == 6
    again = cached_teacher(teacher, clips, ["a", "b", "c"], cache)
    assert teacher.windows == 6  # read back, not asked again
    for one, other in zip(first, again, strict=True):
        np.testing.assert_allclose(one, other, atol=1e-6)
    cached_teacher(teacher, clips, ["a", "b", "d"], cache)  # another clip: computed again
    assert teacher.windows == 12


@pytest.mark.slow
def test_the_student_learns_what_the_teacher_says_of_a_window():
    # the teacher's "embedding": how loud each half of the band range is, which the student must read
    rng = np.random.default_rng(0)
    clips, targets = [], []
    for _ in range(48):
        level = rng.uniform(-2, 2, (4, 2))  # per window: low and high bands
        windows = rng.standard_normal((4, 16, 32)).astype("float32") * 0.3
        windows[:, :8] += level[:, :1, None]
        windows[:, 8:] += level[:, 1:, None]
        clips.append(windows)
        targets.append(np.concatenate([level, level[:, :1] - level[:, 1:]], axis=1))
    groups = np.array([f"package{i % 8}" for i in range(48)])
    model, norm, info = distil(clips, targets, groups, epochs=25, patience=25, learning_rate=3e-3, verbose=0)
    assert info["windows"] == {"train": 168, "valid": 24}  # one package of 8 (6 clips × 4) held back
    assert info["mse"]["valid"][-1] < 0.5 * info["mse"]["valid"][0]
    said = np.concatenate(embed_clips(model, clips[:6], norm))
    wanted = np.concatenate(targets[:6])
    assert np.corrcoef(said[:, 0], wanted[:, 0])[0, 1] > 0.8  # standardised, but in step with the teacher
