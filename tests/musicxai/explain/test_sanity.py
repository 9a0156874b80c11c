"""The sanity checks of explanation methods: the comparisons on cases with a known answer, the
randomised copies of Keras and ONNX bundles, and both checks end to end on a model made elsewhere."""

import numpy as np
import pytest

from musicxai.audio.decode import DecodedAudio
from musicxai.explain.sanity import SURVIVAL_RHO, check_bundle, map_similarity, rho, with_noise
from musicxai.model.bundle import read_bundle_meta
from musicxai.model.inputs import Waveform
from musicxai.model.keras_model import read_keras_model
from musicxai.model.outputs import Output
from musicxai.model.randomise import _keras_weight_layers, cut_points, randomised_copies
from tests.support.models import LABELS, RATE, band_clip, waveform_model
from training.own_bundle import create_bundle

pytestmark = pytest.mark.unit


def test_comparisons_say_same_unrelated_and_no_information():
    rng = np.random.default_rng(0)
    a = rng.normal(size=200)
    assert rho(a, a) == pytest.approx(1.0) and rho(a, -a) == pytest.approx(-1.0)
    assert abs(rho(a, rng.normal(size=200))) < 0.2
    assert rho(a, np.zeros(200)) == 0.0  # a constant weighting ranks nothing
    image = rng.normal(size=(32, 64))
    assert map_similarity(image, 3 * image + 1) == pytest.approx(1.0)  # scaled to [0, 1] first
    assert map_similarity(image, rng.normal(size=(32, 64))) < 0.2


def test_noise_sits_the_asked_level_below_the_clip():
    clip = DecodedAudio(band_clip(2.0), RATE, 2.0)
    noisy = with_noise(clip, 30.0, np.random.default_rng(0))
    ratio = np.mean(clip.samples**2) / np.mean((noisy.samples - clip.samples) ** 2)
    assert 10 * np.log10(ratio) == pytest.approx(30.0, abs=0.5)


def test_cut_points_run_from_the_top_layer_to_all():
    assert cut_points(12, 6) == [1, 3, 5, 8, 10, 12]
    assert cut_points(2, 6) == [1, 2]


def test_keras_copies_randomise_the_top_layers_only(tiny_bundle, tmp_path):
    target = read_bundle_meta(tiny_bundle).runtime.target
    trained = [layer.get_weights() for layer in _keras_weight_layers(read_keras_model(tiny_bundle / target))]
    copies = list(randomised_copies(tiny_bundle, tmp_path, steps=2))
    assert [c.layers for c in copies] == [1, len(trained)] and copies[-1].of == len(trained)
    first = [layer.get_weights() for layer in _keras_weight_layers(read_keras_model(copies[0].path / target))]
    changed = [
        any(not np.array_equal(a, b) for a, b in zip(t, f, strict=True)) for t, f in zip(trained, first, strict=True)
    ]
    assert changed == [False] * (len(trained) - 1) + [True]
    kernel, shuffled = trained[-1][0], first[-1][0]
    np.testing.assert_array_equal(np.sort(kernel.ravel()), np.sort(shuffled.ravel()))  # the same values, moved
    read_bundle_meta(copies[-1].path)  # a bundle the serving code reads


@pytest.mark.slow
def test_the_band_models_maps_follow_its_weights_and_hold_under_noise(tmp_path):
    bundle = tmp_path / "models" / "bands"
    coarse = {"segment_seconds": 1.0, "n_bands": 4}
    create_bundle(waveform_model(tmp_path / "bands.onnx"), bundle, genres=LABELS, model_input=Waveform(),
                  output=Output(activation="softmax"), explanation_defaults=coarse)  # fmt: skip
    clips = {f"loud-{b}": DecodedAudio(band_clip(4.0, loud=b, seed=b), RATE, 4.0) for b in (0, 2)}
    checks = check_bundle(bundle, clips, steps=2, noise_draws=1)
    assert set(checks.methods) == {"lime", "shap"}  # no gradients through ONNX Runtime
    for method in checks.methods.values():
        top, every = method.randomisation
        assert (top.layers, every.layers) == (1, 2)  # the band-to-label matrix, then the filters too
        assert method.noise.kept_prediction == method.noise.copies == 2
        # 30 dB of noise leaves the ranking; a label reading shuffled bands takes it away
        assert method.noise.spearman > 0.8 and top.spearman < method.noise.spearman - 0.5
        assert method.survives_randomisation is (every.spearman >= SURVIVAL_RHO)


@pytest.mark.slow
def test_a_callables_weights_cannot_be_randomised_but_its_noise_is_checked(tmp_path):
    bundle = tmp_path / "models" / "sklearn"
    create_bundle("tests.support.sklearn_bands:predict", bundle, genres=LABELS, model_input=Waveform(),
                  explanation_defaults={"segment_seconds": 1.0, "n_bands": 4})  # fmt: skip
    checks = check_bundle(bundle, {"loud-1": DecodedAudio(band_clip(4.0, loud=1), RATE, 4.0)}, noise_draws=1)
    assert "callable" in checks.not_randomised
    assert all(m.randomisation is None and m.survives_randomisation is None for m in checks.methods.values())
    assert all(m.noise.copies == 1 for m in checks.methods.values())
