"""The clips a benchmark explains: each must be a held-out track of the bundle, so no figure is
measured on a clip the model was trained on."""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Iterator
from pathlib import Path

from musicxai.audio.decode import DecodedAudio, load_audio
from musicxai.model.classifier import GenreClassifier

CLIP_SECONDS = 30.0


def clip_parser(description: str, *, bundle: str, out: str) -> argparse.ArgumentParser:
    """``--bundle``, ``--clips``, ``--seed`` and ``--out``, which every held-out benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bundle", type=Path, default=Path(bundle))
    parser.add_argument("--clips", type=Path, nargs="+", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(out))
    return parser


def load_classifier(bundle: Path) -> GenreClassifier:
    classifier = GenreClassifier.load(bundle)
    classifier.warm_up()
    return classifier


def held_out_clips(classifier: GenreClassifier, clips: list[Path]) -> Iterator[tuple[str, DecodedAudio]]:
    """``(genre/file.wav, audio)`` of each clip, refusing any the bundle's split did not hold out."""
    held_out = set(classifier.meta.split.test_tracks)
    for clip in clips:
        relative = f"{clip.parent.name}/{clip.name}"
        if relative not in held_out:
            raise SystemExit(f"{relative} is not a held-out track of {classifier.name}")
        yield relative, load_audio(clip, sr=classifier.features.sample_rate, max_duration=CLIP_SECONDS)


def write_report(out: Path, head: dict, summary: dict, rows: list[dict]) -> dict:
    """``head`` + the machine, the clip count, ``summary`` and ``rows``, written as JSON to ``out``."""
    report = {
        **head,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "clips": len(rows),
        "summary": summary,
        "rows": rows,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    return report
