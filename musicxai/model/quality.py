"""Is this clip fit to be classified? Silence is refused; clipping, a narrow frequency band and an
upload cut to the duration limit are warned about, in words a listener understands.

Every check reads what the service computes anyway: the decoded samples, and the log-mel the model
will see (so "narrow band" means the model's own upper mel bands hold next to nothing).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from pydantic import BaseModel

from musicxai.audio.decode import DecodedAudio
from musicxai.config import DEFAULT_QUALITY, QualityLimits
from musicxai.errors import AudioError
from musicxai.model.detector import MusicDetector
from musicxai.model.features import FeatureSettings

CLIP_LEVEL = 0.999  # |sample| at or above this is at full scale


class SilentAudioError(AudioError):
    """The clip is silence or a constant level: there is nothing to classify."""

    code = "silent"


class WarningCode(StrEnum):
    not_music = "not_music"
    low_bandwidth = "low_bandwidth"
    clipped = "clipped"
    truncated = "truncated"


class QualityWarning(BaseModel):
    """Something about the clip that makes the answer mean less, said for a listener."""

    code: WarningCode
    detail: str


def assess(
    audio: DecodedAudio,
    S: np.ndarray,
    settings: FeatureSettings,
    limits: QualityLimits = DEFAULT_QUALITY,
    detector: MusicDetector | None = None,
) -> list[QualityWarning]:
    """The warnings for one decoded clip and its log-mel ``S`` [shape=(n_mels, t)]; with ``detector``,
    also whether it sounds like music at all.

    Raises :class:`SilentAudioError` (422, ``code: silent``) for silence or a constant level.
    """
    y = audio.samples
    rms = float(np.sqrt(np.mean((y.astype(np.float64) - float(np.mean(y))) ** 2)))
    if rms < limits.silence_rms:
        raise SilentAudioError(
            f"The clip is silent or a constant level (RMS {_dbfs(rms)} around its mean): there is no sound to classify."
        )
    warnings = []
    if detector is not None:
        music = detector.music_probability(y, audio.sample_rate, log_mel=(S, settings))
        if not detector.is_music(music, limits.not_music_threshold):
            warnings.append(
                QualityWarning(
                    code=WarningCode.not_music,
                    detail=f"This does not sound like music (the music detector gives it {100 * music:.0f} %): "
                    "speech, sound effects, noise or tones get a genre all the same, but it means little.",
                )
            )
    at_full_scale = float(np.mean(np.abs(y) >= CLIP_LEVEL))
    if at_full_scale > limits.clipped_fraction:
        peak = float(np.max(np.abs(y)))
        beyond = f"; its peak is {peak:.3g} times full scale" if peak > 1.0 + 1e-3 else ""
        warnings.append(
            QualityWarning(
                code=WarningCode.clipped,
                detail=f"{100 * at_full_scale:.1f} % of the samples are at full scale{beyond}: the clip is "
                "clipped (distorted), and the model never heard music like that.",
            )
        )
    cutoff = settings.sample_rate / 4  # half of the band the model hears
    upper = settings.mel_frequencies() >= cutoff
    power = settings.to_power(S.astype(np.float64)).sum(axis=1)
    if upper.any() and power[upper].sum() < limits.band_floor * max(float(power.sum()), 1e-30):
        warnings.append(
            QualityWarning(
                code=WarningCode.low_bandwidth,
                detail=f"There is almost no sound above {cutoff / 1000:.1f} kHz (like a telephone or AM radio "
                "recording): the model's upper frequency bands hear silence, so its answer means less.",
            )
        )
    if audio.truncated:
        warnings.append(
            QualityWarning(
                code=WarningCode.truncated,
                detail=f"Only the first {audio.duration_s:.0f} s of the {audio.source_duration_s:.0f} s upload "
                "were analysed.",
            )
        )
    return warnings


def _dbfs(rms: float) -> str:
    return f"{20 * np.log10(rms):.0f} dBFS" if rms > 0 else "zero"
