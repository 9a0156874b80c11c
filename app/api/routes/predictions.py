"""``/v1/predictions``: classify a clip now, and optionally queue explanations of it."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from app.api.deps import DataPlaneDep, MetricsDep, OwnerDep
from app.api.openapi import problems
from app.api.schemas import JobRef, PredictionResponse
from musicxai.errors import choice
from musicxai.explain.attribution import Method
from musicxai.explain.params import MAX_NUM_SAMPLES
from musicxai.explain.segmentation import SegmentationKind

router = APIRouter(prefix="/v1/predictions", tags=["predictions"])


@router.post(
    "",
    response_model=PredictionResponse,
    summary="Classify a clip now; optionally queue explanations",
    responses=problems(404, 408, 413, 415, 422, 503, 507),
)
async def create_prediction(
    dataplane: DataPlaneDep,
    metrics: MetricsDep,
    owner: OwnerDep,
    file: Annotated[
        UploadFile, File(description="audio clip: WAV, FLAC, OGG, MP3, M4A", json_schema_extra={"minLength": 1})
    ],
    explain: Annotated[str | None, Query(description="comma-separated methods to queue: lime, shap, gradient")] = None,
    model: Annotated[str | None, Query(description="bundle name; default: the service's default")] = None,
    segmentation: Annotated[SegmentationKind | None, Query(description="segmentation for the queued jobs")] = None,
    num_samples: Annotated[int | None, Query(ge=10, le=MAX_NUM_SAMPLES, description="samples for the jobs")] = None,
    seed: Annotated[int | None, Query(ge=0, le=2**31 - 1, description="random seed for the queued jobs")] = None,
) -> PredictionResponse:
    data = await file.read()
    methods = [choice(Method, m.strip(), name="explain") for m in (explain or "").split(",") if m.strip()]
    started = time.perf_counter()
    options = {"segmentation": segmentation, "num_samples": num_samples, "seed": seed}
    job_options = {k: v for k, v in options.items() if v is not None}
    prediction, jobs = await run_in_threadpool(
        dataplane.predictions.predict, data, model=model, explain=methods, options=job_options, owner=owner
    )
    metrics.predictions.labels(prediction.model).inc()
    metrics.prediction_seconds.labels(prediction.model).observe(time.perf_counter() - started)
    for job in jobs:
        metrics.jobs_created.labels(job.method).inc()
    return PredictionResponse(**dict(prediction), explanations=[JobRef.of(j) for j in jobs])
