"""Load held: concurrent 30 s uploads and explanation jobs against the embedded and the distributed
stack, on loopback, bounded in count and time.

Every upload client starts at once and posts one prediction; a 503 with ``Retry-After`` is counted
and the client comes back after that many seconds (at most ``--tries`` times), as the page does.
Then every job client posts one explanation (each its own seed, so each is its own job) the same
way, and all accepted jobs are polled until they end. Reported per setup: p50/p99 of the accepted
predictions, the share of 503 answers, any other error (there must be none), and jobs accepted
against jobs finished.

python benchmarks/load.py --clip data/demo-corpus/genres_original/jazz/jazz.00004.wav --uploads 200 --jobs 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from stack import running_stack


async def _send(http: httpx.AsyncClient, tries: int, answers: dict[str, int], request) -> httpx.Response | None:
    """``request()`` until it is not a 503 with Retry-After (at most ``tries`` times); every answer counted."""
    for _ in range(tries):
        try:
            response = await request()
        except httpx.HTTPError as exc:
            answers[type(exc).__name__] = answers.get(type(exc).__name__, 0) + 1
            return None
        answers[str(response.status_code)] = answers.get(str(response.status_code), 0) + 1
        retry_after = response.headers.get("retry-after")
        if response.status_code != 503 or retry_after is None:
            return response
        await asyncio.sleep(float(retry_after))
    return None


def _summary(answers: dict[str, int]) -> dict:
    total = sum(answers.values())
    others = {k: v for k, v in answers.items() if k not in ("200", "202", "503")}
    return {"answers": answers, "share_503": round(answers.get("503", 0) / total, 3), "errors_other_than_503": others}


async def predictions(base: str, data: bytes, name: str, clients: int, tries: int) -> dict:
    answers: dict[str, int] = {}
    latencies: list[float] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=600) as http:

            async def post() -> httpx.Response:
                started = time.perf_counter()
                response = await http.post("/v1/predictions", files={"file": (name, data)})
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - started)
                return response

            await _send(http, tries, answers, post)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "accepted": len(latencies),
        "p50_s": round(float(np.percentile(latencies, 50)), 3) if latencies else None,
        "p99_s": round(float(np.percentile(latencies, 99)), 3) if latencies else None,
        "wall_s": round(wall, 1),
        **_summary(answers),
    }


async def jobs(base: str, data: bytes, name: str, clients: int, fields: dict, tries: int, timeout: float) -> dict:
    answers: dict[str, int] = {}
    accepted: list[str] = []

    async def client(seed: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=600) as http:
            form = {**fields, "seed": str(seed)}
            response = await _send(
                http, tries, answers, lambda: http.post("/v1/explanations", files={"file": (name, data)}, data=form)
            )
            if response is not None and response.status_code == 202:
                accepted.append(response.json()["id"])

    started = time.perf_counter()
    await asyncio.gather(*(client(seed) for seed in range(clients)))
    ended: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while len(ended) < len(accepted) and time.monotonic() < deadline:
            for job_id in accepted:
                if job_id not in ended:
                    status = (await http.get(f"/v1/explanations/{job_id}")).json()["status"]
                    if status in ("succeeded", "failed"):
                        ended[job_id] = status
            await asyncio.sleep(1.0)
    statuses = list(ended.values())
    return {
        "clients": clients,
        "accepted": len(accepted),
        "distinct_accepted": len(set(accepted)),
        "succeeded": statuses.count("succeeded"),
        "failed": statuses.count("failed"),
        "unfinished_at_deadline": len(accepted) - len(ended),
        "wall_s": round(time.perf_counter() - started, 1),
        **_summary(answers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, required=True, help="the upload (30 s)")
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--job-seconds", type=float, default=10.0, help="jobs explain the clip's first seconds")
    parser.add_argument("--num-samples", type=int, default=16, help="per window game: keeps 50 jobs bounded")
    parser.add_argument("--setups", nargs="+", choices=("embedded", "redis"), default=["embedded", "redis"])
    parser.add_argument("--max-inflight", type=int, default=None, help="MUSICXAI_MAX_INFLIGHT_PREDICTIONS")
    parser.add_argument("--max-queued-jobs", type=int, default=20, help="MUSICXAI_MAX_QUEUED_JOBS")
    parser.add_argument("--tries", type=int, default=60, help="answers a client takes before it gives up")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds the accepted jobs may take")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/load.json"))
    args = parser.parse_args()

    import soundfile as sf

    data = args.clip.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        short = Path(tmp) / f"first-{args.job_seconds:g}s.wav"
        y, sr = sf.read(args.clip, frames=int(args.job_seconds * sf.info(args.clip).samplerate))
        sf.write(short, y, sr)
        job_clip = short.read_bytes()
    fields = {"method": "lime", "num_samples": str(args.num_samples)}
    report = {"clip": str(args.clip), "machine": f"{os.cpu_count()} CPUs", "setups": []}
    for setup in args.setups:
        with tempfile.TemporaryDirectory() as workdir:
            env = {k: v for k, v in os.environ.items() if not k.startswith("MUSICXAI_")}
            env |= {"MUSICXAI_DATA_DIR": workdir, "MUSICXAI_MAX_QUEUED_JOBS": str(args.max_queued_jobs)}
            if args.max_inflight is not None:
                env["MUSICXAI_MAX_INFLIGHT_PREDICTIONS"] = str(args.max_inflight)
            with running_stack(env, Path(workdir), redis=setup == "redis") as base:
                uploads = asyncio.run(predictions(base, data, args.clip.name, args.uploads, args.tries))
                queued = asyncio.run(jobs(base, job_clip, "clip.wav", args.jobs, fields, args.tries, args.timeout))
        report["setups"].append({"setup": setup, "predictions": uploads, "jobs": queued})
        print(json.dumps(report["setups"][-1]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print("\n| setup | uploads | accepted | p50 s | p99 s | 503 share | other errors | jobs accepted | finished |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for row in report["setups"]:
        p, j = row["predictions"], row["jobs"]
        others = {**p["errors_other_than_503"], **j["errors_other_than_503"]} or "none"
        print(
            f"| {row['setup']} | {p['clients']} | {p['accepted']} | {p['p50_s']} | {p['p99_s']} | "
            f"{p['share_503']:.0%} | {others} | {j['accepted']} | {j['succeeded']} (+{j['failed']} failed) |"
        )


if __name__ == "__main__":
    main()
