"""MIDI -> GTZAN-like audio: FluidSynth under a timeout, then a light, randomised mix (EQ, room, noise, level).

GTZAN clips are 22 050 Hz mono 16-bit WAVs of one fixed length; clips made here match that exactly.
"""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from training.corpus.tools import TOOL_TIMEOUT_S, CorpusError, Toolchain

SAMPLE_RATE = 22050
SYNTH_GAIN = 0.5  # FluidSynth's master gain; the level is set afterwards by peak normalisation
_FADE_IN_S, _FADE_OUT_S = 0.01, 0.05


@dataclass(frozen=True)
class Mix:
    """Per-clip post-processing, so that clips differ in tone, room and level as recordings do."""

    highpass_hz: float
    lowpass_hz: float
    reverb_rt60_s: float
    reverb_wet: float
    noise_snr_db: float
    peak_dbfs: float

    def record(self) -> dict:
        return asdict(self)


def draw_mix(rng: np.random.Generator) -> Mix:
    """Values are rounded before use so the manifest states exactly what was applied."""
    return Mix(
        highpass_hz=round(float(rng.uniform(25.0, 100.0)), 1),
        lowpass_hz=round(float(rng.uniform(6000.0, 10500.0)), 0),
        reverb_rt60_s=round(float(rng.uniform(0.2, 1.2)), 3),
        reverb_wet=round(float(rng.uniform(0.03, 0.25)), 3),
        noise_snr_db=round(float(rng.uniform(40.0, 65.0)), 1),
        peak_dbfs=round(float(rng.uniform(-6.0, -1.0)), 2),
    )


def synthesize(tools: Toolchain, soundfont: Path, midi_path: Path, wav_path: Path) -> np.ndarray:
    """Render with the FluidSynth CLI (float output, so nothing clips before mixing); mono float64."""
    cmd = [tools.fluidsynth, "-ni", "-q", "-g", str(SYNTH_GAIN), "-r", str(SAMPLE_RATE), "-O", "float"]
    cmd += ["-F", str(wav_path), str(soundfont), str(midi_path)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise CorpusError(f"FluidSynth took longer than {TOOL_TIMEOUT_S:.0f} s on {midi_path.name}") from exc
    if done.returncode != 0 or not wav_path.is_file():
        raise CorpusError(f"FluidSynth failed: {(done.stdout + done.stderr).strip()[-500:]}")
    audio, rate = sf.read(wav_path, dtype="float64", always_2d=True)
    if rate != SAMPLE_RATE:
        raise CorpusError(f"FluidSynth wrote {rate} Hz instead of {SAMPLE_RATE} Hz")
    return audio.mean(axis=1)


def fit_length(audio: np.ndarray, samples: int) -> np.ndarray:
    """Trim, or pad with silence, to exactly `samples`."""
    return np.pad(audio[:samples], (0, max(0, samples - audio.size)))


def _room_response(rt60_s: float, rng: np.random.Generator) -> np.ndarray:
    """Exponentially decaying noise (-60 dB at rt60), darkened and energy-normalised: a plain diffuse room."""
    n = int(rt60_s * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    tail = rng.standard_normal(n) * np.exp(-6.91 * t / rt60_s)
    tail = signal.sosfilt(signal.butter(1, 4000.0, "lowpass", fs=SAMPLE_RATE, output="sos"), tail)
    return tail / np.sqrt(np.sum(tail**2))


def apply_mix(audio: np.ndarray, mix: Mix, rng: np.random.Generator) -> np.ndarray:
    """EQ band limits, room reverb, a noise floor, short fades at the cuts, then peak level below 0 dBFS."""
    eq = signal.butter(2, [mix.highpass_hz, mix.lowpass_hz], "bandpass", fs=SAMPLE_RATE, output="sos")
    dry = signal.sosfilt(eq, audio)
    wet = signal.fftconvolve(dry, _room_response(mix.reverb_rt60_s, rng))[: dry.size]
    out = (1.0 - mix.reverb_wet) * dry + mix.reverb_wet * wet
    rms = np.sqrt(np.mean(out**2))
    if rms == 0.0:
        raise CorpusError("the rendered clip is silent")
    out = out + rng.standard_normal(out.size) * rms * 10 ** (-mix.noise_snr_db / 20)
    fade_in, fade_out = int(_FADE_IN_S * SAMPLE_RATE), int(_FADE_OUT_S * SAMPLE_RATE)
    out[:fade_in] *= np.linspace(0.0, 1.0, fade_in)
    out[-fade_out:] *= np.linspace(1.0, 0.0, fade_out)
    return out * (10 ** (mix.peak_dbfs / 20) / np.max(np.abs(out)))


def write_wav(path: Path, audio: np.ndarray) -> None:
    sf.write(path, audio, SAMPLE_RATE, subtype="PCM_16")
