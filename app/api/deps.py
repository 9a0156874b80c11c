"""Named dependencies for the routes: the data plane and the metrics, both set up by the app, and
the owner of the request (the API key's name that admitted it, ``None`` when keys are off)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.metrics import ApiMetrics
from musicxai.service.dataplane import DataPlane


def get_dataplane(request: Request) -> DataPlane:
    return request.app.state.dataplane


def get_metrics(request: Request) -> ApiMetrics:
    return request.app.state.metrics


def get_owner(request: Request) -> str | None:
    return getattr(request.state, "api_key", None)


DataPlaneDep = Annotated[DataPlane, Depends(get_dataplane)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]
OwnerDep = Annotated[str | None, Depends(get_owner)]
