"""The tag head: the written prior names real tags, the fit recovers what toy data holds, the pull
towards the prior works, and the served Keras model computes what the fit computed."""

from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import check_grad

from musicxai.errors import ParameterError
from training.genres import GTZAN_GENRES
from training.tag_fit import LabelledTags, Standardiser, choose_tag_head, fit_tag_head, head_objective
from training.tags import TAG_PRIOR, build_tag_extractor, build_tag_genre_model, load_taggers, prior_matrix, tag_names
from training.train import MUSIC_VGG_FEATURES

PRETRAINED = Path("models/pretrained")


def toy(n_per_genre: int = 40, n_tags: int = 20, seed: int = 0) -> tuple[LabelledTags, np.ndarray]:
    """Genre j switches on tag j (tags 0..9), the other tags are noise; clips of 4 windows."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(GTZAN_GENRES)), n_per_genre)
    tags = rng.uniform(0, 0.3, (len(labels), n_tags))
    tags[np.arange(len(labels)), labels] += 0.6
    truth = np.zeros((n_tags, len(GTZAN_GENRES)))
    truth[np.arange(len(GTZAN_GENRES)), np.arange(len(GTZAN_GENRES))] = 1.0
    return LabelledTags(tags, labels, np.arange(len(labels)) // 4), truth


def test_the_prior_names_only_tags_the_taggers_have_and_every_genre():
    names = tag_names(PRETRAINED)
    prior = prior_matrix(names)
    assert prior.shape == (100, len(GTZAN_GENRES)) and set(TAG_PRIOR) == set(GTZAN_GENRES)
    # every genre but reggae (no tag for it in either set) has prior weight
    assert [g for j, g in enumerate(GTZAN_GENRES) if prior[:, j].sum() == 0] == ["reggae"]
    with pytest.raises(ParameterError, match="do not have"):
        prior_matrix(names[1:])


def test_fit_learns_a_genre_the_prior_is_silent_on_and_the_pull_keeps_delta_small():
    data, truth = toy()
    blind = truth.copy()
    blind[:, GTZAN_GENRES.index("reggae")] = 0.0  # as with the real prior
    loose = fit_tag_head(data, blind, strength=1e-5)
    assert loose.clip_accuracy(data) > 0.95
    tight = fit_tag_head(data, blind, strength=10.0)
    assert np.abs(tight.delta).max() < 0.2 * np.abs(loose.delta).max()
    prior_only = fit_tag_head(data, blind, strength=0.0, fit_delta=False)
    assert np.all(prior_only.delta == 0) and prior_only.scale > 1.0  # the written prior, scaled up


def test_the_gradient_is_exact():
    data, truth = toy(n_per_genre=3, n_tags=12)
    weight = np.full(len(data.tags), 1 / len(data.tags))
    theta = np.random.default_rng(1).normal(0, 0.5, 1 + 10 + truth.size)
    error = check_grad(
        lambda t: head_objective(t, data, truth, weight, 0.1, True)[0],
        lambda t: head_objective(t, data, truth, weight, 0.1, True)[1],
        theta,
    )
    assert error < 1e-5


def test_strength_is_chosen_without_the_report_part_and_recorded():
    data, truth = toy()
    valid, _ = toy(seed=1)
    head, selection = choose_tag_head({"train": data, "valid": valid}, None, truth)
    assert len(selection["tried"]) >= 3 and selection["chosen"]["synthetic_valid_clip_accuracy"] > 0.9
    assert head.clip_accuracy(valid) == selection["chosen"]["synthetic_valid_clip_accuracy"]


@pytest.mark.slow
def test_the_served_model_computes_the_fitted_head_on_the_taggers_tags():
    taggers = load_taggers(PRETRAINED)
    shape = MUSIC_VGG_FEATURES.input_shape
    x = np.random.default_rng(0).uniform(0, 2, (3, *shape)).astype("float32")
    tags = build_tag_extractor(shape, taggers).predict(x, verbose=0)[0]
    rng = np.random.default_rng(1)
    head = fit_tag_head(
        LabelledTags(rng.uniform(size=(50, 100)), rng.integers(0, 10, 50), np.arange(50)),
        prior_matrix(tag_names(PRETRAINED)),
        strength=1.0,
    )
    served = build_tag_genre_model(shape, taggers, head.weights, head.bias).predict(x, verbose=0)
    np.testing.assert_allclose(served, head.probabilities(tags.astype(np.float64)), atol=1e-5)


@pytest.mark.slow
def test_with_embeddings_the_served_model_folds_their_standardisation_in():
    taggers = load_taggers(PRETRAINED)
    shape = MUSIC_VGG_FEATURES.input_shape
    x = np.random.default_rng(0).uniform(0, 2, (4, *shape)).astype("float32")
    tags, embedded = build_tag_extractor(shape, taggers).predict(x, verbose=0)
    scaler = Standardiser.fit(np.random.default_rng(2).uniform(0, 3, (40, embedded.shape[1])))
    features = np.hstack([tags.astype(np.float64), scaler.apply(embedded)])
    rng = np.random.default_rng(1)
    prior = np.vstack([prior_matrix(tag_names(PRETRAINED)), np.zeros((embedded.shape[1], 10))])
    head = fit_tag_head(
        LabelledTags(rng.normal(size=(60, features.shape[1])), rng.integers(0, 10, 60), np.arange(60)),
        prior,
        strength=1.0,
    )
    weights, bias = scaler.fold(head.weights, head.bias, first=100)
    served = build_tag_genre_model(shape, taggers, weights, bias, embeddings=True).predict(x, verbose=0)
    np.testing.assert_allclose(served, head.probabilities(features), atol=1e-5)
