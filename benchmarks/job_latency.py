"""How long an explanation job takes from the POST that queues it to ``succeeded``, through the real stack.

Starts a private Redis, one Celery worker and the API (each its own process, as in production), warms
them with one job on the first clip, then queues one job per remaining clip, one at a time, and polls
each until it has succeeded. Each clip is new to the worker, so no job reuses another's model calls.
Reported per job: seconds from POST to the poll that saw ``succeeded`` (client), seconds from the
ledger's creation to its last update (server), and the worker's seconds per stage.

    python benchmarks/job_latency.py --clips data/demo-corpus/genres_original/*/*.00004.wav
    KERAS_BACKEND=jax python benchmarks/job_latency.py --backend jax --batch-size 2048 --clips ...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import get_args

import httpx
from stack import ROOT, running_stack

from musicxai.config import RUNTIME, Runtime
from musicxai.explain.params import ExplanationParams

POLL_S = 0.01
STAGES = ("decode", "segmentation", "explain", "faithfulness", "render", "store")


def run_job(client: httpx.Client, clip: Path, fields: dict[str, str], timeout: float) -> dict:
    started = time.perf_counter()
    response = client.post("/v1/explanations", files={"file": (clip.name, clip.read_bytes())}, data=fields)
    response.raise_for_status()
    job_id = response.json()["id"]
    deadline = time.monotonic() + timeout
    preview_s = None
    while time.monotonic() < deadline:
        job = client.get(f"/v1/explanations/{job_id}").json()
        if preview_s is None and job.get("preview"):
            preview_s = time.perf_counter() - started
        if job["status"] in ("succeeded", "failed"):
            break
        time.sleep(POLL_S)
    else:
        raise SystemExit(f"job {job_id} on {clip} did not finish within {timeout:.0f} s")
    client_s = time.perf_counter() - started
    if job["status"] != "succeeded":
        raise SystemExit(f"job {job_id} on {clip} failed: {job.get('error')}")
    result = job["result"]
    return {
        "clip": str(clip),
        "client_s": round(client_s, 4),
        "preview_client_s": None if preview_s is None else round(preview_s, 4),
        "preview_worker_s": (job.get("preview") or {}).get("seconds"),
        "server_s": round(job["updated"] - job["created"], 4),
        "stages_s": result["timings_s"],
        "model_calls": result["model_calls"],
        "windows_evaluated": result["engine"]["windows_evaluated"],
        "backend": result["backend"],
        "runtime": result["runtime"],
        "device": result["device"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, nargs="+", required=True, help="the first one warms the stack")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--model", default="demo")
    parser.add_argument("--method", default="lime")
    parser.add_argument("--segmentation", default="time_frequency")
    parser.add_argument("--games", default=None, help="default: the page's")
    parser.add_argument("--num-samples", type=int, default=None, help="per game; default: the games' own")
    parser.add_argument("--backend", choices=("tensorflow", "jax"), default="tensorflow")
    parser.add_argument("--runtime", choices=get_args(Runtime), default=RUNTIME, help="what runs it on TensorFlow")
    parser.add_argument("--batch-size", default="256")
    parser.add_argument("--redis-server", default="redis-server", help="path of the redis-server binary")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one job may take")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/job_latency.json"))
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="job-latency-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUSICXAI_")}
    env.update(
        MUSICXAI_MODELS_DIR=str(args.models_dir),
        MUSICXAI_DEFAULT_MODEL=args.model,
        MUSICXAI_DATA_DIR=str(workdir),
        MUSICXAI_BACKEND=args.backend,
        MUSICXAI_RUNTIME=args.runtime,
        KERAS_BACKEND=args.backend,
        MUSICXAI_MODEL_BATCH_SIZE=args.batch_size,
        MUSICXAI_ENGINE_MAX_BATCH_WINDOWS=args.batch_size,
        PYTHONUNBUFFERED="1",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    started = time.perf_counter()
    try:
        with (
            running_stack(env, workdir, redis=True, redis_server=args.redis_server) as base,
            httpx.Client(base_url=base, timeout=60) as client,
        ):
            asked = {"games": args.games, "num_samples": args.num_samples}
            fields = {"method": args.method, "segmentation": args.segmentation}
            fields |= {name: str(value) for name, value in asked.items() if value is not None}
            first = run_job(client, args.clips[0], fields, args.timeout)
            ready_s = time.perf_counter() - started
            jobs = [run_job(client, clip, fields, args.timeout) for clip in args.clips[1:]]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    params = ExplanationParams(**fields)
    client_s = [job["client_s"] for job in jobs] or [first["client_s"]]
    report = {
        "model": args.model,
        "method": args.method,
        "segmentation": args.segmentation,
        "games": params.games.value,
        "num_samples": params.samples,
        "backend": first["backend"],
        "runtime": first["runtime"],
        "device": first["device"],
        "batch_size": int(args.batch_size),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "stack_ready_s": round(ready_s, 2),
        "first_job": first,
        "jobs": jobs,
        "median_client_s": round(statistics.median(client_s), 4),
        "max_client_s": round(max(client_s), 4),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))


def markdown(report: dict) -> str:
    lines = [
        f"{report['method'].upper()} on `{report['segmentation']}`, {report.get('games', 'clip')} games, "
        f"{report['num_samples']} samples per game, model "
        f"`{report['model']}`, backend {report['backend']} ({report['runtime']}) on {report['device']}, "
        f"{report['machine']}; "
        f"stack up and first job done in {report['stack_ready_s']} s (first job {report['first_job']['client_s']} s).",
        "",
        "| clip | POST → preview (s) | POST → succeeded (s) | ledger created → succeeded (s) | decode | segmentation "
        "| explain | faithfulness | render | store | model calls | windows |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for job in report["jobs"]:
        stages = " | ".join(f"{job['stages_s'][k]:.3f}" for k in STAGES)
        lines.append(
            f"| {Path(job['clip']).name} | {job['preview_client_s'] or float('nan'):.3f} | {job['client_s']:.3f} "
            f"| {job['server_s']:.3f} | {stages} "
            f"| {job['model_calls']} | {job['windows_evaluated']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
