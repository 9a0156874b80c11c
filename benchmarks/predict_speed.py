"""Prediction latency of a 30 s clip and raw model throughput, for each bundle and each runtime that
can execute it (Keras on TensorFlow, ONNX Runtime with its default and with one thread), side by side
in one run; with ``--clients``, also whole predictions over HTTP against a private embedded service
(the default model) per ``--http-runtimes``, with that many concurrent clients each, upload included.
Several ``--detector`` folders put music detectors side by side: each row and each service run is
repeated with each.

Model throughput is given at 256 windows per call and at one clip's windows per call: where the two
match, batching concurrent predictions into one model call would not make the model cheaper.

python benchmarks/predict_speed.py --bundles models/demo models/demo-transfer --clip CLIP.wav --clients 1 32
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
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
from stack import ROOT, free_port, wait_for

from musicxai.audio.decode import load_audio
from musicxai.config import RunnerOptions
from musicxai.model.classifier import GenreClassifier
from musicxai.model.detector import MusicDetector
from musicxai.model.features import clip_log_mel, frame_windows

RUNTIMES = (("keras", 0), ("onnxruntime", 0), ("onnxruntime", 1))  # (runtime, ONNX threads; 0: one per core)


def runtime_label(row: dict) -> str:
    if row["threads"] is None:
        return row["runtime"]
    return f"{row['runtime']} ({row['threads'] or 'one per core'} threads)"


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
    parser.add_argument(
        "--detector", type=Path, nargs="+", default=[Path("models/detector")], help="music detectors, one run each"
    )
    parser.add_argument("--clients", type=int, nargs="*", default=[], help="concurrent HTTP clients, one run each")
    parser.add_argument("--requests", type=int, default=64, help="predictions per HTTP run (at least 2 per client)")
    parser.add_argument(
        "--http-runtimes",
        nargs="+",
        default=["onnxruntime"],
        help="service runs, each RUNTIME or RUNTIME:THREADS (ONNX Runtime threads; 0: one per core)",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/predict_speed.json"))
    args = parser.parse_args()

    data = args.clip.read_bytes()
    rows = []
    for (runtime, threads), folder in itertools.product(RUNTIMES, args.detector):
        options = RunnerOptions(runtime=runtime, threads=threads)
        detector = MusicDetector.load(folder, options=options)
        detector.runner.warm_up()
        for bundle in args.bundles:
            classifier = GenreClassifier.load(bundle, options=options)
            classifier.warm_up()
            row = measure(classifier, detector, data, args.clip, args.repeats)
            rows.append(
                row | {"threads": threads if row["runtime"] == "onnxruntime" else None, "detector": str(folder)}
            )
    http = []
    for runtime, folder in itertools.product(args.http_runtimes if args.clients else [], args.detector):
        name, _, threads = runtime.partition(":")
        runs = over_http(data, args.clip.name, args.clients, args.requests, name, int(threads or 0), folder)
        http += [
            {"runtime": name, "threads": int(threads or 0) if name == "onnxruntime" else None, "detector": str(folder)}
            | r
            for r in runs
        ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"clip": str(args.clip), "machine": f"{os.cpu_count()} CPUs", "rows": rows, "http": http}
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        "| bundle | runtime | detector | decode (child process) s | features + model s | music detector s "
        "| windows/s (batch 256) | windows/s (one clip's) |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['bundle']} | {runtime_label(r)} | {r['detector']} | {r['decode_s']:.3f} | {r['classify_s']:.3f} "
            f"| {r['detector_s']:.3f} "
            f"| {r['windows_per_s']:.0f} | {r['clip_windows_per_s']:.0f} |"
        )
    if http:
        print("\n| runtime | detector | concurrent clients | predictions | p50 s | p99 s | clips/s | answers |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for r in http:
            print(
                f"| {runtime_label(r)} | {r['detector']} | {r['clients']} | {r['requests']} "
                f"| {r['p50_s']:.3f} | {r['p99_s']:.3f} | {r['clips_per_s']:.1f} | {r['statuses']} |"
            )


DECODE_TIMER = """
import sys, time, numpy as np
from musicxai.audio.sandbox import decode_isolated
from musicxai.config import Settings
data, sr, repeats = open(sys.argv[1], "rb").read(), int(sys.argv[2]), int(sys.argv[3])
times = []
for _ in range(repeats + 1):  # the first call starts the forkserver
    started = time.perf_counter()
    decode_isolated(data, sr=sr, **Settings(_env_file=None).decode_limits())
    times.append(time.perf_counter() - started)
print(float(np.median(times[1:])))
"""


def decode_seconds(clip: Path, sr: int, repeats: int) -> float:
    """The sandboxed decode as the API runs it, timed in a bare interpreter: multiprocessing's
    forkserver also imports the parent's main script, and this script's imports would make every
    forked child dearer than the service's are."""
    out = subprocess.run(
        [sys.executable, "-c", DECODE_TIMER, str(clip), str(sr), str(repeats)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure(classifier: GenreClassifier, detector: MusicDetector, data: bytes, clip: Path, repeats: int) -> dict:
    """One row: decode, classify and detector seconds for the clip, and the bare model's windows/s."""
    sr = classifier.features.sample_rate
    y = load_audio(clip, sr=sr, max_duration=30.0).samples
    S = clip_log_mel(y, classifier.features)
    windows = len(frame_windows(S, classifier.features))
    rates = {}
    for n in (256, windows):
        batch = np.zeros((n, *classifier.features.input_shape), dtype=np.float32)
        rates[n] = round(n / timed(lambda b=batch: classifier.runner.predict(b), repeats), 1)
    return {
        "bundle": classifier.name,
        "runtime": classifier.runner.runtime,
        "decode_s": decode_seconds(clip, sr, repeats),
        "classify_s": timed(lambda: classifier.classify(y), repeats),
        # as the service calls it: on the bundle's samples, with the bundle's log-mel
        "detector_s": timed(lambda: detector.music_probability(y, sr, log_mel=(S, classifier.features)), repeats),
        "clip_windows": windows,
        "windows_per_s": rates[256],
        "clip_windows_per_s": rates[windows],
    }


def over_http(
    data: bytes, name: str, clients: list[int], requests: int, runtime: str, threads: int, detector: Path
) -> list[dict]:
    """Start ``musicxai serve`` (embedded, default model, ``runtime`` with ``threads``, ``detector``) on
    a free port and time POST /v1/predictions."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        settings = {
            "MUSICXAI_DATA_DIR": tmp,
            "MUSICXAI_RUNTIME": runtime,
            "MUSICXAI_MODEL_THREADS": str(threads),
            "MUSICXAI_DETECTOR_DIR": str(Path(detector).resolve()),
            # admit every client at once: this measures throughput, not the service's bound on it
            "MUSICXAI_MAX_INFLIGHT_PREDICTIONS": str(max(clients, default=1)),
        }
        env = os.environ | settings
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
