from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.deps import MetricsDep, ServiceDep
from app.problems import problem
from musicxai.jobs import JobStatus

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="Model loaded and job queue reachable (predictions work without the queue)")
def readyz(request: Request, service: ServiceDep):
    checks = {"model": service.registry.is_loaded(), "queue": request.app.state.broker_ok()}
    if all(checks.values()):
        return {"status": "ready", "checks": checks}
    failing = ", ".join(k for k, ok in checks.items() if not ok)
    return problem(503, f"not ready: {failing}", title="Service unavailable", checks=checks)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(service: ServiceDep, metrics: MetricsDep) -> Response:
    counts = {JobStatus.queued: 0, JobStatus.running: 0}
    try:
        for record in service.ledger.unfinished():
            counts[record.status] += 1
        metrics.observe_finished(service.ledger.drain_finished())
    except Exception:  # the ledger's store is down: serve what this process knows
        counts = {}
    for status, value in counts.items():
        metrics.queue_depth.labels(status.value).set(value)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
