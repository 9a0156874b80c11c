"""Prediction latency of a 30 s clip and raw model throughput, for each bundle; with ``--clients``,
also whole predictions over HTTP against a private embedded service (the default model), with that
many concurrent clients each, upload included.

python benchmarks/predict_speed.py --bundles models/demo models/demo-transfer --clip CLIP.wav --clients 1 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from job_latency import ROOT, free_port, wait_for

from musicxai.audio.decode import load_audio
from musicxai.audio.sandbox import decode_isolated
from musicxai.config import Settings
from musicxai.model.classifier import GenreClassifier
from musicxai.model.detector import MusicDetector
from musicxai.model.features import clip_log_mel


def timed(fn, repeats: int) -> float:
    """Median wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundles", nargs="+", type=Path, default=[Path("models/demo")])
    parser.add_argument("--clip", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--detector", type=Path, default=Path("models/detector"), help="the music detector")
    parser.add_argument("--clients", type=int, nargs="*", default=[], help="concurrent HTTP clients, one run each")
    parser.add_argument("--requests", type=int, default=64, help="predictions per HTTP run (at least 2 per client)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/predict_speed.json"))
    args = parser.parse_args()

    data = args.clip.read_bytes()
    detector = MusicDetector.load(args.detector)
    detector.runner.warm_up()
    rows = []
    for bundle in args.bundles:
        classifier = GenreClassifier.load(bundle)
        classifier.warm_up()
        sr = classifier.features.sample_rate
        y = load_audio(args.clip, sr=sr, max_duration=30.0).samples
        S = clip_log_mel(y, classifier.features)
        batch = np.zeros((256, *classifier.features.input_shape), dtype=np.float32)
        model_s = timed(lambda b=batch, c=classifier: c.runner.predict(b), args.repeats)
        rows.append(
            {
                "bundle": bundle.name,
                "decode_s": timed(
                    lambda sr=sr: decode_isolated(data, sr=sr, **Settings(_env_file=None).decode_limits()), args.repeats
                ),
                "classify_s": timed(lambda y=y, c=classifier: c.classify(y), args.repeats),
                # as the service calls it: on the bundle's samples, with the bundle's log-mel
                "detector_s": timed(
                    lambda y=y, sr=sr, S=S, f=classifier.features: detector.music_probability(y, sr, log_mel=(S, f)),
                    args.repeats,
                ),
                "windows_per_s": round(256 / model_s, 1),
            }
        )
    http = over_http(data, args.clip.name, args.clients, args.requests) if args.clients else []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"clip": str(args.clip), "machine": f"{os.cpu_count()} CPUs", "rows": rows, "http": http}
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print("| bundle | decode (child process) s | features + model s | music detector s | model windows/s (batch 256) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['bundle']} | {r['decode_s']:.3f} | {r['classify_s']:.3f} | {r['detector_s']:.3f} "
            f"| {r['windows_per_s']:.0f} |"
        )
    if http:
        print("\n| concurrent clients | predictions | p50 s | p99 s | clips/s | non-200 answers |")
        print("| ---: | ---: | ---: | ---: | ---: | --- |")
        for r in http:
            print(
                f"| {r['clients']} | {r['requests']} | {r['p50_s']:.3f} | {r['p99_s']:.3f} | {r['clips_per_s']:.1f} "
                f"| {r['statuses']} |"
            )


def over_http(data: bytes, name: str, clients: list[int], requests: int) -> list[dict]:
    """Start ``musicxai serve`` (embedded, default model) on a free port and time POST /v1/predictions."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MUSICXAI_DATA_DIR": tmp}
        log = open(Path(tmp) / "api.log", "wb")  # noqa: SIM115 - open for the process's life
        api = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(lambda: httpx.get(f"{base}/readyz").status_code == 200, 300, "the API")
            asyncio.run(_load(base, data, name, 1, 4))  # warm: first requests compile and load
            return [asyncio.run(_load(base, data, name, n, max(requests, 2 * n))) for n in clients]
        finally:
            os.killpg(api.pid, signal.SIGTERM)
            api.wait(30)


async def _load(base: str, data: bytes, name: str, clients: int, requests: int) -> dict:
    """``requests`` predictions from ``clients`` concurrent clients; latencies of the 200 answers."""
    todo = iter(range(requests))
    latencies: list[float] = []
    statuses: dict[str, int] = {}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=300) as http:
            for _ in todo:
                started = time.perf_counter()
                response = await http.post("/v1/predictions", files={"file": (name, data)})
                statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": requests,
        "p50_s": round(float(np.percentile(latencies, 50)), 4),
        "p99_s": round(float(np.percentile(latencies, 99)), 4),
        "clips_per_s": round(len(latencies) / wall, 2),
        "statuses": statuses,
    }


if __name__ == "__main__":
    main()
