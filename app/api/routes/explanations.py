from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.api.deps import MetricsDep, ServiceDep
from app.schemas import Job
from app.service import explanation_params
from musicxai.errors import ParameterError
from musicxai.explain import ExplanationParams
from musicxai.jobs import JobRecord, JobStatus

router = APIRouter(prefix="/v1/explanations", tags=["explanations"])

MEDIA_TYPES = {".png": "image/png", ".wav": "audio/wav", ".json": "application/json"}
PARAM_FIELDS = set(ExplanationParams.model_fields)
REQUEST_BODY = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["prediction_id"],
                "properties": {
                    "prediction_id": {"type": "string"},
                    "model": {"type": "string"},
                    **ExplanationParams.model_json_schema()["properties"],
                },
            },
            "example": {"prediction_id": "9f2c…", "method": "shap", "segmentation": "time_frequency"},
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}, "method": {"type": "string"}},
            }
        },
    }
}


def job_view(record: JobRecord) -> dict:
    base = f"/v1/explanations/{record.id}"
    links = {"self": base}
    if record.status == JobStatus.succeeded:
        links |= {
            "heatmap": f"{base}/heatmap.png",
            "audio": f"{base}/audio.wav",
            "complement_audio": f"{base}/complement.wav",
            "attributions": f"{base}/attributions.json",
            "faithfulness": f"{base}/faithfulness.png",
        }
    return {**record.model_dump(exclude={"clip", "heartbeat", "task_id"}), "links": links}


def _params(fields: dict) -> ExplanationParams:
    values = {k: v for k, v in fields.items() if k in PARAM_FIELDS and v not in (None, "")}
    if isinstance(values.get("genres"), str):
        values["genres"] = [g.strip() for g in values["genres"].split(",") if g.strip()]
    unknown = set(fields) - PARAM_FIELDS - {"prediction_id", "model", "file"}
    if unknown:
        raise ParameterError(f"unknown parameters: {', '.join(sorted(unknown))}")
    return explanation_params(values)


@router.post(
    "",
    status_code=202,
    response_model=Job,
    summary="Queue an explanation job (idempotent: the same request returns the same job)",
    openapi_extra={"requestBody": REQUEST_BODY},
)
async def create_explanation(request: Request, service: ServiceDep, metrics: MetricsDep) -> JSONResponse:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ParameterError("multipart requests need a 'file' part with the audio")
        fields = {k: v for k, v in form.items() if k != "file"}
        clip = await run_in_threadpool(service.store_upload, await upload.read())
    else:
        try:
            fields = await request.json()
        except ValueError as exc:
            raise ParameterError("the body must be JSON with a prediction_id, or multipart with a file") from exc
        if not isinstance(fields, dict) or not fields.get("prediction_id"):
            raise ParameterError("prediction_id is required (or send the clip as multipart 'file')")
        clip = await run_in_threadpool(service.stored_clip, str(fields["prediction_id"]))
    params = _params(fields)
    record = await run_in_threadpool(service.create_job, clip, params, model=fields.get("model") or None)
    metrics.jobs_created.labels(params.method).inc()
    location = f"/v1/explanations/{record.id}"
    return JSONResponse(job_view(record), status_code=202, headers={"Location": location})


@router.get("/{job_id}", response_model=Job, summary="Status, progress, result and artifact links of a job")
def read_explanation(job_id: str, service: ServiceDep) -> dict:
    return job_view(service.job(job_id))


@router.get(
    "/{job_id}/{name}",
    summary="An artifact of a finished job: heatmap.png, audio.wav, complement.wav, attributions.json, "
    "faithfulness.png",
    response_class=Response,
)
def read_artifact(job_id: str, name: str, service: ServiceDep, request: Request) -> Response:
    data = service.artifact(job_id, name)
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=86400, immutable"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    suffix = name[name.rfind(".") :]
    return Response(data, media_type=MEDIA_TYPES.get(suffix, "application/octet-stream"), headers=headers)
