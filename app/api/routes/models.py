"""``/v1/models`` and ``/v1/options``: what this service can use and what a request may choose."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import DataPlaneDep
from musicxai.service.schemas import ExplanationOptions, Models

router = APIRouter(prefix="/v1", tags=["models"])


@router.get("/models", response_model=Models, summary="Bundles: genres, held-out metrics, feature settings, limits")
def list_models(dataplane: DataPlaneDep) -> Models:
    return dataplane.catalog.models()


@router.get(
    "/options",
    response_model=ExplanationOptions,
    summary="Explanation methods, segmentations and baselines with their labels, and the defaults",
)
def list_options(dataplane: DataPlaneDep) -> ExplanationOptions:
    return dataplane.catalog.options()
