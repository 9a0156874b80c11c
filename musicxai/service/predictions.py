"""A prediction: genre probabilities now, and the explanation jobs it asks for queued on the same clip.

The clip is stored first, so its id can be explained later; when the store cannot keep it (full,
or unreachable), the prediction is still answered and only the jobs it asked for are refused. The
clip is decoded in a sandboxed child process and checked (silence refused, quality warnings)
before the model sees it.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from musicxai.audio.sandbox import decode_isolated
from musicxai.config import Settings
from musicxai.errors import ServiceUnavailableError, StorageFullError, validated
from musicxai.explain.attribution import Method
from musicxai.explain.params import ExplanationParams
from musicxai.model.features import clip_log_mel
from musicxai.model.quality import assess
from musicxai.model.registry import ModelRegistry
from musicxai.service.clips import Clips, StoredClip
from musicxai.service.jobs import Jobs
from musicxai.service.ledger import JobRecord
from musicxai.service.schemas import Prediction

log = logging.getLogger(__name__)
TOP_GENRES = 3  # genres a prediction lists by name, highest first


class Predictions:
    def __init__(self, settings: Settings, registry: ModelRegistry, clips: Clips, jobs: Jobs) -> None:
        self.settings, self.registry, self.clips, self.jobs = settings, registry, clips, jobs

    def predict(
        self,
        data: bytes,
        *,
        model: str | None = None,
        explain: list[Method] | None = None,
        options: dict[str, Any] | None = None,
        owner: str | None = None,
    ) -> tuple[Prediction, list[JobRecord]]:
        """Classify now; queue one job per method in ``explain`` with the given parameter ``options``."""
        name = self.registry.resolve(model)
        methods = list(dict.fromkeys(explain or []))
        job_params = [validated(ExplanationParams, {**(options or {}), "method": m}) for m in methods]
        not_kept = None
        try:
            clip = self.clips.store(data, owner=owner)
        except (ServiceUnavailableError, StorageFullError) as exc:  # predictions still answer, jobs cannot start
            if methods:
                raise
            log.warning("prediction served without storing the clip: %s", exc.detail)
            clip = StoredClip(hashlib.sha256(data).hexdigest(), data)
            self.clips.refused(clip.sha256, owner=owner)
            not_kept = (
                f"The clip could not be kept ({exc.detail}), so this prediction's id cannot be explained later; "
                "ask for explanations with the upload itself (explain=… here, or multipart to /v1/explanations)."
            )
        classifier = self.registry.get(name)
        audio = decode_isolated(clip.data, sr=classifier.features.sample_rate, **self.settings.decode_limits())
        S = clip_log_mel(audio.samples, classifier.features)
        warnings = assess(audio, S, classifier.features, self.settings.quality_limits(), self.registry.detector())
        prediction = classifier.classify(audio.samples) if classifier.takes_audio else classifier.classify_log_mel(S)
        jobs = [self.jobs.create(clip, params, model=name, owner=owner) for params in job_params]
        return Prediction(
            id=clip.sha256,
            model=name,
            duration_s=round(audio.duration_s, 3),
            source_duration_s=round(audio.source_duration_s, 3),
            truncated=audio.truncated,
            max_duration_s=self.settings.max_duration_s,
            windows=int(prediction.window_probabilities.shape[0]),
            kind=classifier.meta.output.kind,
            probabilities=prediction.as_dict(),
            top=prediction.top(TOP_GENRES),
            warnings=warnings,
            explainable=not_kept is None,
            not_explainable=not_kept,
        ), jobs
