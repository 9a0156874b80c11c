import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from musicxai.audio.decode import load_audio
from musicxai.errors import AudioError

SR_IN = 44100


def _tone(seconds=2.0, sr=SR_IN, freq=440.0, channels=2):
    t = np.arange(int(seconds * sr)) / sr
    mono = 0.5 * np.sin(2 * np.pi * freq * t)
    return np.stack([mono] * channels, axis=1).astype(np.float32)


def _dominant_hz(y, sr):
    spectrum = np.abs(np.fft.rfft(y))
    return np.fft.rfftfreq(y.size, 1 / sr)[spectrum.argmax()]


@pytest.mark.parametrize(
    ("suffix", "fmt", "subtype"),
    [
        ("wav", "WAV", "PCM_16"),
        ("flac", "FLAC", "PCM_16"),
        ("ogg", "OGG", "VORBIS"),
        ("opus", "OGG", "OPUS"),
        ("mp3", "MP3", "MPEG_LAYER_III"),
    ],
)
def test_load_audio_decodes_each_supported_format(tmp_path, suffix, fmt, subtype):
    sr_in = 48000 if subtype == "OPUS" else SR_IN
    path = tmp_path / f"tone.{suffix}"
    sf.write(path, _tone(sr=sr_in), sr_in, format=fmt, subtype=subtype)
    audio = load_audio(path, sr=22050)
    assert audio.sample_rate == 22050
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert abs(audio.duration_s - 2.0) < 0.1
    assert abs(_dominant_hz(audio.samples, 22050) - 440.0) < 5.0


def test_load_audio_reads_bytes_as_well_as_paths(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, _tone(), SR_IN)
    from_path = load_audio(path)
    from_bytes = load_audio(path.read_bytes())
    np.testing.assert_array_equal(from_path.samples, from_bytes.samples)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_load_audio_falls_back_to_ffmpeg_for_aac(tmp_path):
    wav, m4a = tmp_path / "tone.wav", tmp_path / "tone.m4a"
    sf.write(wav, _tone(), SR_IN)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True)
    audio = load_audio(m4a)
    assert abs(audio.duration_s - 2.0) < 0.1
    assert abs(_dominant_hz(audio.samples, 22050) - 440.0) < 5.0


def test_load_audio_downmixes_stereo_to_mono(tmp_path):
    stereo = np.zeros((SR_IN, 2), dtype=np.float32)
    stereo[:, 0] = 0.8
    path = tmp_path / "left.wav"
    sf.write(path, stereo, SR_IN, subtype="FLOAT")
    audio = load_audio(path, sr=SR_IN)
    np.testing.assert_allclose(audio.samples, 0.4, atol=1e-6)


def test_load_audio_caps_duration_and_says_so(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, _tone(seconds=5.0), SR_IN)
    audio = load_audio(path, max_duration=2.0)
    assert abs(audio.duration_s - 2.0) < 0.01
    assert audio.truncated and abs(audio.source_duration_s - 5.0) < 0.01


@pytest.mark.parametrize("payload", [b"", b"this is plainly not audio" * 40, b"RIFF\x00\x00\x00\x00WAVEfmt "])
def test_load_audio_rejects_undecodable_input_with_one_error_type(payload):
    with pytest.raises(AudioError):
        load_audio(payload)


def test_load_audio_rejects_too_short_clip(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, _tone(seconds=0.2), SR_IN)
    with pytest.raises(AudioError, match="at least"):
        load_audio(path, min_duration=0.5)
