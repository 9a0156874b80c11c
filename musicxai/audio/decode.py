"""Decoding any accepted upload into mono float32 at the model's sample rate.

libsndfile (through soundfile) is tried first: it is fast and reads WAV, FLAC, OGG/Vorbis, Opus
and MP3. What it refuses (AAC/m4a, some odd files) goes to an ffmpeg child process. Every way
decoding can fail ends in one :class:`~musicxai.errors.AudioError` with a message a person can act on.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf
import soxr

from musicxai.config import DECODE_TIMEOUT_S, MIN_DURATION_S, SAMPLE_RATE_RANGE
from musicxai.errors import AudioError

AudioSource = str | Path | bytes


class DecodedAudio(NamedTuple):
    """Mono float32 samples at ``sample_rate``; ``source_duration_s`` is the length before any cap."""

    samples: np.ndarray
    sample_rate: int
    source_duration_s: float

    @property
    def duration_s(self) -> float:
        return self.samples.shape[-1] / self.sample_rate

    @property
    def truncated(self) -> bool:
        return self.source_duration_s > self.duration_s + 1e-3


def load_audio(
    source: AudioSource,
    *,
    sr: int = 22050,
    max_duration: float | None = None,
    min_duration: float = MIN_DURATION_S,
    timeout_s: float = DECODE_TIMEOUT_S,
) -> DecodedAudio:
    """Decode ``source`` (a path or the file's bytes) to mono float32 at ``sr`` Hz.

    Parameters
    ----------
    max_duration : analyse at most this many seconds from the start (decoding stops there,
        so a long upload costs no more than the cap).
    min_duration : shorter audio is refused: a classifier cannot say anything about it.
    timeout_s : an ffmpeg child still decoding after this long is stopped.
    """
    if sr <= 0:
        raise AudioError(f"sr={sr} must be a positive sample rate")
    try:
        samples, native_sr, source_duration = _read_soundfile(source, max_duration)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        samples, native_sr, source_duration = _read_ffmpeg(source, sr, max_duration, timeout_s)
    low, high = SAMPLE_RATE_RANGE
    if not low <= native_sr <= high:
        raise AudioError(f"The file's sample rate is {native_sr} Hz; audio between {low} and {high} Hz is accepted.")
    if samples.size == 0:
        raise AudioError("The file decodes to no audio samples at all.")
    if not np.all(np.isfinite(samples)):
        raise AudioError("The decoded audio contains NaN or infinite samples.")
    if native_sr != sr:
        samples = soxr.resample(samples, native_sr, sr, quality="HQ")  # what librosa's soxr_hq calls
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    duration = samples.shape[-1] / sr
    if duration < min_duration:
        raise AudioError(f"The clip is {duration:.2f} s long; at least {min_duration:.2f} s of audio is needed.")
    return DecodedAudio(samples, sr, max(source_duration, duration))


def _read_soundfile(source: AudioSource, max_duration: float | None) -> tuple[np.ndarray, int, float]:
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    with sf.SoundFile(handle) as f:
        native_sr = int(f.samplerate)
        total = f.frames
        frames = total if max_duration is None else min(total, round(max_duration * native_sr))
        data = f.read(frames=frames, dtype="float32", always_2d=True)
    return data.mean(axis=1), native_sr, total / native_sr


def _read_ffmpeg(
    source: AudioSource, sr: int, max_duration: float | None, timeout_s: float
) -> tuple[np.ndarray, int, float]:
    """Decode with an ffmpeg child process straight to mono float32 at ``sr``."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise AudioError("This audio format cannot be read (libsndfile refused it and ffmpeg is not installed).")
    from_stdin = isinstance(source, bytes)
    cmd = [ffmpeg, "-nostdin", "-v", "error", "-i", "pipe:0" if from_stdin else str(source)]
    if max_duration is not None:
        cmd += ["-t", f"{max_duration:.3f}"]
    cmd += ["-vn", "-ac", "1", "-ar", str(sr), "-f", "f32le", "pipe:1"]
    try:
        done = subprocess.run(
            cmd,
            input=source if from_stdin else None,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"Decoding took longer than {timeout_s:.0f} s and was stopped.") from exc
    if done.returncode != 0 or not done.stdout:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        hint = reason[-1] if reason else "no audio stream found"
        raise AudioError(f"The file is not decodable audio ({hint}).")
    samples = np.frombuffer(done.stdout, dtype="<f4").copy()
    duration = samples.size / sr
    return samples, sr, _ffprobe_duration(source, timeout_s) or duration


def _ffprobe_duration(source: AudioSource, timeout_s: float) -> float | None:
    """Full length of the source, so a capped decode can still say how long the upload was."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None or isinstance(source, bytes):
        return None
    cmd = [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(source)]
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False).stdout
        return float(out.decode().strip())
    except (subprocess.TimeoutExpired, ValueError):
        return None
