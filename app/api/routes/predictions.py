from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from app.api.deps import MetricsDep, ServiceDep
from app.schemas import Prediction

router = APIRouter(prefix="/v1/predictions", tags=["predictions"])


@router.post(
    "",
    response_model=Prediction,
    summary="Classify a clip now; optionally queue explanations",
    responses={413: {"description": "too large"}, 415: {"description": "not audio"}, 422: {"description": "bad"}},
)
async def create_prediction(
    service: ServiceDep,
    metrics: MetricsDep,
    file: Annotated[UploadFile, File(description="audio clip: WAV, FLAC, OGG, MP3, M4A")],
    explain: Annotated[str | None, Query(description="comma-separated methods to queue: lime,shap")] = None,
    model: Annotated[str | None, Query(description="bundle name; default: the service's default")] = None,
    segmentation: Annotated[str | None, Query(description="segmentation for the queued jobs")] = None,
    num_samples: Annotated[int | None, Query(description="samples for the queued jobs")] = None,
    seed: Annotated[int | None, Query(description="random seed for the queued jobs")] = None,
) -> dict:
    data = await file.read()
    methods = [m.strip() for m in explain.split(",") if m.strip()] if explain else []
    started = time.perf_counter()
    options = {"segmentation": segmentation, "num_samples": num_samples, "seed": seed}
    job_options = {k: v for k, v in options.items() if v is not None}
    result = await run_in_threadpool(service.predict, data, model=model, explain=methods, options=job_options)
    metrics.predictions.labels(result["model"]).inc()
    metrics.prediction_seconds.labels(result["model"]).observe(time.perf_counter() - started)
    for job in result["explanations"]:
        metrics.jobs_created.labels(job["method"]).inc()
    return result
