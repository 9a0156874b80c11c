import numpy as np
import pytest

from musicxai.explain.sonify import evidence_segments, sonify
from musicxai.model.features import FeatureSettings, clip_log_mel

SETTINGS = FeatureSettings()


@pytest.fixture(scope="module")
def clip():
    t = np.arange(4 * 22050) / 22050
    low = 0.4 * np.sin(2 * np.pi * 200 * t)
    high = 0.4 * np.sin(2 * np.pi * 4000 * t)
    y = (low + high).astype(np.float32)
    return y, low, high, clip_log_mel(y, SETTINGS)


def test_full_mask_round_trips_the_clip_and_complement_is_silent(clip):
    y, _, _, S = clip
    evidence, complement = sonify(y, np.ones_like(S), SETTINGS)
    assert evidence.shape == y.shape and evidence.dtype == np.float32
    np.testing.assert_allclose(evidence, y, atol=2e-3)
    assert np.max(np.abs(complement)) < 2e-3


def test_evidence_and_complement_add_up_to_the_clip(clip):
    y, _, _, S = clip
    mask = np.zeros_like(S)
    mask[:, 40:120] = 1.0
    evidence, complement = sonify(y, mask, SETTINGS)
    np.testing.assert_allclose(evidence + complement, y, atol=2e-3)


def test_low_band_mask_keeps_the_low_tone_and_drops_the_high_one(clip):
    y, low, high, S = clip
    centres = SETTINGS.mel_frequencies()
    mask = np.zeros_like(S)
    mask[centres < 1000, :] = 1.0
    evidence, complement = sonify(y, mask, SETTINGS)
    core = slice(22050, 3 * 22050)
    assert np.corrcoef(evidence[core], low[core])[0, 1] > 0.99
    assert np.corrcoef(complement[core], high[core])[0, 1] > 0.99


def test_output_never_clips():
    y = np.sign(np.sin(np.linspace(0, 400 * np.pi, 3 * 22050))).astype(np.float32)  # full-scale square wave
    S = clip_log_mel(y, SETTINGS)
    evidence, complement = sonify(y, np.ones_like(S), SETTINGS)
    assert np.max(np.abs(evidence)) <= 0.99 and np.max(np.abs(complement)) <= 0.99


def test_evidence_segments_take_positive_weights_and_cap_at_top_k():
    w = np.array([0.5, -0.2, 0.1, 0.0, 0.3])
    assert evidence_segments(w).tolist() == [True, False, True, False, True]
    assert evidence_segments(w, top_k=2).tolist() == [True, False, False, False, True]
