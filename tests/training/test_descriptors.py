import numpy as np
import pytest

from musicxai.errors import ParameterError
from musicxai.model.features import FeatureSettings, clip_log_mel
from training.descriptors import build_descriptors, descriptor_by_name

SETTINGS = FeatureSettings()
DESCRIPTORS = build_descriptors(SETTINGS)


@pytest.fixture(scope="module")
def S():
    rng = np.random.default_rng(0)
    t = np.arange(6 * 22050) / 22050
    gate = (np.sin(2 * np.pi * 2 * t) > 0).astype(float)
    y = 0.3 * np.sin(2 * np.pi * 330 * t) * gate + 0.1 * np.sin(2 * np.pi * 2500 * t) + 0.02 * rng.normal(size=t.size)
    return clip_log_mel(y.astype(np.float32), SETTINGS)


def measures(S):
    return {d.name: d.measure(S) for d in DESCRIPTORS}


def test_there_are_at_least_eight_descriptors_with_units():
    assert len(DESCRIPTORS) >= 8
    assert all(d.unit and d.label for d in DESCRIPTORS)
    assert len({d.name for d in DESCRIPTORS}) == len(DESCRIPTORS)


@pytest.mark.parametrize("descriptor", DESCRIPTORS, ids=lambda d: d.name)
@pytest.mark.parametrize("direction", [-1, 1])
def test_edit_reaches_the_target(S, descriptor, direction):
    value = descriptor.measure(S)
    step = 3.0 if descriptor.unit == "dB" else 0.15 * abs(value)
    target = value + direction * step
    edited = descriptor.edit(S, target)
    assert edited.shape == S.shape and np.all(np.isfinite(edited))
    assert descriptor.measure(edited) == pytest.approx(target, rel=1e-3, abs=1e-3)
    assert descriptor.measure(S) == value  # the input is not modified


def test_band_edit_leaves_the_other_bands_untouched(S):
    before = measures(S)
    after = measures(descriptor_by_name(SETTINGS, "band3_level").edit(S, before["band3_level"] + 6))
    for i in (1, 2, 4, 5, 6, 7, 8):
        assert after[f"band{i}_level"] == pytest.approx(before[f"band{i}_level"], abs=1e-9)


def test_mfcc_edit_leaves_the_other_coefficients_untouched(S):
    before = measures(S)
    after = measures(descriptor_by_name(SETTINGS, "mfcc2").edit(S, before["mfcc2"] - 5))
    for k in (1, 3, 4):
        assert after[f"mfcc{k}"] == pytest.approx(before[f"mfcc{k}"], abs=1e-4)


@pytest.mark.parametrize("name", ["centroid", "flatness"])
def test_shape_edits_keep_the_overall_level(S, name):
    before = measures(S)
    descriptor = descriptor_by_name(SETTINGS, name)
    after = measures(descriptor.edit(S, before[name] * 1.1))
    assert after["loudness"] == pytest.approx(before["loudness"], abs=1e-3)


def test_onset_edit_keeps_band_levels_close(S):
    before = measures(S)
    after = measures(descriptor_by_name(SETTINGS, "onset_strength").edit(S, before["onset_strength"] * 1.3))
    for i in range(1, 9):
        assert after[f"band{i}_level"] == pytest.approx(before[f"band{i}_level"], abs=1.0)


def test_unknown_descriptor_is_refused():
    with pytest.raises(ParameterError):
        descriptor_by_name(SETTINGS, "danceability")
