from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import ServiceDep
from musicxai.media import ACCEPTED

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.get("", summary="Bundles this service can use: genres, held-out metrics, feature settings")
def list_models(service: ServiceDep) -> dict:
    registry = service.registry
    models = []
    for name in registry.names():
        meta = registry.meta(name)
        loaded = registry.is_loaded(name)
        models.append(
            {
                "name": name,
                "default": name == registry.default,
                "id": registry.bundle_id(name),
                "architecture": meta.architecture,
                "genres": meta.genres,
                "features": meta.features.model_dump(),
                "training_data": meta.training_data.model_dump(),
                "split": meta.split.model_dump(exclude={"test_tracks"}),
                "metrics": meta.metrics.test.model_dump() if meta.metrics else None,
                "backend": registry.get(name).runner.backend if loaded else None,
                "device": registry.get(name).runner.device if loaded else None,
                "created": meta.created,
            }
        )
    settings = service.settings
    limits = {
        "max_upload_bytes": settings.max_upload_bytes,
        "max_duration_s": settings.max_duration_s,
        "min_duration_s": settings.min_duration_s,
        "max_num_samples": settings.max_num_samples,
        "accepted_formats": ACCEPTED,
    }
    return {"default": registry.default, "models": models, "limits": limits}
