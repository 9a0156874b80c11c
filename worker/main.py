"""The Celery worker: one app built from settings, one task that hands its job id to ``run_job``."""

from __future__ import annotations

import logging

from celery import Celery
from celery.signals import worker_process_init

from musicxai.config import Settings
from musicxai.service.celery_app import EXPLAIN_TASK, create_celery
from musicxai.service.ledger import JobStatus
from worker.jobs import run_job
from worker.state import WorkerState

log = logging.getLogger(__name__)
MAX_RETRIES = 2


def create_worker_app(settings: Settings) -> Celery:
    app = create_celery(settings)
    state = WorkerState(settings)

    @worker_process_init.connect(weak=False)
    def _warm(**_kwargs) -> None:
        state.warm()

    @app.task(name=EXPLAIN_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
    def explain(self, job_id: str) -> dict:
        """Compute one explanation job; unexpected errors are retried, then recorded as failures."""
        try:
            return run_job(state, job_id, self.request.id)
        except Exception as exc:
            if self.request.retries < MAX_RETRIES:
                log.exception("job %s: unexpected error, retrying", job_id)
                state.ledger.update(job_id, stage="retrying after an internal error", heartbeat=None)
                raise self.retry(exc=exc, countdown=2) from exc
            log.exception("job %s: unexpected error, giving up", job_id)
            state.ledger.update(job_id, status=JobStatus.failed, stage="failed", error=f"Internal error: {exc}")
            return {"job_id": job_id, "status": "failed"}

    return app


def run_worker(
    settings: Settings, *, loglevel: str = "INFO", pool: str = "prefork", hostname: str | None = None
) -> None:
    """Block running a worker that consumes the explanation queue."""
    app = create_worker_app(settings)
    argv = [
        "worker",
        f"--queues={settings.explain_queue}",
        f"--concurrency={settings.worker_concurrency}",
        f"--pool={pool}",
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)
