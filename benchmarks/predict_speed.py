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
    rows = []
    for bundle in args.bundles:
        classifier = GenreClassifier.load(bundle)
        classifier.warm_up()
        sr = classifier.features.sample_rate
        y = load_audio(args.clip, sr=sr, max_duration=30.0).samples
        batch = np.zeros((256, *classifier.features.input_shape), dtype=np.float32)
        model_s = timed(lambda b=batch, c=classifier: c.runner.predict(b), args.repeats)
        rows.append(
            {
                "bundle": bundle.name,
                "decode_s": timed(
                    lambda sr=sr: decode_isolated(data, sr=sr, **Settings(_env_file=None).decode_limits()), args.repeats
                ),
                "classify_s": timed(lambda y=y, c=classifier: c.classify(y), args.repeats),
                "windows_per_s": round(256 / model_s, 1),
            }
        )
    detector = MusicDetector.load(args.detector)
    detector.runner.warm_up()
    audio = load_audio(args.clip, sr=22050, max_duration=30.0)
    detector_s = timed(lambda: detector.music_probability(audio.samples, audio.sample_rate), args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    document = {"clip": str(args.clip), "rows": rows, "music_detector_s": detector_s}
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"music detector (resample from 22 050 Hz + 10 windows): {detector_s:.3f} s per clip")
    print("| bundle | decode (child process) s | features + model s | model windows/s (batch 256) |")
    print("| --- | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['bundle']} | {r['decode_s']:.3f} | {r['classify_s']:.3f} | {r['windows_per_s']:.0f} |")


if __name__ == "__main__":
    main()
