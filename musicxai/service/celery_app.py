"""Celery configuration shared by the API (which sends jobs) and the workers (which run them).

Distributed: Redis as broker and result backend, with a visibility timeout longer than any job so
nothing runs twice, and fast restoring of messages a dead worker left unacknowledged. Embedded:
kombu's filesystem transport and a SQLite result backend under ``data_dir``, no server needed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from celery import Celery

from musicxai.config import Settings
from musicxai.errors import ServiceUnavailableError

EXPLAIN_TASK = "musicxai.explain"
UNACKED_RESTORE_INTERVAL_S = 5  # how soon a dead worker's unacknowledged message is handed out again
RESULT_EXPIRES_S = 24 * 3600  # Celery's own results; the ledger keeps what the API serves


def _broker_dirs(settings: Settings) -> dict[str, Path]:
    root = settings.data_dir / "broker"
    return {"queue": root / "queue", "processed": root / "processed", "control": root / "control"}


def create_celery(settings: Settings) -> Celery:
    app = Celery("musicxai")
    if settings.embedded:
        dirs = _broker_dirs(settings)
        queue_dir = dirs["queue"]
        processed = dirs["processed"]
        queue_dir.mkdir(parents=True, exist_ok=True)
        processed.mkdir(parents=True, exist_ok=True)
        app.conf.broker_url = "filesystem://"
        app.conf.broker_transport_options = {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "processed_folder": str(processed),
            "control_folder": str(dirs["control"]),
            "store_processed": False,
        }
        app.conf.result_backend = f"db+sqlite:///{(settings.data_dir / 'celery-results.sqlite').resolve()}"
    else:
        visibility = max(3600, 3 * settings.job_time_limit_s)
        options = {
            "visibility_timeout": visibility,
            "unacked_restore_interval": UNACKED_RESTORE_INTERVAL_S,
            "socket_connect_timeout": settings.redis_connect_timeout_s,
            "socket_timeout": settings.redis_socket_timeout_s,
        }
        app.conf.broker_url = settings.redis_url
        app.conf.result_backend = settings.redis_url
        app.conf.broker_transport_options = options
        app.conf.result_backend_transport_options = {"visibility_timeout": visibility}
        app.conf.visibility_timeout = visibility
        app.conf.redis_socket_connect_timeout = settings.redis_connect_timeout_s
        app.conf.redis_socket_timeout = settings.redis_socket_timeout_s
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_routes={EXPLAIN_TASK: {"queue": settings.explain_queue}},
        task_soft_time_limit=settings.job_soft_time_limit_s,
        task_time_limit=settings.job_time_limit_s,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=RESULT_EXPIRES_S,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=True,
        # a new pool process loads and compiles the model before it reports up (seconds, more under load)
        worker_proc_alive_timeout=120,
    )
    return app


def enqueue_explanation(app: Celery, settings: Settings, job_id: str, attempt: int = 0) -> None:
    """Send one explanation message; a broker that does not answer is a 503, not a hang."""
    try:
        app.send_task(
            EXPLAIN_TASK,
            args=[job_id],
            task_id=f"{job_id}-{attempt}",
            queue=settings.explain_queue,
            retry=False,
        )
    except Exception as exc:  # kombu/redis raise several connection error types
        raise ServiceUnavailableError(
            "The job queue is unreachable; predictions still work, explanations cannot be queued now."
        ) from exc


def broker_check(settings: Settings) -> Callable[[], bool]:
    """A cheap "is the queue reachable?" for readiness: the broker folder, or a Redis PING."""
    if settings.embedded:
        folder = _broker_dirs(settings)["queue"]
        return folder.is_dir
    from musicxai.service.stores import redis_client

    client = redis_client(settings)

    def ping() -> bool:
        try:
            return bool(client.ping())
        except Exception:  # any connection failure means "not reachable"
            return False

    return ping
