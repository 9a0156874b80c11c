"""The app factory: ``create_app(settings)`` builds the service; the lifespan loads what it needs.

The default model is loaded and compiled before the first request; the job ledger, blob store and
Celery client are opened once; a sweeper thread re-queues jobs whose worker vanished.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from app.api.routes import explanations, global_ale, health, models, predictions
from app.body_limit import BodyLimitMiddleware
from app.metrics import ApiMetrics, LatencyMiddleware
from app.problems import install_problem_handlers
from app.service import ExplanationService
from musicxai.config import Settings
from musicxai.jobs import open_ledger
from musicxai.queue import create_celery
from musicxai.registry import ModelRegistry
from musicxai.storage import open_blob_store, redis_client
from musicxai.sweeper import Sweeper

log = logging.getLogger(__name__)
MULTIPART_SLACK = 64 * 1024
STATIC = Path(__file__).parent / "static"


def _broker_check(settings: Settings):
    if settings.embedded:
        folder = Path(settings.data_dir) / "broker" / "queue"
        return lambda: folder.is_dir()
    client = redis_client(settings)

    def ping() -> bool:
        try:
            return bool(client.ping())
        except Exception:
            return False

    return ping


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        registry = ModelRegistry(
            settings.models_dir,
            default=settings.default_model,
            batch_size=settings.model_batch_size,
            backend=settings.backend,
        )
        registry.get()  # load + compile the default model before serving
        celery = create_celery(settings)
        ledger = open_ledger(settings)
        app.state.service = ExplanationService(settings, registry, ledger, open_blob_store(settings), celery)
        app.state.broker_ok = _broker_check(settings)
        sweeper = Sweeper(ledger, celery, settings)
        sweeper.start()
        log.info("serving model %s (%s mode)", registry.bundle_id(), "embedded" if settings.embedded else "redis")
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
    for router in (predictions.router, explanations.router, global_ale.router, models.router, health.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.add_middleware(LatencyMiddleware, metrics=app.state.metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes + MULTIPART_SLACK)
    return app
