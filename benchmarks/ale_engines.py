"""PyALE and effector on the same predictor and data: how far apart are their ALE curves?

Both engines get the same editing predictor (the served CNN on edited held-out clips) and the
same clips. Their bins differ by design (PyALE: quantiles, effector: equal width), so the curves
are compared where both are defined, on PyALE's bin edges inside effector's range, after linear
interpolation of effector's curve.

    python benchmarks/ale_engines.py --bundle models/demo --data data/demo-corpus --descriptors centroid band2_level
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from musicxai.model.classifier import GenreClassifier
from training.ale import compute_ale, held_out_spectrograms
from training.descriptors import build_descriptors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=Path("models/demo"))
    parser.add_argument("--data", type=Path, default=Path("data/demo-corpus"))
    parser.add_argument("--descriptors", nargs="+", default=["centroid", "band2_level", "mfcc1"])
    parser.add_argument("--bins", type=int, default=10)
    parser.add_argument("--max-clips", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ale_engines.json"))
    args = parser.parse_args()

    classifier = GenreClassifier.load(args.bundle)
    chosen = [d for d in build_descriptors(classifier.features) if d.name in args.descriptors]
    spectrograms = held_out_spectrograms(args.bundle, args.data, max_clips=args.max_clips)
    pyale, _ = compute_ale(classifier, spectrograms, bins=args.bins, engine="pyale", descriptors=chosen)
    effector, _ = compute_ale(classifier, spectrograms, bins=args.bins, engine="effector", descriptors=chosen)
    rows = []
    for a, b in zip(pyale, effector, strict=True):
        inside = (a.edges >= b.edges[0]) & (a.edges <= b.edges[-1])
        diffs = [
            np.max(np.abs(a.effects[g][inside] - np.interp(a.edges[inside], b.edges, b.effects[g])))
            for g in classifier.genres
        ]
        span = max(float(np.ptp(a.effects[g])) for g in classifier.genres)
        rows.append(
            {"descriptor": a.descriptor.name, "max_abs_difference": float(max(diffs)), "largest_effect_range": span}
        )
    report = {"bundle": str(args.bundle), "clips": len(spectrograms), "bins": args.bins, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print("| descriptor | max abs difference (probability) | largest ALE range of a genre |")
    print("| --- | ---: | ---: |")
    for r in rows:
        print(f"| {r['descriptor']} | {r['max_abs_difference']:.4f} | {r['largest_effect_range']:.4f} |")


if __name__ == "__main__":
    main()
