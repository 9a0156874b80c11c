"""A sanity check on real recordings: what the demo bundles say, next to a tagger trained on real music.

Reported, never tuned on. The recordings come from Debian packages of free games, fetched with
`apt-get download` (see docs/models/real-audio-check.md for the package names, files and licences).
The reference is the converted musicnn MSD_vgg tagger (trained on the Million Song Dataset),
averaged over its 3 s patches.

    python benchmarks/real_audio_check.py --bundles models/demo models/demo-transfer -- FILE [FILE ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import keras
import numpy as np

from musicxai.audio.decode import load_audio
from musicxai.model.bundle import write_bundle_meta
from musicxai.model.classifier import GenreClassifier
from training.pretrained import musicnn_input

SECONDS = 30.0
OFFSET_S = 30.0  # skip intros: analyse 30 s from 0:30 when the track is long enough


def excerpt(path: Path, sr: int) -> np.ndarray:
    audio = load_audio(path, sr=sr, max_duration=OFFSET_S + SECONDS).samples
    start = int(OFFSET_S * sr) if len(audio) >= int((OFFSET_S + 10) * sr) else 0
    return audio[start : start + int(SECONDS * sr)]


def top(probabilities: np.ndarray, names: list[str], k: int = 3) -> str:
    order = np.argsort(-probabilities)[:k]
    return ", ".join(f"{names[i]} {probabilities[i]:.2f}" for i in order)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundles", nargs="+", type=Path, default=[Path("models/demo")])
    parser.add_argument("--tagger", type=Path, default=Path("models/pretrained/MSD_vgg"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/real_audio.json"))
    parser.add_argument("--record", action="store_true", help="also store the table in each bundle.json")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()

    classifiers = [GenreClassifier.load(b) for b in args.bundles]
    tagger = keras.saving.load_model(args.tagger / "backbone.keras", compile=False)
    tags = json.loads((args.tagger / "tags.json").read_text())
    rows = []
    for path in args.files:
        row = {"file": path.name}
        for classifier in classifiers:
            prediction = classifier.classify(excerpt(path, classifier.features.sample_rate))
            row[classifier.name] = top(prediction.probabilities, list(classifier.genres))
        patches = musicnn_input(excerpt(path, 16000))[..., None]
        row["tagger"] = top(np.asarray(tagger.predict(patches, verbose=0)).mean(axis=0), tags)
        rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")
    names = [c.name for c in classifiers]
    if args.record:
        record(dict(zip(args.bundles, classifiers, strict=True)), rows)
    print("| file | " + " | ".join(names) + " | musicnn MSD tagger (top tags) |")
    print("| --- |" + " --- |" * (len(names) + 1))
    for row in rows:
        print(f"| {row['file']} | " + " | ".join(row[n] for n in names) + f" | {row['tagger']} |")


def record(classifiers: dict[Path, GenreClassifier], rows: list[dict]) -> None:
    """Keep the check, and every compared bundle's held-out accuracy, next to each bundle's metrics."""
    held_out = {c.name: c.meta.metrics.test.clip_accuracy if c.meta.metrics else None for c in classifiers.values()}
    for bundle, classifier in classifiers.items():
        report = {
            "what": "top-3 genres on free real recordings (Debian game music), reported, never tuned on",
            "held_out_clip_accuracy": held_out,
            "rows": [{"file": r["file"], "prediction": r[classifier.name], "tagger": r["tagger"]} for r in rows],
        }
        meta = classifier.meta.model_copy(update={"reports": {**classifier.meta.reports, "real_audio_check": report}})
        write_bundle_meta(bundle, meta)


if __name__ == "__main__":
    main()
