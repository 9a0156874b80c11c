"""Input quality: silence refused, clipping, a narrow band and a cut upload warned about."""

import numpy as np
import pytest
import soxr
from scipy.signal import butter, sosfilt

from musicxai.audio.decode import DecodedAudio
from musicxai.model.features import FeatureSettings, clip_log_mel
from musicxai.model.quality import QualityLimits, SilentAudioError, WarningCode, assess
from tests.support.audio import SR, tone_clip

SETTINGS = FeatureSettings()
TRANSFER = FeatureSettings(extractor="logmel-log10", sample_rate=16000, n_fft=512, hop_length=256, n_mels=96)


def codes(y: np.ndarray, *, settings: FeatureSettings = SETTINGS, source_s: float | None = None, **limits):
    audio = DecodedAudio(y.astype(np.float32), settings.sample_rate, source_s or len(y) / settings.sample_rate)
    S = clip_log_mel(audio.samples, settings)
    return [w.code for w in assess(audio, S, settings, QualityLimits(**limits))]


def music(seconds: float = 6.0, sr: int = SR) -> np.ndarray:
    return np.concatenate([tone_clip(g, 0, 2.0, sr) for g in range(int(seconds // 2))])


def telephone(y: np.ndarray, sr: int) -> np.ndarray:
    """A telephone recording as uploaded: 300-3400 Hz, sampled at 8 kHz, decoded back to ``sr``."""
    line = sosfilt(butter(10, [300, 3400], btype="bandpass", fs=sr, output="sos"), y)
    return soxr.resample(soxr.resample(line, sr, 8000, quality="HQ"), 8000, sr, quality="HQ")


@pytest.mark.parametrize("settings", [SETTINGS, TRANSFER], ids=["cnn", "transfer"])
def test_ordinary_music_gets_no_warning(settings):
    assert codes(music(sr=settings.sample_rate), settings=settings) == []


@pytest.mark.parametrize(
    "y", [np.zeros(5 * SR), np.full(5 * SR, 0.3), np.full(5 * SR, -1.0) + 1e-6 * np.sin(np.arange(5 * SR))]
)
def test_silence_and_constant_levels_are_refused_with_a_code(y):
    with pytest.raises(SilentAudioError, match="silent") as refused:
        codes(y)
    assert refused.value.code == "silent" and refused.value.status == 422


def test_a_quiet_but_real_clip_is_not_silence():
    assert codes(1e-3 * music()) == []  # about -70 dBFS of peak


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")  # 1e30²
def test_heavy_clipping_and_samples_beyond_full_scale_are_clipped():
    assert codes(np.clip(8 * music(), -1, 1)) == [WarningCode.clipped]
    assert codes(1e30 * music()) == [WarningCode.clipped]
    assert codes(np.clip(1.05 * music() / np.abs(music()).max(), -1, 1)) == []  # a few peaks at full scale


@pytest.mark.parametrize("settings", [SETTINGS, TRANSFER], ids=["cnn", "transfer"])
def test_a_telephone_band_recording_is_low_bandwidth(settings):
    sr = settings.sample_rate
    rng = np.random.default_rng(0)
    voice_band = telephone(music(sr=sr) + 0.05 * rng.standard_normal(6 * sr), sr)
    assert codes(voice_band, settings=settings) == [WarningCode.low_bandwidth]


def test_a_cut_upload_says_how_much_was_heard():
    assert codes(music(), source_s=95.0) == [WarningCode.truncated]


def test_thresholds_are_settings():
    clipped = np.clip(8 * music(), -1, 1)
    assert codes(clipped, clipped_fraction=0.9) == []
    with pytest.raises(SilentAudioError):
        codes(1e-3 * music(), silence_rms=1e-2)
