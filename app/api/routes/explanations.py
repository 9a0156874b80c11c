"""``/v1/explanations``: queue a job (JSON naming a prediction, or multipart with the clip), read
its status, fetch its artifacts."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.api import urls
from app.api.caching import cacheable
from app.api.deps import DataPlaneDep, MetricsDep, OwnerDep
from app.api.openapi import media, problems, request_body
from app.api.requests import ExplanationRequest, ExplanationUpload
from app.api.schemas import Job
from musicxai.errors import ParameterError, validated
from musicxai.explain.attribution import Method
from musicxai.explain.compare import Comparison
from musicxai.explain.params import ExplanationParams

router = APIRouter(prefix=urls.EXPLANATIONS, tags=["explanations"])

MEDIA_TYPES = {".png": "image/png", ".wav": "audio/wav", ".json": "application/json"}
EXAMPLE = {"prediction_id": "9f2c…", **ExplanationParams(method=Method.shap).model_dump(mode="json", exclude_none=True)}


async def _read_request(request: Request) -> ExplanationRequest | ExplanationUpload:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ParameterError("multipart requests need a 'file' part with the audio")
        fields = {k: v for k, v in form.multi_items() if k != "file" and v != ""}
        return validated(ExplanationUpload, {**fields, "file": await upload.read()})
    try:
        body = await request.json()
    except ValueError as exc:
        raise ParameterError("the body must be JSON with a prediction_id, or multipart with a file") from exc
    if not isinstance(body, dict):
        raise ParameterError("the body must be a JSON object with a prediction_id")
    return validated(ExplanationRequest, {k: v for k, v in body.items() if v not in (None, "")})


@router.post(
    "",
    status_code=202,
    response_model=Job,
    summary="Queue an explanation job (idempotent: the same request returns the same job)",
    responses=problems(404, 408, 410, 413, 415, 422, 503, 507),
    openapi_extra=request_body(
        {"application/json": ExplanationRequest, "multipart/form-data": ExplanationUpload}, example=EXAMPLE
    ),
)
async def create_explanation(
    request: Request, dataplane: DataPlaneDep, metrics: MetricsDep, owner: OwnerDep
) -> JSONResponse:
    body = await _read_request(request)
    if isinstance(body, ExplanationUpload):
        clip = await run_in_threadpool(dataplane.clips.store, body.file, owner=owner)
    else:
        clip = await run_in_threadpool(dataplane.clips.get, body.prediction_id, owner=owner)
    params = body.params()
    record = await run_in_threadpool(dataplane.jobs.create, clip, params, model=body.model or None, owner=owner)
    metrics.jobs_created.labels(params.method).inc()
    return JSONResponse(
        Job.of(record).model_dump(mode="json"), status_code=202, headers={"Location": urls.job(record.id)}
    )


@router.get(
    "/{job_id}",
    response_model=Job,
    summary="Status, progress, result and artifact links of a job",
    responses=problems(404, 503),
)
def read_explanation(job_id: str, dataplane: DataPlaneDep, owner: OwnerDep) -> Job:
    record = dataplane.jobs.get(job_id, owner=owner)
    return Job.of(record, artifacts_stored=dataplane.jobs.artifacts_stored(record))


@router.get(
    "/{job_id}/compare/{other_id}",
    response_model=Comparison,
    summary="How two finished explanations of one clip agree: rank correlation, shared top segments and the "
    "segments they disagree on most (LIME against SHAP, or two models on the same segments)",
    responses=problems(404, 422, 503),
)
def compare_explanations(job_id: str, other_id: str, dataplane: DataPlaneDep, owner: OwnerDep) -> Comparison:
    return dataplane.jobs.compare(job_id, other_id, owner=owner)


@router.get(
    "/{job_id}/{name}",
    summary="An artifact of a finished job: heatmap.png, audio.wav, complement.wav, attributions.json, "
    "faithfulness.png; and preview.png as soon as the status document has a preview",
    response_class=Response,
    responses=media(*MEDIA_TYPES.values()) | {304: {"description": "Not Modified"}} | problems(404, 410, 503),
)
def read_artifact(job_id: str, name: str, dataplane: DataPlaneDep, owner: OwnerDep, request: Request) -> Response:
    data = dataplane.jobs.artifact(job_id, name, owner=owner)
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    media_type = MEDIA_TYPES.get(name[name.rfind(".") :], "application/octet-stream")
    return cacheable(request, data, etag=etag, media_type=media_type, cache_control="private, max-age=86400, immutable")
