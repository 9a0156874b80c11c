"""What a model made elsewhere costs to serve and explain here: a prediction, the occlusion preview and the
page-default explanation (the bundle's own defaults applied) of one 30 s clip, beside our default model
in the same run, so the ratio holds on a noisy machine.

    python benchmarks/own_models.py --bundles models/demo-student models/musicnn-msd models/musicnn-mtt

The clip is a real 10 s recording (tests/fixtures) played three times: 30 s of real music without a
download. The load average before and after each bundle is recorded: other work on the machine
slows every figure, and the ratios less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from musicxai.audio.decode import DecodedAudio, load_audio
from musicxai.explain.occlusion import occlusion_preview
from musicxai.explain.params import ExplanationParams
from musicxai.explain.pipeline import run_explanation
from musicxai.model.classifier import GenreClassifier

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "tests" / "fixtures" / "music-tuxi.flac"
REPEATS = 3


def measure(bundle: Path, clip: Path, seconds: float) -> dict:
    classifier = GenreClassifier.load(bundle)
    classifier.warm_up()
    rate = classifier.features.sample_rate
    once = load_audio(clip, sr=rate).samples
    samples = np.tile(once, int(np.ceil(seconds * rate / len(once))))[: int(seconds * rate)]
    audio = DecodedAudio(samples, rate, seconds)
    load_before = os.getloadavg()[0]
    predict = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        prediction = classifier.classify(samples)
        predict.append(time.perf_counter() - t0)
    params = ExplanationParams().with_defaults(classifier.meta.explanation_defaults)
    t0 = time.perf_counter()
    occlusion_preview(classifier, audio, params)
    preview_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = run_explanation(classifier, audio, params).result
    default_s = time.perf_counter() - t0
    label = result.explained_genres[0]
    curves = result.faithfulness[label]
    return {
        "bundle": bundle.name,
        "input": classifier.meta.input.kind,
        "output": classifier.meta.output.kind,
        "runtime": classifier.runner.runtime,
        "pieces": len(prediction.window_probabilities),
        "top": prediction.top(3),
        "predict_s_median": round(float(np.median(predict)), 3),
        "preview_s": round(preview_s, 2),
        "default_explanation_s": round(default_s, 2),
        "explanation_params": params.model_dump(mode="json"),
        "explained": label,
        "segments": len(result.segments),
        "pieces_evaluated": result.engine.windows_evaluated,
        "model_s": round(result.engine.seconds_model, 2),
        "ms_per_piece": round(1000 * result.engine.seconds_model / max(1, result.engine.windows_evaluated), 2),
        "deletion_auc": round(curves.deletion_auc, 4),
        "random_deletion_auc": round(curves.random_deletion_auc, 4),
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundles", type=Path, nargs="+", required=True)
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "own_models.json")
    args = parser.parse_args()
    rows = []
    for bundle in args.bundles:
        rows.append(measure(bundle, args.clip, args.seconds))
        print(json.dumps(rows[-1]))
    report = {
        "benchmark": "own_models",
        "clip": f"{args.clip.relative_to(ROOT) if args.clip.is_relative_to(ROOT) else args.clip}, looped to {args.seconds:g} s",  # noqa: E501
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "runs": 1,
        "bundles": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
