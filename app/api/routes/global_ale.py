"""``/v1/global/ale``: the bundle's ALE plots and curves, computed offline on its held-out tracks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api import urls
from app.api.caching import BUNDLE_CACHE, cacheable
from app.api.deps import DataPlaneDep
from app.api.openapi import media, problems
from app.api.schemas import AleGallery
from musicxai.model.bundle import ALE_FILE

router = APIRouter(prefix=urls.ALE, tags=["global explanations"])
MEDIA = {"png": "image/png", "json": "application/json"}
ModelQuery = Annotated[str | None, Query(description="bundle name; default: the service's default")]


@router.get(
    "",
    response_model=AleGallery,
    summary="Descriptors with ALE plots for a bundle, with units and links",
    responses=problems(404),
)
def list_ale(dataplane: DataPlaneDep, model: ModelQuery = None) -> AleGallery:
    name, index = dataplane.catalog.ale_index(model)
    return AleGallery.of(name, index, asked=model)


@router.get(
    "/{filename}",
    summary="One descriptor's ALE plot (.png) or curves (.json: bin edges, values per genre, counts)",
    response_class=Response,
    responses=media(*MEDIA.values()) | {304: {"description": "Not Modified"}} | problems(404),
)
def read_ale(filename: str, dataplane: DataPlaneDep, request: Request, model: ModelQuery = None) -> Response:
    data, version = dataplane.catalog.ale_file(model, filename), dataplane.catalog.version(model, filename)
    media_type = MEDIA[ALE_FILE.match(filename)["kind"]]
    return cacheable(request, data, etag=f'"{version}"', media_type=media_type, cache_control=BUNDLE_CACHE)
