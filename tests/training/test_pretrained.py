"""The converted musicnn backbones tag exactly like the authors' TF-1 graph, with no musicnn package needed.

``tests/fixtures/musicnn_parity.npz`` holds fixed float32 log-mel patches and the original graph's outputs
on them (made by ``scripts/musicnn_reference.py``); a conversion slip (transposed kernel, wrong BN epsilon,
pool order) would move the probabilities far beyond the tolerance.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from musicxai.errors import ParameterError
from tests.support.data import ROOT
from training import pretrained
from training.pretrained import (
    CHECKPOINTS,
    FEATURE_LAYER,
    LAYER_SCOPES,
    N_FRAMES,
    N_MELS,
    SR,
    PretrainedError,
    build_musicnn_vgg,
    load_weights,
    musicnn_input,
)

PRETRAINED = ROOT / "models" / "pretrained"
FIXTURE = ROOT / "tests" / "fixtures" / "musicnn_parity.npz"
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def parity() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module", params=CHECKPOINTS)
def backbone(request) -> tuple[str, keras.Model]:
    return request.param, keras.saving.load_model(PRETRAINED / request.param / "backbone.keras", compile=False)


def test_fixture_inputs_are_float32_patches(parity):
    inputs = parity["inputs"]
    assert inputs.dtype == np.float32
    assert inputs.ndim == 3 and inputs.shape[1:] == (N_FRAMES, N_MELS)
    assert np.isfinite(inputs).all()


def test_tags_match_original_graph(backbone, parity):
    name, model = backbone
    inputs = parity["inputs"][..., None]
    expected = parity[f"{name}_tags"]
    got = np.asarray(model(inputs, training=False))
    assert got.shape == expected.shape == (len(inputs), 50)
    diff = float(np.abs(got - expected).max())
    print(f"{name}: max |keras - tf1| over tag probabilities = {diff:.3g}")
    assert diff < TOLERANCE, f"{name}: tag probabilities differ from the TF-1 graph by {diff}"


def test_flatten_features_match_original_graph(backbone, parity):
    """The transfer-learning cut point gives the original pool5 activations, flattened in the same order."""
    name, model = backbone
    features = keras.Model(model.input, model.get_layer(FEATURE_LAYER).output)
    got = np.asarray(features(parity["inputs"][..., None], training=False))
    expected = parity[f"{name}_flatten"]
    assert got.shape == expected.shape == (len(got), 256)
    scale = max(1.0, float(np.abs(expected).max()))
    assert float(np.abs(got - expected).max()) < TOLERANCE * scale


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_bundle_files(name):
    folder = PRETRAINED / name
    tags = json.loads((folder / "tags.json").read_text(encoding="utf-8"))
    assert len(tags) == 50 and len(set(tags)) == 50 and all(isinstance(t, str) and t for t in tags)
    licence = (folder / "LICENSE").read_text(encoding="utf-8")
    assert "ISC" in licence and "Jordi Pons and Xavier Serra" in licence
    source = json.loads((folder / "source.json").read_text(encoding="utf-8"))
    assert source["checkpoint"] == name and source["input_shape"] == [N_FRAMES, N_MELS, 1]
    assert source["feature_layer"] == FEATURE_LAYER


def test_musicnn_input_shapes_and_values():
    t = np.arange(10 * SR) / SR
    rng = np.random.default_rng(0)
    y = (0.5 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.normal(size=t.size)).astype(np.float32)
    patches = musicnn_input(y)
    # 10 s -> 626 frames -> three non-overlapping 187-frame patches, remainder dropped.
    assert patches.shape == (3, N_FRAMES, N_MELS)
    assert patches.dtype == np.float32
    assert np.isfinite(patches).all() and patches.min() >= 0.0


def test_musicnn_input_stays_finite_where_float16_overflows():
    """A full-scale tone drives mel power past float16's range; float32 preprocessing keeps it finite."""
    t = np.arange(4 * SR) / SR
    patches = musicnn_input(np.sin(2 * np.pi * 440 * t).astype(np.float32))
    assert np.isfinite(patches).all()
    assert patches.max() > np.log10(65504.0)


def test_musicnn_input_rejects_short_or_stereo():
    with pytest.raises(ParameterError):
        musicnn_input(np.zeros(SR, dtype=np.float32))
    with pytest.raises(ParameterError):
        musicnn_input(np.zeros((2, 4 * SR), dtype=np.float32))


def _as_checkpoint(model: keras.Model) -> dict[str, np.ndarray]:
    """A model's weights under the TF-1 variable names, i.e. what ``read_checkpoint`` returns."""
    scopes = LAYER_SCOPES
    return {f"{scopes[layer.name]}/{w.name}": np.asarray(w) for layer in model.layers for w in layer.weights}


@pytest.mark.slow
def test_load_weights_round_trip_and_refuses_partial_loads(backbone, parity):
    _, model = backbone
    variables = _as_checkpoint(model)
    optimiser_state = {"beta1_power": np.float32(0.9), "1CNN/kernel/Adam": variables["1CNN/kernel"]}
    fresh = build_musicnn_vgg()
    load_weights(fresh, {**variables, **optimiser_state})
    x = parity["inputs"][:1, ..., None]
    np.testing.assert_array_equal(np.asarray(fresh(x, training=False)), np.asarray(model(x, training=False)))

    missing = {k: v for k, v in variables.items() if k != "batch_normalization_3/moving_variance"}
    with pytest.raises(PretrainedError, match="moving_variance"):
        load_weights(build_musicnn_vgg(), missing)
    with pytest.raises(PretrainedError, match="not used"):
        load_weights(build_musicnn_vgg(), {**variables, "6CNN/kernel": np.zeros(3, np.float32)})
    with pytest.raises(PretrainedError, match="shape"):
        load_weights(build_musicnn_vgg(), {**variables, "dense/bias": np.zeros(10, np.float32)})


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(pretrained.importlib.util, "find_spec", lambda _name: None)
    with pytest.raises(PretrainedError, match=r"--no-deps musicnn==0\.1\.0"):
        pretrained.locate_checkpoint("MSD_vgg")
    with pytest.raises(ParameterError):
        pretrained.locate_checkpoint("MSD_musicnn")
