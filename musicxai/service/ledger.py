"""The job ledger: the record of every accepted explanation job, independent of the broker.

Celery reports any id it does not know as PENDING and a broker can drop an in-flight message (the
embedded filesystem transport does when a worker is killed). The ledger is what the API reads, what
the worker updates with progress and heartbeats, and what the sweeper uses to re-queue jobs whose
worker vanished, so no accepted job is lost silently.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from musicxai.config import Settings
from musicxai.errors import NotFoundError
from musicxai.explain.methods import Method
from musicxai.explain.params import ExplanationParams
from musicxai.explain.preview import Preview
from musicxai.explain.result import ExplanationResult


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


UNFINISHED = (JobStatus.queued, JobStatus.running)
MAX_FINISHED = 10_000  # figures kept for the metrics when nothing scrapes them


class JobRecord(BaseModel):
    id: str
    status: JobStatus = JobStatus.queued
    progress: float = 0.0
    stage: str = "queued"
    clip: str = Field(description="sha256 of the uploaded clip")
    model: str
    method: Method
    params: ExplanationParams
    attempts: int = 0
    task_id: str | None = Field(None, description="the Celery message that last started the job")
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)
    heartbeat: float | None = None
    error: str | None = None
    result: ExplanationResult | None = None
    preview: Preview | None = Field(None, description="an occlusion map published before the result")


class JobLedger:
    """Interface shared by the SQLite (embedded) and Redis (distributed) ledgers."""

    def create(self, record: JobRecord, *, limit: int | None = None) -> tuple[JobRecord | None, bool]:
        """Store ``record`` unless a job with its id exists; return the stored one and whether it is new.
        With ``limit``, a new job is refused (``None, False``) while ``limit`` jobs are unfinished; the
        count and the insert are one atomic step, so concurrent requests never overshoot it."""
        raise NotImplementedError

    def get(self, job_id: str) -> JobRecord | None:
        raise NotImplementedError

    def update(self, job_id: str, **changes: Any) -> JobRecord:
        raise NotImplementedError

    def delete(self, job_id: str) -> None:
        raise NotImplementedError

    def unfinished(self) -> list[JobRecord]:
        raise NotImplementedError

    def record_finished(self, summary: dict[str, Any]) -> None:
        """Queue one finished job's figures (status, method, seconds per stage…) for the metrics."""
        raise NotImplementedError

    def drain_finished(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Take the queued figures; each is handed out once, to whichever API process asks first."""
        raise NotImplementedError

    def require(self, job_id: str) -> JobRecord:
        record = self.get(job_id)
        if record is None:
            raise NotFoundError(f"No explanation job with id {job_id!r}.")
        return record

    @staticmethod
    def _apply(record: JobRecord, changes: dict[str, Any]) -> JobRecord:
        return record.model_copy(update={**changes, "updated": time.time()})


class SqliteJobLedger(JobLedger):
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        with self._conn() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, doc TEXT NOT NULL)"
            )
            conn.execute("CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS finished (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL)"
            )

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._local.conn = conn
        return conn

    def create(self, record: JobRecord, *, limit: int | None = None) -> tuple[JobRecord | None, bool]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT doc FROM jobs WHERE id = ?", (record.id,)).fetchone()
            unfinished = "SELECT COUNT(*) FROM jobs WHERE status IN (?, ?)"
            if row is not None:
                stored, created = JobRecord.model_validate_json(row[0]), False
            elif (
                limit is not None
                and conn.execute(unfinished, tuple(s.value for s in UNFINISHED)).fetchone()[0] >= limit
            ):
                stored, created = None, False
            else:
                conn.execute(
                    "INSERT INTO jobs (id, status, doc) VALUES (?, ?, ?)",
                    (record.id, record.status.value, record.model_dump_json()),
                )
                stored, created = record, True
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return stored, created

    def get(self, job_id: str) -> JobRecord | None:
        row = self._conn().execute("SELECT doc FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return JobRecord.model_validate_json(row[0]) if row else None

    def update(self, job_id: str, **changes: Any) -> JobRecord:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT doc FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"No explanation job with id {job_id!r}.")
            record = self._apply(JobRecord.model_validate_json(row[0]), changes)
            conn.execute(
                "UPDATE jobs SET status = ?, doc = ? WHERE id = ?",
                (record.status.value, record.model_dump_json(), job_id),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return record

    def delete(self, job_id: str) -> None:
        self._conn().execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def record_finished(self, summary: dict[str, Any]) -> None:
        conn = self._conn()
        conn.execute("INSERT INTO finished (doc) VALUES (?)", (json.dumps(summary),))
        conn.execute("DELETE FROM finished WHERE seq <= (SELECT MAX(seq) FROM finished) - ?", (MAX_FINISHED,))

    def drain_finished(self, limit: int = 1000) -> list[dict[str, Any]]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = conn.execute("SELECT seq, doc FROM finished ORDER BY seq LIMIT ?", (limit,)).fetchall()
            if rows:
                conn.execute("DELETE FROM finished WHERE seq <= ?", (rows[-1][0],))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return [json.loads(doc) for _, doc in rows]

    def unfinished(self) -> list[JobRecord]:
        rows = (
            self._conn()
            .execute("SELECT doc FROM jobs WHERE status IN (?, ?)", tuple(s.value for s in UNFINISHED))
            .fetchall()
        )
        return [JobRecord.model_validate_json(r[0]) for r in rows]


# KEYS: the job's key, the set of unfinished ids; ARGV: document, id, limit (-1: none).
# -> {1, ""} created, {0, doc} exists, {0, ""} refused: the limit of unfinished jobs is reached
CREATE_SCRIPT = """
local doc = redis.call('GET', KEYS[1])
if doc then return {0, doc} end
local limit = tonumber(ARGV[3])
if limit >= 0 and redis.call('SCARD', KEYS[2]) >= limit then return {0, ''} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return {1, ''}
"""


class RedisJobLedger(JobLedger):
    """One JSON document per job plus a set of unfinished ids; updates are optimistic transactions."""

    def __init__(self, client, *, prefix: str = "musicxai:job:") -> None:
        self.client, self.prefix = client, prefix
        self.unfinished_key = prefix.rstrip(":") + "s:unfinished"
        self.finished_key = prefix.rstrip(":") + "s:finished"

    def create(self, record: JobRecord, *, limit: int | None = None) -> tuple[JobRecord | None, bool]:
        created, doc = self.client.eval(
            CREATE_SCRIPT,
            2,
            self.prefix + record.id,
            self.unfinished_key,
            record.model_dump_json(),
            record.id,
            -1 if limit is None else limit,
        )
        if created == 1:
            return record, True
        return (JobRecord.model_validate_json(doc) if doc else None), False

    def get(self, job_id: str) -> JobRecord | None:
        doc = self.client.get(self.prefix + job_id)
        return JobRecord.model_validate_json(doc) if doc else None

    def update(self, job_id: str, **changes: Any) -> JobRecord:
        import redis

        key = self.prefix + job_id
        while True:
            with self.client.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    doc = pipe.get(key)
                    if doc is None:
                        raise NotFoundError(f"No explanation job with id {job_id!r}.")
                    record = self._apply(JobRecord.model_validate_json(doc), changes)
                    pipe.multi()
                    pipe.set(key, record.model_dump_json())
                    if record.status in UNFINISHED:
                        pipe.sadd(self.unfinished_key, job_id)
                    else:
                        pipe.srem(self.unfinished_key, job_id)
                    pipe.execute()
                    return record
                except redis.WatchError:
                    continue

    def delete(self, job_id: str) -> None:
        self.client.delete(self.prefix + job_id)
        self.client.srem(self.unfinished_key, job_id)

    def record_finished(self, summary: dict[str, Any]) -> None:
        with self.client.pipeline() as pipe:
            pipe.rpush(self.finished_key, json.dumps(summary))
            pipe.ltrim(self.finished_key, -MAX_FINISHED, -1)
            pipe.execute()

    def drain_finished(self, limit: int = 1000) -> list[dict[str, Any]]:
        items = self.client.lpop(self.finished_key, limit) or []
        return [json.loads(item) for item in items]

    def unfinished(self) -> list[JobRecord]:
        ids = sorted(i.decode() for i in self.client.smembers(self.unfinished_key))
        return [r for r in (self.get(i) for i in ids) if r is not None and r.status in UNFINISHED]


def open_ledger(settings: Settings) -> JobLedger:
    if settings.embedded:
        return SqliteJobLedger(settings.data_dir / "jobs.sqlite")
    from musicxai.service.storage import redis_client

    return RedisJobLedger(redis_client(settings))


def queue_counts(ledger: JobLedger) -> dict[JobStatus, int]:
    """Jobs queued and running, as the ledger sees them."""
    counts = dict.fromkeys(UNFINISHED, 0)
    for record in ledger.unfinished():
        counts[record.status] += 1
    return counts
