"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.deps import DataPlaneDep, MetricsDep
from app.api.openapi import media, problems
from app.api.problems import problem

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Model loaded and job queue reachable (predictions work without the queue)",
    responses=problems(503),
)
def readyz(dataplane: DataPlaneDep):
    checks = dataplane.readiness()
    if all(checks.values()):
        return {"status": "ready", "checks": checks}
    failing = ", ".join(k for k, ok in checks.items() if not ok)
    return problem(503, f"not ready: {failing}", title="Service unavailable", checks=checks)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses=media(CONTENT_TYPE_LATEST.split(";")[0]),
)
def metrics(dataplane: DataPlaneDep, metrics: MetricsDep) -> Response:
    figures = dataplane.job_figures()
    if figures is not None:  # else the ledger's store is down: serve what this process knows
        counts, finished = figures
        for status, value in counts.items():
            metrics.queue_depth.labels(status.value).set(value)
        metrics.observe_finished(finished)
    metrics.store.latest = dataplane.store_stats() or metrics.store.latest
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
