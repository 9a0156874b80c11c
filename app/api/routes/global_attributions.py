"""``/v1/global/attributions``: what the model listens to, per genre. A bundle's maps come from its
held-out tracks (computed offline, like ALE); a batch makes them from clips a user uploaded."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.api import urls
from app.api.caching import BUNDLE_CACHE, cacheable
from app.api.deps import DataPlaneDep, MetricsDep, OwnerDep
from app.api.openapi import media, problems
from app.api.requests import BatchRequest
from app.api.schemas import Batch, BundleGenreMaps

router = APIRouter(prefix=urls.ATTRIBUTIONS, tags=["global explanations"])
ModelQuery = Annotated[str | None, Query(description="bundle name; default: the service's default")]
PNG = "image/png"


@router.get(
    "",
    response_model=BundleGenreMaps,
    summary="A bundle's per-genre attribution maps over its held-out tracks (relative time × mel band, "
    "relative time × harmonic/percussive: mean share of each clip's evidence and its spread)",
    responses=problems(404),
)
def read_bundle_maps(dataplane: DataPlaneDep, model: ModelQuery = None) -> BundleGenreMaps:
    return BundleGenreMaps.of(dataplane.catalog.genre_maps(model), asked=model)


@router.post(
    "/batches",
    status_code=202,
    response_model=Batch,
    summary="Per-genre maps over your own clips: queue (or find) both explanation jobs of every named "
    "prediction; idempotent, the same request returns the same batch",
    responses=problems(400, 404, 410, 422, 429, 503, 507),
)
async def create_batch(
    body: BatchRequest, dataplane: DataPlaneDep, metrics: MetricsDep, owner: OwnerDep
) -> JSONResponse:
    batch = await run_in_threadpool(
        dataplane.genre_maps.create,
        body.prediction_ids,
        model=body.model,
        method=body.method,
        seed=body.seed,
        owner=owner,
    )
    metrics.jobs_created.labels(body.method).inc(len(batch.members))
    return JSONResponse(
        Batch.of(batch).model_dump(mode="json"), status_code=202, headers={"Location": urls.batch(batch.id)}
    )


@router.get(
    "/batches/{batch_id}",
    response_model=Batch,
    summary="A batch's status (read from its member jobs) and, once they have finished, its maps",
    responses=problems(404, 503),
)
def read_batch(batch_id: str, dataplane: DataPlaneDep, owner: OwnerDep) -> Batch:
    return Batch.of(dataplane.genre_maps.status(batch_id, owner=owner))


@router.get(
    "/batches/{batch_id}/{filename}",
    summary="A finished batch's picture: time_band.png or time_source.png",
    response_class=Response,
    responses=media(PNG) | problems(404, 503),
)
def read_batch_picture(batch_id: str, filename: str, dataplane: DataPlaneDep, owner: OwnerDep) -> Response:
    return Response(dataplane.genre_maps.picture(batch_id, filename, owner=owner), media_type=PNG)


@router.get(
    "/{filename}",
    summary="A bundle's map picture: time_band.png or time_source.png, every genre on one colour scale",
    response_class=Response,
    responses=media(PNG) | {304: {"description": "Not Modified"}} | problems(404),
)
def read_bundle_picture(filename: str, dataplane: DataPlaneDep, request: Request, model: ModelQuery = None) -> Response:
    data = dataplane.catalog.genre_maps_png(model, filename)
    etag = f'"{dataplane.catalog.version(model, filename)}"'
    return cacheable(request, data, etag=etag, media_type=PNG, cache_control=BUNDLE_CACHE)
