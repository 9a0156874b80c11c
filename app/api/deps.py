"""Named dependencies for the routes: the service object and the metrics, both set up in the lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.metrics import ApiMetrics
from app.service import ExplanationService


def get_service(request: Request) -> ExplanationService:
    return request.app.state.service


def get_metrics(request: Request) -> ApiMetrics:
    return request.app.state.metrics


ServiceDep = Annotated[ExplanationService, Depends(get_service)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]
