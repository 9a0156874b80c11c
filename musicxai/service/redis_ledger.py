"""The job ledger of the distributed mode: one JSON document per job in Redis, plus sets of unfinished ids.

A new job is counted and stored by one Lua script, so the queue bounds hold across API processes;
updates are optimistic transactions (``WATCH``) that keep the unfinished sets in step with each
document.
"""

from __future__ import annotations

import json
import time
from typing import Any

from musicxai.errors import NotFoundError
from musicxai.service.ledger import MAX_CLIP_NOTES, MAX_FINISHED, UNFINISHED, JobLedger, JobRecord, Refusal

# KEYS: the job's key, the set of unfinished ids, its owner's set of unfinished ids (the set of all
# again when it has none); ARGV: document, id, limit, owner's limit (-1: none).
# -> {1, ""} created, {0, doc} exists, {-1, ""} / {-2, ""} refused: the limit / the owner's is reached
CREATE_SCRIPT = """
local doc = redis.call('GET', KEYS[1])
if doc then return {0, doc} end
local limit, key_limit = tonumber(ARGV[3]), tonumber(ARGV[4])
if limit >= 0 and redis.call('SCARD', KEYS[2]) >= limit then return {-1, ''} end
if key_limit >= 0 and redis.call('SCARD', KEYS[3]) >= key_limit then return {-2, ''} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
return {1, ''}
"""
REFUSALS = {-1: Refusal.queue_full, -2: Refusal.key_queue_full}


class RedisJobLedger(JobLedger):
    """One JSON document per job plus a set of unfinished ids; updates are optimistic transactions. A
    finished job's document, and a batch's, live ``retention_s`` seconds."""

    def __init__(self, client, *, retention_s: int, prefix: str = "musicxai:job:") -> None:
        self.client, self.prefix, self.retention_s = client, prefix, retention_s
        self.unfinished_key = prefix.rstrip(":") + "s:unfinished"
        self.finished_key = prefix.rstrip(":") + "s:finished"
        self.clip_notes = {True: "musicxai:clips:kept", False: "musicxai:clips:refused"}
        self.batch_prefix = "musicxai:batch:"

    def _owner_key(self, owner: str | None) -> str:
        return self.unfinished_key if owner is None else f"{self.unfinished_key}:key:{owner}"

    def create(
        self, record: JobRecord, *, limit: int | None = None, key_limit: int | None = None
    ) -> tuple[JobRecord | Refusal, bool]:
        created, doc = self.client.eval(
            CREATE_SCRIPT,
            3,
            self.prefix + record.id,
            self.unfinished_key,
            self._owner_key(record.owner),
            record.model_dump_json(),
            record.id,
            -1 if limit is None else limit,
            -1 if key_limit is None or record.owner is None else key_limit,
        )
        if created == 1:
            return record, True
        return (REFUSALS[created] if created < 0 else JobRecord.model_validate_json(doc)), False

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
                    finished = record.status not in UNFINISHED
                    pipe.set(key, record.model_dump_json(), ex=self.retention_s if finished else None)
                    for unfinished in {self.unfinished_key, self._owner_key(record.owner)}:
                        if record.status in UNFINISHED:
                            pipe.sadd(unfinished, job_id)
                        else:
                            pipe.srem(unfinished, job_id)
                    pipe.execute()
                    return record
                except redis.WatchError:
                    continue

    def delete(self, job_id: str) -> None:
        record = self.get(job_id)
        self.client.delete(self.prefix + job_id)
        self.client.srem(self.unfinished_key, job_id)
        if record is not None and record.owner is not None:
            self.client.srem(self._owner_key(record.owner), job_id)

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

    def note_clip(self, key: str, *, kept: bool) -> None:
        with self.client.pipeline() as pipe:
            pipe.zadd(self.clip_notes[kept], {key: time.time()})
            pipe.zrem(self.clip_notes[not kept], key)
            pipe.zremrangebyrank(self.clip_notes[kept], 0, -MAX_CLIP_NOTES - 1)
            pipe.execute()

    def clip_kept(self, key: str) -> bool | None:
        with self.client.pipeline() as pipe:
            for notes in self.clip_notes.values():
                pipe.zscore(notes, key)
            kept, refused = pipe.execute()
        return None if kept is None and refused is None else kept is not None

    def put_batch(self, key: str, doc: str) -> None:
        self.client.set(self.batch_prefix + key, doc, ex=self.retention_s)

    def get_batch(self, key: str) -> str | None:
        doc = self.client.get(self.batch_prefix + key)
        return doc.decode() if doc is not None else None

    def expire(self, *, now: float | None = None) -> int:
        """Nothing to do: Redis drops finished jobs' and batches' documents when their lifetime ends."""
        return 0
