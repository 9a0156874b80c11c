"""Served bundles on the real-audio set (``musicxai realset``): top-1 / top-3 genre accuracy on the
labelled music of one part, per genre, with a confusion table, and what each bundle says of the
not-music clips. The ``report`` part is only ever reported on: never train, tune or select on it.

    python benchmarks/real_audio_eval.py --realset data/realset --part report \\
        --bundles models/demo models/demo-transfer --out benchmarks/results/real_audio_eval.json
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from musicxai.audio.decode import load_audio
from musicxai.model.classifier import GenreClassifier
from training.realset import Kind, Part, read_definition


def evaluate(classifier: GenreClassifier, realset: Path, part: Part) -> dict:
    files = {row["id"]: realset / row["file"] for row in csv.DictReader((realset / "manifest.csv").open())}
    entries = [e for e in read_definition() if e.part is part and e.id in files]
    genres = list(classifier.genres)
    rows, confusion = [], defaultdict(Counter)
    not_music = defaultdict(Counter)
    for entry in entries:
        y = load_audio(files[entry.id], sr=classifier.features.sample_rate).samples
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
    return {
        "bundle": classifier.name,
        "part": part,
        "labelled_clips": n,
        "top1": sum(r["top3"][0] == r["label"] for r in rows) / n if n else None,
        "top3": sum(r["label"] in r["top3"] for r in rows) / n if n else None,
        "per_genre": per_genre,
        "confusion": {label: dict(predicted) for label, predicted in confusion.items()},
        "not_music_top_genre": {kind: dict(c) for kind, c in not_music.items()},
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realset", type=Path, default=Path("data/realset"))
    parser.add_argument("--part", type=Part, default=Part.report)
    parser.add_argument("--bundles", nargs="+", type=Path, default=[Path("models/demo"), Path("models/demo-transfer")])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/real_audio_eval.json"))
    args = parser.parse_args()
    results = [evaluate(GenreClassifier.load(b), args.realset, args.part) for b in args.bundles]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"part": args.part, "kinds": [k.value for k in Kind], "bundles": results}, indent=1))
    print("| bundle | labelled clips | top-1 | top-3 | per genre (top-1 / clips) |")
    print("| --- | ---: | ---: | ---: | --- |")
    for r in results:
        genres = ", ".join(f"{g} {v['top1']}/{v['clips']}" for g, v in r["per_genre"].items())
        top1 = f"{r['top1']:.2f}" if r["top1"] is not None else "–"
        top3 = f"{r['top3']:.2f}" if r["top3"] is not None else "–"
        print(f"| {r['bundle']} | {r['labelled_clips']} | {top1} | {top3} | {genres} |")


if __name__ == "__main__":
    main()
