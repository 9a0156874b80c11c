"""How long one explanation of a 30 s clip takes, and how faithful it is, next to the original recipe.

The recipe of the original notebooks: lime_image's LimeImageExplainer on the clip's whole log-mel as
an RGB image, quickshift superpixels, 1000 samples, classifier called 10 images at a time. Ours:
the perturbation engine (locality memory, large batches) under LIME and SHAP, on the default grid,
on SLIC superpixels, on time slices and on harmonic/percussive sources. Every method's ranking is
scored with the same deletion/insertion curves (baseline: the clip's minimum level), so speed is
never bought with faithfulness.

    python benchmarks/explain_speed.py --bundle models/demo --clip data/demo-corpus/genres_original/jazz/jazz.00004.wav
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from musicxai.audio import load_audio
from musicxai.classifier import GenreClassifier
from musicxai.engine import PerturbationEngine
from musicxai.explainers import explain
from musicxai.faithfulness import deletion_insertion
from musicxai.features import clip_log_mel, frame_windows
from musicxai.segmentation import LabelSegmentation, Segment, SegmentationParams, baseline_fill, segment_clip


def recipe(classifier: GenreClassifier, S: np.ndarray, *, num_samples: int, seed: int) -> dict:
    """lime_image exactly as the notebooks used it, with call and window counts."""
    from lime.lime_image import LimeImageExplainer

    lo, hi = float(S.min()), float(S.max())
    image = np.repeat(((S - lo) / (hi - lo))[..., None], 3, axis=-1)
    counts = {"model_calls": 0, "windows_evaluated": 0}

    def classifier_fn(images: np.ndarray) -> np.ndarray:
        spectrograms = images[..., 0] * (hi - lo) + lo
        windows = frame_windows(spectrograms, classifier.features)
        counts["model_calls"] += 1
        counts["windows_evaluated"] += windows.shape[0] * windows.shape[1]
        return classifier.window_probabilities(windows).mean(axis=1)

    target = int(np.argmax(classifier_fn(image[None])[0]))
    counts.update(model_calls=0, windows_evaluated=0)
    started = time.perf_counter()
    explanation = LimeImageExplainer(random_state=seed).explain_instance(
        image, classifier_fn, labels=(target,), top_labels=None, num_samples=num_samples, batch_size=10
    )
    seconds = time.perf_counter() - started
    labels = explanation.segments
    weights = np.zeros(labels.max() + 1)
    for index, weight in explanation.local_exp[target]:
        weights[index] = weight
    return {"seconds": seconds, "target": target, "labels": labels, "weights": weights, **counts}


def label_segmentation(S: np.ndarray, baseline: np.ndarray, labels: np.ndarray) -> LabelSegmentation:
    segments = [Segment(i, f"quickshift {i}", 0.0, 0.0, 0.0, 0.0) for i in range(labels.max() + 1)]
    return LabelSegmentation("quickshift", S, baseline, labels, segments)


def faithfulness(classifier, segmentation, weights, target, seed) -> dict:
    curves = deletion_insertion(PerturbationEngine(classifier, segmentation), weights, target, n_random=3, seed=seed)
    return {k: round(v, 4) for k, v in curves.items() if k.endswith("_auc")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=Path("models/demo"))
    parser.add_argument("--clip", type=Path, required=True)
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-recipe", action="store_true", help="leave out the slow original recipe")
    parser.add_argument("--backend", choices=("tensorflow", "jax"), default="tensorflow", help="Keras backend")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/explain_speed.json"))
    args = parser.parse_args()

    classifier = GenreClassifier(args.bundle, backend=args.backend)
    classifier.warm_up()
    audio = load_audio(args.clip, sr=classifier.features.sample_rate, max_duration=30.0)
    S = clip_log_mel(audio.samples, classifier.features)
    baseline = baseline_fill(S, "min")
    rows = []
    target = None
    if not args.skip_recipe:
        r = recipe(classifier, S, num_samples=args.num_samples, seed=args.seed)
        target = r["target"]
        segmentation = label_segmentation(S, baseline, r["labels"])
        rows.append(
            {
                "method": "recipe: lime_image, batches of 10",
                "segmentation": f"quickshift ({segmentation.k} segments)",
                "seconds": round(r["seconds"], 3),
                "model_calls": r["model_calls"],
                "windows_evaluated": r["windows_evaluated"],
                **faithfulness(classifier, segmentation, r["weights"], target, args.seed),
            }
        )
    for kind in ("time_frequency", "superpixel", "temporal", "sources"):
        for method in ("lime", "shap"):
            segmentation = segment_clip(audio.samples, S, baseline, classifier.features, SegmentationParams(kind))
            engine = PerturbationEngine(classifier, segmentation)
            if target is None:
                target = int(np.argmax(engine(np.ones((1, segmentation.k), dtype=bool))[0]))
            started = time.perf_counter()
            attribution = explain(method, engine, [target], num_samples=args.num_samples, seed=args.seed)
            seconds = time.perf_counter() - started
            rows.append(
                {
                    "method": f"ours: {method}",
                    "segmentation": f"{kind} ({segmentation.k} segments)",
                    "seconds": round(seconds, 3),
                    "model_calls": engine.stats.model_calls,
                    "windows_evaluated": engine.stats.windows_evaluated,
                    **faithfulness(classifier, segmentation, attribution.weights[target], target, args.seed),
                }
            )
    report = {
        "bundle": str(args.bundle),
        "clip": str(args.clip),
        "explained_genre": classifier.genres[target],
        "num_samples": args.num_samples,
        "seed": args.seed,
        "backend": classifier.runner.backend,
        "device": classifier.runner.device,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))


def markdown(report: dict) -> str:
    lines = [
        f"Clip `{report['clip']}`, bundle `{report['bundle']}`, genre explained: {report['explained_genre']}, "
        f"{report['num_samples']} samples, seed {report['seed']}, backend {report['backend']} on {report['device']}, "
        f"{report['machine']}.",
        "",
        "| method | segmentation | seconds | model calls | windows evaluated | deletion AUC (random) "
        "| insertion AUC (random) |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for r in report["rows"]:
        lines.append(
            f"| {r['method']} | {r['segmentation']} | {r['seconds']:.2f} | {r['model_calls']} "
            f"| {r['windows_evaluated']} "
            f"| {r['deletion_auc']:.3f} ({r['random_deletion_auc']:.3f}) "
            f"| {r['insertion_auc']:.3f} ({r['random_insertion_auc']:.3f}) |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
