"""The job ledger of the embedded mode: one SQLite file in WAL mode, shared by the API and the worker.

Every read-modify-write is a ``BEGIN IMMEDIATE`` transaction, so two processes never interleave
their changes to one job, and the queue bounds are counted inside the insert's transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from musicxai.errors import NotFoundError
from musicxai.service.ledger import MAX_CLIP_NOTES, MAX_FINISHED, UNFINISHED, JobLedger, JobRecord, Refusal


class SqliteJobLedger(JobLedger):
    """``retention_s``: how long finished jobs and batch records are kept."""

    def __init__(self, path: Path, *, retention_s: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.retention_s = retention_s
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
            conn.execute(
                "CREATE TABLE IF NOT EXISTS clip_notes (key TEXT PRIMARY KEY, kept INTEGER NOT NULL, at REAL NOT NULL)"
            )
            conn.execute("CREATE INDEX IF NOT EXISTS clip_notes_by_age ON clip_notes (at)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS batches (key TEXT PRIMARY KEY, doc TEXT NOT NULL, at REAL NOT NULL)"
            )

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._local.conn = conn
        return conn

    def create(
        self, record: JobRecord, *, limit: int | None = None, key_limit: int | None = None
    ) -> tuple[JobRecord | Refusal, bool]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT doc FROM jobs WHERE id = ?", (record.id,)).fetchone()
            unfinished = "SELECT COUNT(*) FROM jobs WHERE status IN (?, ?)"
            statuses = tuple(s.value for s in UNFINISHED)
            stored: JobRecord | Refusal
            if row is not None:
                stored, created = JobRecord.model_validate_json(row[0]), False
            elif limit is not None and conn.execute(unfinished, statuses).fetchone()[0] >= limit:
                stored, created = Refusal.queue_full, False
            elif (
                key_limit is not None
                and record.owner is not None
                and conn.execute(
                    f"{unfinished} AND json_extract(doc, '$.owner') = ?", (*statuses, record.owner)
                ).fetchone()[0]
                >= key_limit
            ):
                stored, created = Refusal.key_queue_full, False
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

    def note_clip(self, key: str, *, kept: bool) -> None:
        conn = self._conn()
        conn.execute(
            "INSERT OR REPLACE INTO clip_notes (key, kept, at) VALUES (?, ?, ?)", (key, int(kept), time.time())
        )

    def clip_kept(self, key: str) -> bool | None:
        row = self._conn().execute("SELECT kept FROM clip_notes WHERE key = ?", (key,)).fetchone()
        return None if row is None else bool(row[0])

    def put_batch(self, key: str, doc: str) -> None:
        self._conn().execute("INSERT OR REPLACE INTO batches (key, doc, at) VALUES (?, ?, ?)", (key, doc, time.time()))

    def get_batch(self, key: str) -> str | None:
        row = self._conn().execute("SELECT doc FROM batches WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def expire(self, *, now: float | None = None) -> int:
        cutoff = (time.time() if now is None else now) - self.retention_s
        conn = self._conn()
        statuses = tuple(s.value for s in UNFINISHED)
        jobs = conn.execute(
            "DELETE FROM jobs WHERE status NOT IN (?, ?) AND json_extract(doc, '$.updated') < ?", (*statuses, cutoff)
        ).rowcount
        batches = conn.execute("DELETE FROM batches WHERE at < ?", (cutoff,)).rowcount
        newest = "SELECT at FROM clip_notes ORDER BY at DESC LIMIT 1 OFFSET ?"  # the oldest one still remembered
        conn.execute(f"DELETE FROM clip_notes WHERE at < ? OR at <= ({newest})", (cutoff, MAX_CLIP_NOTES))
        return jobs + batches
