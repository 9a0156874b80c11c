"""Explanations measured the way the audio-explanation literature measures them, per bundle and method, on
real recordings of the real-audio set's report part (never tuned on): the listenable-evidence metrics
(AI, AD, AG, FF, Fid-In) beside their same-area random control, and deletion / insertion against
random orders. Each bundle's randomisation curve is in its ``bundle.json`` (``musicxai bundle check``);
L-MAC's ESC-50 row (another data set, another model) is read from ``benchmarks/anchors``.

    python benchmarks/explanation_quality.py --realset data/realset --corpus data/demo-corpus \\
        --bundles models/demo-student models/musicnn-msd models/musicnn-mtt

With ``--corpus`` the same is measured on synthetic clips the default model was not trained on.

Clips are taken one package at a time in turn, so no one game's score fills the sample.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from musicxai.audio.decode import DecodedAudio, load_audio
from musicxai.explain.params import ExplanationParams
from musicxai.explain.pipeline import run_explanation
from musicxai.explain.sanity import methods_for
from musicxai.model.bundle import read_bundle_meta
from musicxai.model.classifier import GenreClassifier
from training.gtzan import genres_dir
from training.realset import Part, spread_music

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("average_increase", "average_drop", "average_gain", "faithfulness", "fidelity_in")


def summarise(rows: list[dict]) -> dict:
    """Means over clips (AI and Fid-In are shares, × 100 as the literature prints them)."""
    out = {}
    for side in ("evidence", "control"):
        for m in METRICS:
            values = [r["listening"][side][m] for r in rows]
            scale = 100 if m in ("average_increase", "fidelity_in") else 1
            out[f"{side}_{m}"] = round(float(np.mean(values)) * scale, 2)
    deletion = [r["deletion_auc"] / r["random_deletion_auc"] for r in rows if r["random_deletion_auc"] > 0]
    out["deletion_over_random_median"] = round(float(np.median(deletion)), 3) if deletion else None
    above = [r["insertion_auc"] > r["random_insertion_auc"] for r in rows]
    out["insertion_above_random_share"] = round(float(np.mean(above)), 3)
    out["ai_over_control"] = (
        round(out["evidence_average_increase"] / out["control_average_increase"], 2)
        if out["control_average_increase"] > 0 else None
    )  # fmt: skip
    return out


def explain_rows(classifier: GenreClassifier, audio: dict[str, DecodedAudio], params: ExplanationParams) -> list[dict]:
    """One explanation per clip: its listening metrics and its curves' AUCs."""
    rows = []
    for name, a in audio.items():
        result = run_explanation(classifier, a, params).result
        label = result.explained_genres[0]
        curves = result.faithfulness[label]
        rows.append({
            "clip": name, "label": label, "p": result.probabilities[label],
            "listening": result.listening.model_dump(), "deletion_auc": curves.deletion_auc,
            "random_deletion_auc": curves.random_deletion_auc, "insertion_auc": curves.insertion_auc,
            "random_insertion_auc": curves.random_insertion_auc, "model_calls": result.model_calls,
        })  # fmt: skip
    return rows


def load_clips(classifier: GenreClassifier, clips: list[tuple[str, Path]], seconds: float) -> dict[str, DecodedAudio]:
    rate = classifier.features.sample_rate
    audio = {}
    for name, path in clips:
        y = load_audio(path, sr=rate).samples[: int(seconds * rate)]
        audio[name] = DecodedAudio(y, rate, len(y) / rate)
    return audio


def measure(bundle: Path, clips: list[tuple[str, Path]], seconds: float, data: str) -> list[dict]:
    classifier = GenreClassifier.load(bundle)
    classifier.warm_up()
    audio = load_clips(classifier, clips, seconds)
    reports = []
    for method in methods_for(classifier):
        params = ExplanationParams(method=method).with_defaults(classifier.meta.explanation_defaults)
        started = time.perf_counter()
        rows = explain_rows(classifier, audio, params)
        reports.append({
            "bundle": bundle.name, "method": method.value, "data": data, "params": params.model_dump(mode="json"),
            "clips": len(rows), "seconds": round(time.perf_counter() - started, 1), **summarise(rows), "per_clip": rows,
        })  # fmt: skip
        print(json.dumps({k: v for k, v in reports[-1].items() if k not in ("per_clip", "params")}))
    return reports


def held_out_corpus(corpus: Path, bundle: Path, n: int) -> list[tuple[str, Path]]:
    """``n`` synthetic clips ``bundle`` held out of training (its split's test tracks), genres in turn."""
    tracks = read_bundle_meta(bundle).split.test_tracks
    by_genre: dict[str, list[str]] = {}
    for track in sorted(tracks):
        by_genre.setdefault(track.split("/")[0], []).append(track)
    order = [t for group in itertools.zip_longest(*by_genre.values()) for t in group if t]
    return [(Path(t).stem, genres_dir(corpus) / t) for t in order[:n]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realset", type=Path, default=ROOT / "data" / "realset")
    parser.add_argument("--corpus", type=Path, default=None, help="the demo corpus: its held-out clips too")
    parser.add_argument("--split-of", type=Path, default=ROOT / "models" / "demo-student",
                        help="the bundle whose test tracks are the held-out synthetic clips")  # fmt: skip
    parser.add_argument("--bundles", type=Path, nargs="+", required=True)
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0, help="of each excerpt")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "explanation_quality.json")
    args = parser.parse_args()
    sets = {"real": [(e.id, path) for e, path in spread_music(args.realset, Part.report, args.clips)]}
    if args.corpus is not None:
        sets["synthetic"] = held_out_corpus(args.corpus, args.split_of, args.clips)
    rows = [
        r for bundle in args.bundles for data, clips in sets.items() for r in measure(bundle, clips, args.seconds, data)
    ]
    report = {
        "benchmark": "explanation_quality",
        "data": {
            "real": f"real-audio set, report part: {len(sets['real'])} music excerpts, first {args.seconds:g} s",
            "synthetic": f"demo corpus: {args.clips} clips held out of {args.split_of.name}'s training, genres in turn "
            f"(synthetic renders; for the taggers, never seen either)",
        },
        "clips": {data: [name for name, _ in clips] for data, clips in sets.items()},
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "runs": 1,
        "results": rows,
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
