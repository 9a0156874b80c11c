"""Named dependencies for the routes: the data plane and the metrics, both set up by the app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.metrics import ApiMetrics
from musicxai.service.dataplane import DataPlane


def get_dataplane(request: Request) -> DataPlane:
    return request.app.state.dataplane


def get_metrics(request: Request) -> ApiMetrics:
    return request.app.state.metrics


DataPlaneDep = Annotated[DataPlane, Depends(get_dataplane)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]
