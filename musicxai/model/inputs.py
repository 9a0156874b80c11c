"""What a model takes: our log-mel windows, a waveform, or a filterbank its own extractor defines.

A model made elsewhere keeps its preprocessing outside its graph (a Hugging Face export's
``preprocessor_config.json``), so a bundle declares it and the service reproduces it. Audio-taking
inputs (``waveform``, ``filterbank``) are fed whole or in chunks of ``chunk_seconds``; the clip's
output is the mean of its chunks' outputs, as Hugging Face pipelines and our own windows do. They
are explained in the audio domain (:mod:`musicxai.explain.perturbation`): a perturbed clip is real
audio, and the preprocessing here runs on it exactly as on an upload.
"""

from __future__ import annotations

from typing import Annotated, Literal

import librosa
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from musicxai.errors import ParameterError
from musicxai.model.features import LOG10_SCALE, FeatureSettings

KALDI_FRAME_MS = 25.0  # Kaldi's fbank defaults, the ones AST's extractor keeps
KALDI_SHIFT_MS = 10.0
KALDI_PREEMPHASIS = 0.97
KALDI_LOW_HZ = 20.0
EPS = float(np.finfo(np.float32).eps)


class LogMelWindows(BaseModel):
    """Our own input: the bundle's ``features`` cut into windows and standardised by ``normalisation``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["logmel_windows"] = "logmel_windows"


class _AudioInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sample_rate: int = Field(16000, gt=0, description="the rate the model was trained at; clips are resampled to it")
    chunk_seconds: float | None = Field(
        None, gt=0, description="fed in chunks this long (the mean of their outputs is the clip's); null: whole"
    )
    max_seconds: float | None = Field(None, gt=0, description="longer clips are cut to this before anything else")

    def pieces(self, n_samples: int) -> list[tuple[int, int]]:
        """Sample spans the model is fed: the whole clip, or consecutive chunks (a trailing part
        under half a chunk joins the chunk before it, so no piece is mostly padding)."""
        if n_samples <= 0:
            raise ParameterError("the clip holds no samples")
        if self.chunk_seconds is None:
            return [(0, n_samples)]
        size = max(1, round(self.chunk_seconds * self.sample_rate))
        starts = list(range(0, n_samples, size))
        if len(starts) > 1 and n_samples - starts[-1] < size / 2:
            starts.pop()
        return [(a, starts[i + 1] if i + 1 < len(starts) else n_samples) for i, a in enumerate(starts)]

    def grid(self) -> FeatureSettings:
        """The log-mel grid explanations segment and draw on, at the model's rate."""
        return FeatureSettings(
            sample_rate=self.sample_rate,
            n_fft=1024 if self.sample_rate <= 24000 else 2048,
            hop_length=256 if self.sample_rate <= 24000 else 512,
        )


class Waveform(_AudioInput):
    """Raw samples (Wav2Vec2, HuBERT, DistilHuBERT, WavLM): (batch, samples)."""

    kind: Literal["waveform"] = "waveform"
    normalize: bool = Field(False, description="zero mean, unit variance per piece (Wav2Vec2FeatureExtractor)")

    def prepare(self, pieces: list[np.ndarray]) -> np.ndarray:
        """Pieces of one length -> the model's input [shape=(n, samples)] float32."""
        x = np.stack(pieces).astype(np.float32)
        if self.normalize:
            x = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-7)
        return x


