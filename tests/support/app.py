"""The app in this process: ``create_app(settings)`` behind httpx's ASGI transport, with the embedded
stores (SQLite ledger, local blobs, kombu's filesystem queue), so no Redis and no worker is needed.
A test that needs a finished job runs the worker's own job function here too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
from fastapi import FastAPI

from app.main import create_app
from musicxai.config import Settings
from tests.support.audio import wav_bytes
from worker.jobs import run_job
from worker.state import WorkerState


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings

    async def finish(self, job_id: str) -> dict:
        """Run the job as a worker would, in a thread of this process, and return its status document."""
        state = WorkerState(self.settings)
        await anyio.to_thread.run_sync(run_job, state, job_id, f"{job_id}-in-process")
        return (await self.client.get(f"/v1/explanations/{job_id}")).json()

    async def predict(self, seconds: float, *, clip: int = 0, **params) -> httpx.Response:
        """Upload a generated clip (``clip`` picks which) with the given query parameters."""
        files = {"file": ("clip.wav", wav_bytes(seconds, seed=clip), "audio/wav")}
        return await self.client.post("/v1/predictions", params=params, files=files)


def app_settings(bundle: Path, data_dir: Path, **overrides) -> Settings:
    """Settings for one test app: the given bundle folder, a private data folder, nothing from the
    environment or a ``.env`` file."""
    values = {"models_dir": bundle.parent, "default_model": bundle.name, "data_dir": data_dir, "redis_url": None}
    return Settings(_env_file=None, **(values | overrides))


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Api]:
    """The app with its lifespan run (model loaded, stores opened, sweeper started) and a client."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        # an unexpected error reaches the client as the 500 problem a real server sends, not as a raise
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://musicxai.test", timeout=60) as client:
            yield Api(app, client, settings)
