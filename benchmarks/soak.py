"""An hour of ordinary traffic against a clip store far smaller than the traffic: nothing refused for
want of space, nothing lost, memory flat, the store held at its cap.

A fresh variant of a real recording (a random 30 s arrangement of the clip, its own gain and a little
noise, so nothing is served from a cache) is predicted every ``--predict-every`` seconds, and every
``--explain-every`` seconds the page-default explanation is asked for, alternately of the newest
prediction and of one several minutes old (which the store may have evicted by then: that answer is
a 410, counted apart). Every accepted job is followed to its end. Every 10 s the resident memory of
the whole process tree (API, workers, decoders, Redis) and the store's size and evictions (from
/metrics) are sampled.

Embedded: the store's cap is ``MUSICXAI_MAX_STORE_BYTES``. Distributed: a queue Redis with
noeviction and a blob Redis of ``--cap-mb`` with volatile-lru, as docker-compose.yml runs them.

    python benchmarks/soak.py --setup embedded --minutes 60 --cap-mb 300
    python benchmarks/soak.py --setup distributed --minutes 60 --cap-mb 300
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf
from stack import ROOT, started

CLIP = ROOT / "tests" / "fixtures" / "music-tuxi.flac"  # a real recording (its README says whence)
SECONDS = 30.0
SAMPLE_EVERY_S = 10.0


class Variants:
    """Fresh 30 s arrangements of one recording: shuffled pieces, a gain, a little noise."""

    def __init__(self, path: Path, seed: int) -> None:
        self.y, self.sr = sf.read(path, dtype="float32", always_2d=True)
        self.y = self.y.mean(axis=1)
        self.rng = np.random.default_rng(seed)

    def next(self) -> bytes:
        n = int(SECONDS * self.sr)
        starts = self.rng.integers(0, len(self.y) - self.sr, size=int(np.ceil(n / self.sr)))
        y = np.concatenate([self.y[s : s + self.sr] for s in starts])[:n]
        y = y * self.rng.uniform(0.4, 0.9) + self.rng.normal(0, 1e-3, n).astype(np.float32)
        buffer = io.BytesIO()
        sf.write(buffer, np.clip(y, -1, 1), self.sr, format="WAV", subtype="PCM_16")
        return buffer.getvalue()


def tree_rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes and all their descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    seen, todo, total = set(), list(pids), 0
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo += children.get(pid, [])
        try:
            rss = next(
                line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS")
            )
            total += int(rss.split()[1])
        except (OSError, StopIteration):
            continue
    return round(total / 1024, 1)


def metric(text: str, name: str) -> float | None:
    line = next((line for line in text.splitlines() if line.startswith(name + " ")), None)
    return None if line is None else float(line.rsplit(" ", 1)[1])


class Soak:
    def __init__(self, base: str, args: argparse.Namespace) -> None:
        self.base, self.args = base, args
        self.variants = Variants(args.clip, args.seed)
        self.predictions: list[tuple[float, int, float, bool]] = []  # (time, status, seconds, retry-after given)
        self.ids: list[tuple[float, str]] = []  # (time, prediction id) of kept clips
        self.asked: dict[str, int] = {}  # explanation answers by status and code
        self.jobs: dict[str, dict] = {}  # accepted job id -> last status document
        self.samples: list[dict] = []
        self.uploaded = 0

    async def predict(self, http: httpx.AsyncClient) -> None:
        data = self.variants.next()
        self.uploaded += len(data)
        started_at = time.perf_counter()
        response = await http.post("/v1/predictions", files={"file": ("clip.wav", data, "audio/wav")})
        seconds = time.perf_counter() - started_at
        self.predictions.append((time.time(), response.status_code, seconds, "retry-after" in response.headers))
        if response.status_code == 200 and response.json()["explainable"]:
            self.ids.append((time.time(), response.json()["id"]))

    async def explain(self, http: httpx.AsyncClient, old: bool) -> None:
        if not self.ids:
            return
        horizon = time.time() - self.args.old_after_s
        older = [pid for t, pid in self.ids if t <= horizon]
        prediction_id = (older[-1] if older else self.ids[0][1]) if old else self.ids[-1][1]
        response = await http.post("/v1/explanations", json={"prediction_id": prediction_id})
        code = response.json().get("code") if response.status_code >= 400 else None
        key = f"{response.status_code} {code}" if code else str(response.status_code)
        key = f"{key} ({'older' if old else 'newest'})"
        self.asked[key] = self.asked.get(key, 0) + 1
        if response.status_code == 202:
            self.jobs[response.json()["id"]] = response.json()

    async def follow(self, http: httpx.AsyncClient) -> None:
        for job_id, job in list(self.jobs.items()):
            if job["status"] in ("queued", "running"):
                response = await http.get(f"/v1/explanations/{job_id}")
                if response.status_code == 200:
                    self.jobs[job_id] = response.json()

    async def sample(self, http: httpx.AsyncClient, pids: list[int], started_at: float) -> None:
        text = (await http.get("/metrics")).text
        self.samples.append(
            {
                "t_s": round(time.time() - started_at, 1),
                "rss_mb": tree_rss_mb(pids),
                "store_bytes": metric(text, "musicxai_store_bytes"),
                "store_cap_bytes": metric(text, "musicxai_store_cap_bytes"),
                "evicted_keys": metric(text, "musicxai_store_evicted_keys_total"),
            }
        )

    async def run(self, pids) -> None:
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(base_url=self.base, timeout=120, limits=limits) as http:
            started_at = time.time()
            end = started_at + 60 * self.args.minutes
            tasks: set[asyncio.Task] = set()
            next_predict = next_explain = next_sample = next_follow = started_at
            old = False
            while time.time() < end:
                now = time.time()
                if now >= next_predict:
                    next_predict += self.args.predict_every
                    tasks.add(asyncio.create_task(self.predict(http)))
                if now >= next_explain:
                    next_explain += self.args.explain_every
                    tasks.add(asyncio.create_task(self.explain(http, old)))
                    old = not old
                if now >= next_follow:
                    next_follow += 2.0
                    tasks.add(asyncio.create_task(self.follow(http)))
                if now >= next_sample:
                    next_sample += SAMPLE_EVERY_S
                    tasks.add(asyncio.create_task(self.sample(http, pids(), started_at)))
                tasks = {t for t in tasks if not t.done()}
                await asyncio.sleep(0.02)
            await asyncio.gather(*tasks)
            deadline = time.time() + self.args.drain_s  # the jobs still queued or running are followed to the end
            while time.time() < deadline and any(j["status"] in ("queued", "running") for j in self.jobs.values()):
                await self.follow(http)
                await asyncio.sleep(2.0)
            await self.sample(http, pids(), started_at)

    def report(self) -> dict:
        statuses: dict[str, int] = {}
        for _, status, _, _ in self.predictions:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        ok = np.array([s for _, status, s, _ in self.predictions if status == 200])
        jobs: dict[str, int] = {}
        errors: dict[str, int] = {}
        for job in self.jobs.values():
            jobs[job["status"]] = jobs.get(job["status"], 0) + 1
            if job["status"] == "failed":
                errors[job["error"]] = errors.get(job["error"], 0) + 1
        rss = [s["rss_mb"] for s in self.samples]
        late = [s["rss_mb"] for s in self.samples if s["t_s"] >= 30 * self.args.minutes]  # the last half
        store = [s["store_bytes"] for s in self.samples if s["store_bytes"] is not None]
        space = sum(n for key, n in self.asked.items() if key.startswith("507"))
        return {
            "predictions": {
                "sent": len(self.predictions),
                "answers": statuses,
                "every_503_had_retry_after": all(ra for _, status, _, ra in self.predictions if status == 503),
                "p50_s": round(float(np.percentile(ok, 50)), 3) if len(ok) else None,
                "p99_s": round(float(np.percentile(ok, 99)), 3) if len(ok) else None,
                "uploaded_mb": round(self.uploaded / 2**20),
            },
            "explanations": {"answers": self.asked, "refused_for_space": space},
            "jobs": {"accepted": len(self.jobs), "by_status": jobs, "failures": errors},
            "memory": {
                "rss_mb_first_last_max": [rss[0], rss[-1], max(rss)] if rss else None,
                "last_half_mean_mb": round(float(np.mean(late)), 1) if late else None,
                "last_half_max_deviation": round(float(np.max(np.abs(np.array(late) / np.mean(late) - 1))), 3)
                if late
                else None,
            },
            "store": {
                "cap_bytes": self.samples[-1]["store_cap_bytes"] if self.samples else None,
                "max_bytes": max(store) if store else None,
                "last_bytes": store[-1] if store else None,
                "evicted_keys": self.samples[-1]["evicted_keys"] if self.samples else None,
            },
            "samples": self.samples,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", choices=("embedded", "distributed"), required=True)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--cap-mb", type=int, default=300, help="the clip and artifact store's size")
    parser.add_argument("--predict-every", type=float, default=0.3)
    parser.add_argument("--explain-every", type=float, default=10.0)
    parser.add_argument("--old-after-s", type=float, default=300.0, help="an 'older' clip is at least this old")
    parser.add_argument("--drain-s", type=float, default=600.0, help="time left to the jobs still unfinished")
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--model", default=None, help="bundle to serve as the default (default: the service's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = args.out or ROOT / "benchmarks" / "results" / f"soak_{args.setup}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUSICXAI_") and k != "REDIS_URL"}
    env |= {"MUSICXAI_MAX_STORE_BYTES": str(args.cap_mb * 2**20), "TF_CPP_MIN_LOG_LEVEL": "3"}
    if args.model:
        env["MUSICXAI_DEFAULT_MODEL"] = args.model
    with tempfile.TemporaryDirectory() as workdir:
        env["MUSICXAI_DATA_DIR"] = str(Path(workdir) / "var")
        distributed = args.setup == "distributed"
        blobs = f"{args.cap_mb}mb" if distributed else None
        with started(env, Path(workdir), redis=distributed, blob_maxmemory=blobs) as (stack, base):
            soak = Soak(base, args)
            asyncio.run(soak.run(stack.pids))
    report = {
        "benchmark": "soak",
        "setup": args.setup,
        "minutes": args.minutes,
        "cap_mb": args.cap_mb,
        "predict_every_s": args.predict_every,
        "explain_every_s": args.explain_every,
        "clip": str(args.clip.relative_to(ROOT) if args.clip.is_relative_to(ROOT) else args.clip),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        **soak.report(),
    }
    out.write_text(json.dumps(report, indent=1) + "\n")
    summary = {k: report[k] for k in ("predictions", "explanations", "jobs", "memory", "store")}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