class Filterbank(_AudioInput):
    """A log filterbank its model's extractor defines: Kaldi's (AST) or a librosa log-mel of any settings.

    The result is (frames, bins) when ``layout`` is ``frames_bins`` (AST, musicnn), padded with
    ``pad_value`` or cut to ``frames``, then ``(x - mean) / (scale * std)``.
    """

    kind: Literal["filterbank"] = "filterbank"
    extractor: Literal["kaldi", "logmel-db", "logmel-ln", "logmel-log10"] = "kaldi"
    n_mels: int = Field(128, gt=0)
    n_fft: int = Field(
        512, gt=0, description="FFT size of the librosa extractors (kaldi: 25 ms padded to a power of two)"
    )
    hop_length: int = Field(160, gt=0, description="samples between frames of the librosa extractors (kaldi: 10 ms)")
    frames: int | None = Field(None, gt=0, description="padded or cut to this many frames; null: as many as come")
    layout: Literal["frames_bins", "bins_frames"] = "frames_bins"
    channel_axis: bool = Field(False, description="a trailing channel axis of 1 (Keras CNNs)")
    pad_value: float = 0.0
    mean: float = 0.0
    std: float = 1.0
    scale: float = Field(1.0, description="AST divides by 2·std: scale 2")

    @model_validator(mode="after")
    def _check(self) -> Filterbank:
        if self.std <= 0 or self.scale <= 0:
            raise ValueError("std and scale must be positive")
        if self.hop_length > self.n_fft:
            raise ValueError(f"hop_length={self.hop_length} must not exceed n_fft={self.n_fft}")
        return self

    def features(self, y: np.ndarray) -> np.ndarray:
        """One piece -> [shape=(frames, n_mels)] log filterbank, before padding and standardising."""
        y = np.asarray(y, dtype=np.float32)
        if self.extractor == "kaldi":
            return kaldi_fbank(y, self.sample_rate, self.n_mels)
        power = librosa.feature.melspectrogram(
            y=y, sr=self.sample_rate, n_fft=self.n_fft, hop_length=self.hop_length, n_mels=self.n_mels, power=2.0
        )
        if self.extractor == "logmel-db":
            S = librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None)
        elif self.extractor == "logmel-ln":
            S = np.log(np.maximum(power, 1e-10))
        else:
            S = np.log10(LOG10_SCALE * power + 1.0)
        return S.T.astype(np.float32)

    def prepare(self, pieces: list[np.ndarray]) -> np.ndarray:
        """Pieces -> the model's input [shape=(n, frames, bins)] (or bins × frames; a channel axis where declared)."""
        feats = [self.features(y) for y in pieces]
        length = self.frames or max(len(f) for f in feats)
        x = np.full((len(feats), length, self.n_mels), self.pad_value, dtype=np.float32)
        for i, f in enumerate(feats):
            x[i, : min(length, len(f))] = f[:length]
        x = (x - self.mean) / (self.scale * self.std)
        if self.layout == "bins_frames":
            x = x.transpose(0, 2, 1)
        return (x[..., None] if self.channel_axis else x).astype(np.float32)


def kaldi_fbank(y: np.ndarray, sample_rate: int, n_mels: int) -> np.ndarray:
    """Kaldi's log mel filterbank as AST's extractor asks it (``torchaudio.compliance.kaldi.fbank``
    with a Hanning window, no dither, no energy): 25 ms frames every 10 ms without centring, each
    frame's DC removed and pre-emphasised, power spectrum, triangles on Kaldi's mel scale from 20 Hz
    to Nyquist, natural log floored at float32 eps. [shape=(frames, n_mels)]"""
    width = round(sample_rate * KALDI_FRAME_MS / 1000)
    shift = round(sample_rate * KALDI_SHIFT_MS / 1000)
    if len(y) < width:
        y = np.pad(y, (0, width - len(y)))
    frames = np.lib.stride_tricks.sliding_window_view(y, width)[::shift].astype(np.float64)
    frames = frames - frames.mean(axis=1, keepdims=True)
    frames = np.concatenate(
        [frames[:, :1] * (1 - KALDI_PREEMPHASIS), frames[:, 1:] - KALDI_PREEMPHASIS * frames[:, :-1]], axis=1
    )
    frames *= np.hanning(width)  # symmetric Hann, torch.hann_window(periodic=False)
    n_fft = 1 << (width - 1).bit_length()  # Kaldi pads each frame to a power of two
    power = np.abs(np.fft.rfft(frames, n=n_fft)) ** 2
    mel = kaldi_mel_banks(n_mels, power.shape[1], sample_rate, n_fft=n_fft)
    return np.log(np.maximum(power @ mel.T, EPS)).astype(np.float32)


def kaldi_mel_banks(n_mels: int, n_bins: int, sample_rate: int, *, n_fft: int) -> np.ndarray:
    """Kaldi's triangular filters, triangular in mel = 1127 ln(1 + f / 700) [shape=(n_mels, n_bins)]."""

    def mel(f):
        return 1127.0 * np.log(1.0 + np.asarray(f) / 700.0)

    low, high = mel(KALDI_LOW_HZ), mel(sample_rate / 2)
    delta = (high - low) / (n_mels + 1)
    left = low + np.arange(n_mels)[:, None] * delta
    centre, right = left + delta, left + 2 * delta
    bins = mel(np.arange(n_bins) * sample_rate / n_fft)[None, :]
    up = (bins - left) / (centre - left)
    down = (right - bins) / (right - centre)
    return np.maximum(0.0, np.minimum(up, down))


ModelInput = Annotated[LogMelWindows | Waveform | Filterbank, Field(discriminator="kind")]
