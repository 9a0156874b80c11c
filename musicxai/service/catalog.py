"""What the service offers, as typed answers: its models with their limits, the explanation options
a request may choose, and each bundle's global explanations (ALE plots, per-genre maps), read from
the bundle's files."""

from __future__ import annotations

from musicxai.audio.sniff import ACCEPTED
from musicxai.config import Settings
from musicxai.explain.attribution import Games, Method
from musicxai.explain.baseline import Baseline
from musicxai.explain.genre_maps import GenreMaps, read_genre_maps, read_genre_maps_png
from musicxai.explain.params import ExplanationParams
from musicxai.explain.segmentation import SegmentationKind
from musicxai.model.bundle import AleIndex, read_ale_file, read_ale_index
from musicxai.model.registry import ModelRegistry
from musicxai.service.schemas import Choice, ExplanationOptions, Limits, ModelInfo, Models


class Catalog:
    def __init__(self, settings: Settings, registry: ModelRegistry) -> None:
        self.settings, self.registry = settings, registry

    def models(self) -> Models:
        registry, settings = self.registry, self.settings
        models = []
        for name in registry.names():
            meta, loaded = registry.meta(name), registry.loaded(name)
            models.append(
                ModelInfo(
                    name=name,
                    default=name == registry.default,
                    id=registry.bundle_id(name),
                    architecture=meta.architecture,
                    genres=meta.genres,
                    input=meta.input.model_dump(),
                    output=meta.output.model_dump(),
                    model_format=meta.runtime.kind,
                    gradients=meta.has_gradients,
                    provenance=meta.provenance,
                    explanation_defaults=meta.explanation_defaults,
                    sanity_checks=meta.sanity_checks,
                    features=meta.features.model_dump(),
                    training_data=meta.training_data.model_dump() if meta.training_data else None,
                    split=meta.split.model_dump(exclude={"test_tracks"}) if meta.split else None,
                    metrics=meta.metrics.test.model_dump() if meta.metrics else None,
                    backend=loaded.runner.backend if loaded else None,
                    runtime=loaded.runner.runtime if loaded else None,
                    device=loaded.runner.device if loaded else None,
                    created=meta.created,
                )
            )
        limits = Limits(
            max_upload_bytes=settings.max_upload_bytes,
            max_duration_s=settings.max_duration_s,
            min_duration_s=settings.min_duration_s,
            max_num_samples=settings.max_num_samples,
            accepted_formats=ACCEPTED,
        )
        return Models(default=registry.default, models=models, limits=limits)

    def options(self) -> ExplanationOptions:
        return ExplanationOptions(
            methods=[Choice(value=m, label=m.label) for m in Method],
            games=[Choice(value=g, label=g.label) for g in Games],
            segmentations=[Choice(value=s, label=s.label) for s in SegmentationKind],
            baselines=[Choice(value=b, label=b.label) for b in Baseline],
            defaults=ExplanationParams(),
            max_num_samples=self.settings.max_num_samples,
        )

    def version(self, model: str | None, filename: str) -> str:
        """A tag for one of a bundle's files that changes with its weights (the bundle id)."""
        return f"{self.registry.bundle_id(model)}:{filename}"

    def ale_index(self, model: str | None) -> tuple[str, AleIndex]:
        """The resolved model name and its ALE index."""
        return self.registry.resolve(model), read_ale_index(self.registry.path(model))

    def ale_file(self, model: str | None, filename: str) -> bytes:
        return read_ale_file(self.registry.path(model), filename)

    def genre_maps(self, model: str | None) -> GenreMaps:
        """The bundle's per-genre maps over its held-out tracks (computed offline, like ALE)."""
        return read_genre_maps(self.registry.path(model))

    def genre_maps_png(self, model: str | None, filename: str) -> bytes:
        return read_genre_maps_png(self.registry.path(model), filename)
