"""Jobs under fire: a worker and both Redis instances killed (SIGKILL) and restarted while explanation
jobs run, and every accepted job must still end, succeeded.

The distributed setup as docker-compose.yml runs it: a queue Redis (the broker and the job ledger,
noeviction) and a blob Redis (clips and artifacts, volatile-lru), both with an append-only file, two
Celery workers and the API. Six clips (fresh 30 s arrangements of a real recording) are predicted,
then LIME and SHAP jobs with three seeds each are queued for all of them (36 jobs). At
``--kill-worker-at`` one worker is killed and started again, at ``--kill-redis-at`` the queue Redis,
at ``--kill-blobs-at`` the blob Redis. Every job is followed (through the outages, when the API
answers 503) until it ends or ``--timeout`` passes; a job that never ends is lost.

    python benchmarks/chaos.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import httpx
from soak import CLIP, Variants
from stack import ROOT, started

METHODS = ("lime", "shap")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--kill-worker-at", type=float, default=40.0)
    parser.add_argument("--kill-redis-at", type=float, default=85.0)
    parser.add_argument("--kill-blobs-at", type=float, default=110.0)
    parser.add_argument("--down-s", type=float, default=3.0, help="how long each killed process stays down")
    parser.add_argument("--timeout", type=float, default=1200.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "chaos.json")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUSICXAI_") and k != "REDIS_URL"}
    env |= {"TF_CPP_MIN_LOG_LEVEL": "3", "MUSICXAI_JOB_STALE_AFTER_S": "30"}
    variants = Variants(CLIP, seed=1)
    events: list[tuple[float, str]] = []
    with tempfile.TemporaryDirectory() as workdir:
        env["MUSICXAI_DATA_DIR"] = str(Path(workdir) / "var")
        with (
            started(env, Path(workdir), redis=True, blob_maxmemory="1gb", persistent=True, workers=2) as (stack, base),
            httpx.Client(base_url=base, timeout=60) as http,
        ):
            ids = [http.post("/v1/predictions", files={"file": ("c.wav", variants.next())}).json()["id"]
                   for _ in range(args.clips)]  # fmt: skip
            started_at = time.time()
            jobs = {}
            for prediction_id in ids:
                for method in METHODS:
                    for seed in range(args.seeds):
                        body = {"prediction_id": prediction_id, "method": method, "seed": seed}
                        job = http.post("/v1/explanations", json=body).json()
                        jobs[job["id"]] = job
            events.append((round(time.time() - started_at, 1), f"{len(jobs)} jobs queued"))
            kills = sorted(
                [(args.kill_worker_at, "worker0"), (args.kill_redis_at, "redis"), (args.kill_blobs_at, "blobs")]
            )
            while time.time() - started_at < args.timeout:
                elapsed = time.time() - started_at
                if kills and elapsed >= kills[0][0]:
                    _, name = kills.pop(0)
                    stack.kill(name)
                    events.append((round(elapsed, 1), f"{name} killed (SIGKILL)"))
                    time.sleep(args.down_s)
                    stack.start(name)
                    events.append((round(time.time() - started_at, 1), f"{name} started again"))
                for job_id, job in jobs.items():
                    if job["status"] in ("queued", "running"):
                        try:
                            response = http.get(f"/v1/explanations/{job_id}")
                        except httpx.HTTPError:
                            break
                        if response.status_code == 200:
                            jobs[job_id] = response.json()
                if not kills and all(j["status"] not in ("queued", "running") for j in jobs.values()):
                    break
                time.sleep(1.0)
            wall = round(time.time() - started_at, 1)
    by_status: dict[str, int] = {}
    for job in jobs.values():
        by_status[job["status"]] = by_status.get(job["status"], 0) + 1
    report = {
        "benchmark": "chaos",
        "setup": "distributed: queue Redis and blob Redis with AOF, 2 workers",
        "jobs": len(jobs),
        "by_status": by_status,
        "lost": by_status.get("queued", 0) + by_status.get("running", 0),
        "failures": [j["error"] for j in jobs.values() if j["status"] == "failed"],
        "attempts": sorted(j["attempts"] for j in jobs.values()),
        "wall_s": wall,
        "events": events,
        "clip": str(CLIP.relative_to(ROOT)),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: report[k] for k in ("jobs", "by_status", "lost", "failures", "wall_s", "events")}, indent=1))


if __name__ == "__main__":
    main()
