"""The app factory: ``create_app(settings)`` builds the service; the lifespan loads what it needs.

The default model is loaded and compiled before the first request; the job ledger, blob store and
Celery client are opened once; a sweeper thread re-queues jobs whose worker vanished. With API keys
in the settings every ``/v1`` call needs one.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from app.api.openapi import install_request_schemas
from app.api.problems import install_problem_handlers
from app.api.requests import REQUEST_MODELS
from app.api.routes import explanations, global_ale, global_attributions, health, models, predictions
from app.api.schemas import Problem
from app.metrics import ApiMetrics
from app.middleware.admission import AdmissionMiddleware
from app.middleware.body_limit import BodyLimitMiddleware
from app.middleware.keys import PREFIX as KEYS_PREFIX
from app.middleware.keys import ApiKeyMiddleware
from app.middleware.latency import LatencyMiddleware
from musicxai.config import Settings
from musicxai.service.access import ApiKeys, RateLimits
from musicxai.service.dataplane import DataPlane
from musicxai.service.sweeper import Sweeper

log = logging.getLogger(__name__)
MULTIPART_SLACK = 64 * 1024  # multipart headers and boundaries around an upload of the maximum size
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        dataplane = DataPlane.open(settings)
        app.state.dataplane = dataplane
        sweeper = Sweeper(dataplane.ledger, dataplane.celery, settings, dataplane.blobs)
        sweeper.start()
        log.info(
            "serving model %s (%s mode)", dataplane.registry.bundle_id(), "embedded" if settings.embedded else "redis"
        )
        yield
        sweeper.stop()

    app = FastAPI(
        title="musicxai",
        summary="Music-genre predictions with LIME/SHAP explanations you can see and hear.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = ApiMetrics()
    install_problem_handlers(app)
    for router in (
        predictions.router,
        explanations.router,
        global_ale.router,
        global_attributions.router,
        models.router,
        health.router,
    ):
        app.include_router(router)
    keys = ApiKeys.parse(settings.api_keys)
    install_request_schemas(app, (*REQUEST_MODELS, Problem), keys_prefix=KEYS_PREFIX if keys else None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.add_middleware(
        AdmissionMiddleware,
        method="POST",
        path=predictions.router.prefix,
        limit=settings.max_inflight_predictions,
        retry_after_s=settings.prediction_retry_after_s,
        metrics=app.state.metrics,
    )
    if keys:  # outside the admission bound: a request without a key never takes a prediction slot
        limits = RateLimits(
            requests=settings.rate_limit, uploads=settings.upload_rate_limit, storage_uri=settings.redis_url
        )
        app.add_middleware(ApiKeyMiddleware, keys=keys, limits=limits, metrics=app.state.metrics)
    app.add_middleware(LatencyMiddleware, metrics=app.state.metrics)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_upload_bytes + MULTIPART_SLACK,
        timeout_s=settings.body_timeout_s,
    )
    return app
