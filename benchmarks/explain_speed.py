"""How long one explanation of a 30 s clip takes, and how faithful it is, next to the original recipe.

The recipe of the original notebooks: lime_image's LimeImageExplainer on the clip's whole log-mel as
an RGB image, quickshift superpixels, 1000 samples, classifier called 10 images at a time. Ours:
the perturbation engine (locality memory, large batches) under LIME and SHAP, on the default grid,
on SLIC superpixels, on time slices and on harmonic/percussive sources. Every method's ranking is
scored with the same deletion/insertion curves (baseline: the clip's minimum level), so speed is
never bought with faithfulness. The raw model's windows/s is measured in the same run, so the
engine's own overhead shows. Compilation (JAX, once per shape, done at worker start in the service)
is timed apart and left out of each method's seconds.

    python benchmarks/explain_speed.py --bundle models/demo --clip data/demo-corpus/genres_original/jazz/jazz.00004.wav
    KERAS_BACKEND=jax python benchmarks/explain_speed.py --backend jax --device gpu --batch-size 2048 ...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import get_args

import numpy as np

from musicxai.audio.decode import load_audio
from musicxai.config import ENGINE_MAX_BATCH_WINDOWS, MODEL_BATCH_SIZE, RUNTIME, RunnerOptions, Runtime
from musicxai.explain.attribution import NUM_SAMPLES, Games
from musicxai.explain.baseline import baseline_fill
from musicxai.explain.engine import PerturbationEngine
from musicxai.explain.faithfulness import deletion_insertion
from musicxai.explain.methods import attribute
from musicxai.explain.segmentation import LabelSegmentation, Segment
from musicxai.explain.segmenters import SegmentationParams, segment_clip
from musicxai.model.classifier import GenreClassifier
from musicxai.model.features import clip_log_mel, frame_windows
from musicxai.model.runner import ModelRunner

SEGMENTATIONS = ("time_frequency", "superpixel", "temporal", "sources")


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
    segments = [
        Segment(index=i, name=f"quickshift {i}", start_s=0.0, end_s=0.0, low_hz=0.0, high_hz=0.0)
        for i in range(labels.max() + 1)
    ]
    return LabelSegmentation("quickshift", S, baseline, labels, segments)


def model_windows_per_s(classifier: GenreClassifier, S: np.ndarray, repeats: int = 3) -> float:
    """The bare model on host windows (normalised, copied, called in full batches), best of ``repeats``."""
    windows = frame_windows(S, classifier.features)
    n = max(classifier.runner.batch_size * 4, 2048)
    batch = np.resize(windows, (n, *windows.shape[1:]))
    classifier.window_probabilities(batch)
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        classifier.window_probabilities(batch)
        best = min(best, time.perf_counter() - started)
    return n / best


def resident_windows_per_s(runner: ModelRunner, repeats: int = 3) -> float:
    """Windows/s of the bare model on one full batch already in device memory (best of ``repeats``):
    the ceiling for anything that feeds it, the engine included. On TensorFlow, where host and device
    memory are one, the plain call."""
    x = np.zeros((runner.batch_size, *runner.input_shape), dtype=np.float32)
    if runner.backend != "jax":
        run = lambda: runner.predict(x)  # noqa: E731
    else:
        import jax

        from musicxai.model.keras_model import jax_forward

        forward, x = jax_forward(runner.model), jax.device_put(x)
        run = lambda: forward(x).block_until_ready()  # noqa: E731
    run()
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return runner.batch_size / best


def compile_for(classifier: GenreClassifier, segmentation) -> float:
    """Seconds spent compiling the on-device composition for this clip and segmentation (JAX)."""
    if classifier.runner.composer is None or not isinstance(segmentation, LabelSegmentation):
        return 0.0
    started = time.perf_counter()
    classifier.runner.warm_up(clip_frames=segmentation.n_frames, segments=segmentation.k)
    return time.perf_counter() - started


def ours(classifier, segmentation, method: str, target: int, args) -> tuple[dict, np.ndarray]:
    """One method on fresh engines ``args.repeats`` times (cold memory each time); the median run."""
    runs = []
    for _ in range(args.repeats):
        engine = PerturbationEngine(classifier, segmentation, max_batch_windows=args.max_batch_windows)
        started = time.perf_counter()
        attribution = attribute(
            method, engine, [target], num_samples=args.num_samples, seed=args.seed, games=args.games
        )
        runs.append((time.perf_counter() - started, engine, attribution))
    seconds, engine, attribution = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    stats = engine.stats
    engine_seconds = stats.seconds_perturb + stats.seconds_model
    row = {
        "seconds": round(seconds, 4),
        "seconds_all_runs": [round(run[0], 4) for run in runs],
        "seconds_perturb": round(stats.seconds_perturb, 4),
        "seconds_model": round(stats.seconds_model, 4),
        "seconds_fit": round(attribution.seconds_fit, 4),
        "model_calls": stats.model_calls,
        "windows_evaluated": stats.windows_evaluated,
        "engine_windows_per_s": round(stats.windows_evaluated / engine_seconds) if engine_seconds else None,
        "on_device": engine.composes_on_device,
    }
    return row, attribution.weights[target]


def faithfulness(classifier, segmentation, weights, target, seed) -> dict:
    curves = deletion_insertion(PerturbationEngine(classifier, segmentation), weights, target, seed=seed)
    return {k: round(v, 4) for k, v in curves.model_dump().items() if k.endswith("_auc")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=Path("models/demo"))
    parser.add_argument("--clip", type=Path, required=True)
    parser.add_argument("--num-samples", type=int, default=NUM_SAMPLES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--games", type=Games, choices=list(Games), default=Games.clip, help="ours: which games")
    parser.add_argument("--skip-recipe", action="store_true", help="leave out the slow original recipe")
    parser.add_argument("--backend", choices=("tensorflow", "jax"), default="tensorflow", help="Keras backend")
    parser.add_argument("--runtime", choices=get_args(Runtime), default=RUNTIME, help="what runs it on TensorFlow")
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu", help="stop unless the model runs here")
    parser.add_argument("--batch-size", type=int, default=MODEL_BATCH_SIZE, help="windows per model call")
    parser.add_argument(
        "--max-batch-windows", type=int, default=ENGINE_MAX_BATCH_WINDOWS, help="the engine's memory cap"
    )
    parser.add_argument("--segmentations", nargs="+", choices=SEGMENTATIONS, default=list(SEGMENTATIONS))
    parser.add_argument("--methods", nargs="+", choices=("lime", "shap"), default=["lime", "shap"])
    parser.add_argument(
        "--bands", type=int, nargs="+", default=[SegmentationParams.n_bands], help="mel bands of time_frequency grids"
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs per method; the median is reported")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/explain_speed.json"))
    args = parser.parse_args()

    started = time.perf_counter()
    classifier = GenreClassifier.load(
        args.bundle, options=RunnerOptions(batch_size=args.batch_size, backend=args.backend, runtime=args.runtime)
    )
    classifier.warm_up()
    warm_up_s = time.perf_counter() - started
    if classifier.runner.device != args.device:
        found = classifier.runner.device
        raise SystemExit(f"--device {args.device} asked for, but the {args.backend} backend runs on {found}")
    audio = load_audio(args.clip, sr=classifier.features.sample_rate, max_duration=30.0)
    S = clip_log_mel(audio.samples, classifier.features)
    baseline = baseline_fill(S, "min")
    model_rate = model_windows_per_s(classifier, S)
    resident_rate = resident_windows_per_s(classifier.runner)
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
    grids = [
        SegmentationParams(kind, n_bands=bands)
        for kind in args.segmentations
        for bands in (args.bands if kind == "time_frequency" else [SegmentationParams.n_bands])
    ]
    for params in grids:
        kind = params.kind
        segmentation = segment_clip(audio.samples, S, baseline, classifier.features, params)
        compile_s = compile_for(classifier, segmentation)
        if target is None:
            full = PerturbationEngine(classifier, segmentation)(np.ones((1, segmentation.k), dtype=bool))
            target = int(np.argmax(full[0]))
        for method in args.methods:
            row, weights = ours(classifier, segmentation, method, target, args)
            rows.append(
                {
                    "method": f"ours: {method}",
                    "segmentation": f"{kind} ({segmentation.k} segments)",
                    **row,
                    "compile_s": round(compile_s, 2),
                    **faithfulness(classifier, segmentation, weights, target, args.seed),
                }
            )
    report = {
        "bundle": str(args.bundle),
        "architecture": classifier.meta.architecture,
        "clip": str(args.clip),
        "explained_genre": classifier.genres[target],
        "num_samples": args.num_samples,
        "games": args.games.value,
        "seed": args.seed,
        "backend": classifier.runner.backend,
        "runtime": classifier.runner.runtime,
        "device": classifier.runner.device,
        "device_name": device_name(classifier),
        "batch_size": args.batch_size,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "warm_up_s": round(warm_up_s, 2),
        "model_windows_per_s": round(model_rate),
        "model_windows_per_s_resident": round(resident_rate),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))


def device_name(classifier: GenreClassifier) -> str:
    if classifier.runner.backend == "jax":
        import jax

        return jax.devices()[0].device_kind
    return platform.processor() or platform.machine()


def markdown(report: dict) -> str:
    lines = [
        f"Clip `{report['clip']}`, bundle `{report['bundle']}` ({report['architecture']}), genre explained: "
        f"{report['explained_genre']}, {report['num_samples']} samples, seed {report['seed']}, backend "
        f"{report['backend']} on {report['device_name']} ({report['device']}), batch {report['batch_size']}, "
        f"{report['machine']}. Bare model: {report['model_windows_per_s']} windows/s from host arrays, "
        f"{report['model_windows_per_s_resident']} on a batch already in device memory.",
        "",
        "| method | segmentation | seconds | model calls | windows evaluated | engine windows/s "
        "| deletion AUC (random) | insertion AUC (random) |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in report["rows"]:
        rate = r.get("engine_windows_per_s")
        lines.append(
            f"| {r['method']} | {r['segmentation']} | {r['seconds']:.3f} | {r['model_calls']} "
            f"| {r['windows_evaluated']} | {rate if rate is not None else '–'} "
            f"| {r['deletion_auc']:.3f} ({r['random_deletion_auc']:.3f}) "
            f"| {r['insertion_auc']:.3f} ({r['random_insertion_auc']:.3f}) |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
