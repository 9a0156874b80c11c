"""Prediction latency of a 30 s clip and raw model throughput, for each bundle.

python benchmarks/predict_speed.py --bundles models/demo models/demo-transfer --clip CLIP.wav
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

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
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"clip": str(args.clip), "rows": rows}, indent=2) + "\n")
    print("| bundle | decode (child process) s | features + model s | music detector s | model windows/s (batch 256) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['bundle']} | {r['decode_s']:.3f} | {r['classify_s']:.3f} | {r['detector_s']:.3f} "
            f"| {r['windows_per_s']:.0f} |"
        )


if __name__ == "__main__":
    main()
