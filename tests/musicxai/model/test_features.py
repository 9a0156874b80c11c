import numpy as np
import pytest
from pydantic import ValidationError

from musicxai.errors import ParameterError
from musicxai.model.features import (
    FeatureSettings,
    Normalisation,
    clip_log_mel,
    clip_windows,
    frame_windows,
    normalise,
    window_starts,
)

SETTINGS = FeatureSettings()


def test_default_settings_give_three_second_windows_of_130_frames():
    assert SETTINGS.input_shape == (128, 130, 1)
    assert SETTINGS.hop_frames == 65
    assert SETTINGS.frames_per_window * SETTINGS.frame_seconds == pytest.approx(3.0, abs=0.05)


def test_thirty_second_clip_gives_19_windows_of_log_mel():
    y = np.random.default_rng(0).normal(0, 0.1, 30 * 22050).astype(np.float32)
    S = clip_log_mel(y, SETTINGS)
    windows = frame_windows(S, SETTINGS)
    assert S.shape == (128, 1292)
    assert windows.shape == (19, 128, 130)
    np.testing.assert_array_equal(windows[3], S[:, 3 * 65 : 3 * 65 + 130])


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_samples_far_past_full_scale_still_give_finite_features_60_db_per_factor_of_1000():
    y = np.random.default_rng(0).normal(0, 0.1, 3 * 22050).astype(np.float32)
    quiet, loud = clip_log_mel(y, SETTINGS), clip_log_mel(1e30 * y, SETTINGS)  # 1e30² overflows float32
    assert np.isfinite(loud).all()
    assert np.median(loud - quiet) == pytest.approx(600.0, abs=0.01)


def test_short_clip_is_padded_to_one_window_with_silence():
    y = np.random.default_rng(0).normal(0, 0.1, 22050).astype(np.float32)
    windows = clip_windows(y, SETTINGS)
    n_frames = clip_log_mel(y, SETTINGS).shape[1]
    assert windows.shape == (1, 128, 130)
    assert np.all(windows[0, :, n_frames:] == SETTINGS.floor_db)
    assert np.all(windows[0, :, :n_frames] > SETTINGS.floor_db)


def test_last_window_is_padded_not_dropped():
    starts = window_starts(200, SETTINGS)
    assert list(starts) == [0, 65, 130]
    S = np.zeros((128, 200), dtype=np.float32)
    windows = frame_windows(S, SETTINGS)
    assert windows.shape == (3, 128, 130)
    assert np.all(windows[2, :, 70:] == SETTINGS.floor_db)


def test_frame_windows_keeps_leading_batch_axes():
    S = np.random.default_rng(1).normal(size=(4, 128, 300)).astype(np.float32)
    windows = frame_windows(S, SETTINGS)
    assert windows.shape == (4, 4, 128, 130)
    np.testing.assert_array_equal(windows[2, 1], S[2, :, 65:195])


def test_normalise_standardises_per_band_and_adds_channel():
    windows = np.stack([np.full((128, 130), 5.0), np.full((128, 130), 15.0)]).astype(np.float32)
    norm = Normalisation(mean=[10.0] * 128, std=[5.0] * 128)
    x = normalise(windows, norm)
    assert x.shape == (2, 128, 130, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[0], -1.0)
    np.testing.assert_allclose(x[1], 1.0)
    with pytest.raises(ParameterError):
        normalise(windows, Normalisation(mean=[0.0] * 64, std=[1.0] * 64))


@pytest.mark.parametrize(
    "bad",
    [{"extractor_version": 2}, {"extractor": "mfcc"}, {"fmax": 20000}, {"hop_length": 4096}, {"n_mels": 0}],
)
def test_settings_this_code_cannot_honour_are_refused(bad):
    with pytest.raises(ValidationError):
        FeatureSettings(**bad)


def test_window_starts_rejects_empty_input():
    with pytest.raises(ParameterError, match="n_frames=0"):
        window_starts(0, SETTINGS)
