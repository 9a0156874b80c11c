"""Served bundles on the real-audio set (``musicxai realset``): top-1 / top-3 genre accuracy on the
labelled music of one part, per genre, with a confusion table, and what each bundle says of the
not-music clips. The ``report`` part is only ever reported on: never train, tune or select on it.

    python benchmarks/real_audio_eval.py --realset data/realset --part report \\
        --bundles models/demo-tags models/demo models/demo-transfer --corpus data/demo-corpus --record

``--detector A B --detectors-only`` puts music detectors side by side on the same clips instead (the
first bundle still names the synthetic test tracks).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from musicxai.audio.decode import load_audio
from musicxai.model.bundle import read_bundle_meta, write_bundle_meta
from musicxai.model.classifier import GenreClassifier
from musicxai.model.detector import MusicDetector
from training.realset import Kind, Part, excerpts


def evaluate(classifier: GenreClassifier, realset: Path, part: Part) -> dict:
    genres = list(classifier.genres)
    rows, confusion = [], defaultdict(Counter)
    not_music = defaultdict(Counter)
    for entry, path in excerpts(realset, part):
        y = load_audio(path, sr=classifier.features.sample_rate).samples
        probabilities = classifier.classify(y).probabilities
        order = [genres[i] for i in np.argsort(-probabilities)[:3]]
        if entry.label:
            confusion[entry.label][order[0]] += 1
            rows.append({"id": entry.id, "label": entry.label, "top3": order, "p_top": float(probabilities.max())})
        elif not entry.is_music:
            not_music[entry.kind][order[0]] += 1
    per_genre = {
        g: {
            "clips": sum(1 for r in rows if r["label"] == g),
            "top1": sum(1 for r in rows if r["label"] == g and r["top3"][0] == g),
            "top3": sum(1 for r in rows if r["label"] == g and g in r["top3"]),
        }
        for g in genres
        if any(r["label"] == g for r in rows)
    }
    n = len(rows)
    macro = [v["top1"] / v["clips"] for v in per_genre.values()]
    return {
        "bundle": classifier.name,
        "part": part,
        "labelled_clips": n,
        "top1": sum(r["top3"][0] == r["label"] for r in rows) / n if n else None,
        "top3": sum(r["label"] in r["top3"] for r in rows) / n if n else None,
        "top1_mean_over_genres": float(np.mean(macro)) if macro else None,
        "per_genre": per_genre,
        "confusion": {label: dict(predicted) for label, predicted in confusion.items()},
        "not_music_top_genre": {kind: dict(c) for kind, c in not_music.items()},
        "rows": rows,
    }


FITTED = ("embedder", "data", "C", "threshold", "cross_validation", "candidates", "distillation")


def evaluate_detector(detector: MusicDetector, realset: Path, part: Part, synthetic: list[Path]) -> dict:
    """How often the detector calls not-music clips not music (per kind), and music clips not music."""

    def called_not_music(path: Path) -> bool:
        audio = load_audio(path, sr=detector.meta.features.sample_rate)
        return not detector.is_music(detector.music_probability(audio.samples, audio.sample_rate))

    said = defaultdict(list)
    for entry, path in excerpts(realset, part):
        said[entry.kind].append(called_not_music(path))
    if synthetic:
        said["synthetic music"] = [called_not_music(path) for path in synthetic]
    not_music = [v for kind, values in said.items() if kind not in (Kind.music, "synthetic music") for v in values]
    return {
        "part": part,
        "threshold": detector.meta.threshold,
        "detection_rate": float(np.mean(not_music)),
        "not_music_clips": len(not_music),
        "false_alarm_rate": float(np.mean(said[Kind.music])),
        "music_clips": len(said[Kind.music]),
        "false_alarm_rate_synthetic": float(np.mean(said["synthetic music"])) if synthetic else None,
        "synthetic_clips": len(synthetic),
        "called_not_music_by_kind": {str(k): f"{sum(v)}/{len(v)}" for k, v in said.items()},
        # how it was fitted, as its detector.json records it (train part only)
        "fitted": {k: detector.meta.training.get(k) for k in FITTED if k in detector.meta.training},
    }


def record(bundle: Path, result: dict, detector: dict | None, command: str) -> None:
    """Write the figures into the bundle's ``reports.real_audio`` (the rows stay in the JSON)."""
    meta = read_bundle_meta(bundle)
    summary = {k: v for k, v in result.items() if k not in ("rows", "bundle")}
    meta.reports["real_audio"] = {**summary, "music_detector": detector, "command": command}
    write_bundle_meta(bundle, meta)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realset", type=Path, default=Path("data/realset"))
    parser.add_argument("--part", type=Part, default=Part.report)
    parser.add_argument("--bundles", nargs="+", type=Path, default=[Path("models/demo"), Path("models/demo-transfer")])
    parser.add_argument("--detector", type=Path, nargs="+", default=[Path("models/detector")], help="one or more")
    parser.add_argument("--detectors-only", action="store_true", help="evaluate the detectors, not the bundles")
    parser.add_argument(
        "--corpus", type=Path, default=None, help="demo corpus: the first bundle's test tracks as music"
    )
    parser.add_argument("--record", action="store_true", help="write the figures into each bundle.json's reports")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/real_audio_eval.json"))
    args = parser.parse_args()
    bundles = [] if args.detectors_only else args.bundles
    results = [evaluate(GenreClassifier.load(b), args.realset, args.part) for b in bundles]
    synthetic = []
    if args.corpus is not None:
        synthetic = [args.corpus / "genres_original" / t for t in read_bundle_meta(args.bundles[0]).split.test_tracks]
    detectors = [
        {"detector": str(path), **evaluate_detector(MusicDetector.load(path), args.realset, args.part, synthetic)}
        for path in args.detector
    ]
    detector = detectors[0]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    document = {"part": args.part, "kinds": [k.value for k in Kind], "bundles": results, "music_detector": detector}
    if len(detectors) > 1:
        document["music_detectors"] = detectors
    args.out.write_text(json.dumps(document, indent=1))
    if args.record:
        command = "python " + " ".join(sys.argv)
        for bundle, result in zip(bundles, results, strict=True):
            record(bundle, result, detector, command)
    print(json.dumps(detectors, indent=1))
    print("| bundle | labelled clips | top-1 | top-3 | top-1, mean over genres | per genre (top-1 / clips) |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        genres = ", ".join(f"{g} {v['top1']}/{v['clips']}" for g, v in r["per_genre"].items())
        top1 = f"{r['top1']:.2f}" if r["top1"] is not None else "–"
        top3 = f"{r['top3']:.2f}" if r["top3"] is not None else "–"
        macro = f"{r['top1_mean_over_genres']:.2f}" if r["top1_mean_over_genres"] is not None else "–"
        print(f"| {r['bundle']} | {r['labelled_clips']} | {top1} | {top3} | {macro} | {genres} |")


if __name__ == "__main__":
    main()
