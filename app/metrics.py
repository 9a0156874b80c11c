"""Prometheus metrics of the API process: request latency, predictions, jobs and queue depth."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Receive, Scope, Send


class ApiMetrics:
    """One registry per app instance, so tests can build several apps in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "musicxai_http_request_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.predictions = Counter("musicxai_predictions_total", "Clips classified", ["model"], registry=self.registry)
        self.prediction_seconds = Histogram(
            "musicxai_prediction_seconds", "Decode + features + model for one clip", ["model"], registry=self.registry
        )
        self.jobs_created = Counter(
            "musicxai_explanation_jobs_total", "Explanation jobs requested", ["method"], registry=self.registry
        )
        self.queue_depth = Gauge(
            "musicxai_jobs_unfinished", "Jobs queued or running, from the ledger", ["status"], registry=self.registry
        )


class LatencyMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]
        started = time.perf_counter()

        async def recording_send(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            self.metrics.latency.labels(scope["method"], path, str(status[0])).observe(time.perf_counter() - started)
