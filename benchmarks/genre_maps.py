"""Per-genre attribution maps of a bundle (``musicxai genre-maps``), timed and summarised.

Runs the same code as the command, so the maps it leaves in ``models/<bundle>/attributions/`` are the
ones the service serves, and writes what docs/explanations/genre-maps.md renders: per genre, the clips
explained for it, how much of a clip's evidence the harmonic and the percussive part carry, the mel
band that carries the most, and the split-half agreement of its map (is it the genre's, or the few
clips'?).

    python benchmarks/genre_maps.py --bundle models/demo-student --data data/demo-corpus --per-genre 8
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from musicxai.config import Settings
from musicxai.explain.attribution import Method
from musicxai.explain.genre_maps import MapView, read_genre_maps
from training.genre_maps import build_genre_maps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=Path("models/demo-student"))
    parser.add_argument("--data", type=Path, default=Path("data/demo-corpus"))
    parser.add_argument("--per-genre", type=int, default=8)
    parser.add_argument("--method", choices=[m.value for m in Method], default="lime")
    parser.add_argument("--out", type=Path, default=None, help="default: benchmarks/results/genre_maps_<bundle>.json")
    args = parser.parse_args()

    started = time.perf_counter()
    build_genre_maps(
        args.bundle, args.data, per_genre=args.per_genre, method=Method(args.method),
        options=Settings().runner_options(),
    )  # fmt: skip
    seconds = time.perf_counter() - started
    maps = read_genre_maps(args.bundle)
    bands = maps.rows[MapView.time_band]
    rows = []
    for genre, entry in maps.genres.items():
        band = np.asarray(entry.views[MapView.time_band].mean).sum(axis=1)
        harmonic, percussive = np.asarray(entry.views[MapView.time_source].mean).sum(axis=1)
        rows.append(
            {
                "genre": genre,
                "clips": entry.clips,
                "harmonic_share": round(float(harmonic), 3),
                "percussive_share": round(float(percussive), 3),
                "top_band": bands[int(band.argmax())],
                "top_band_share": round(float(band.max()), 3),
                "split_half": entry.split_half,
            }
        )
    report = {
        "bundle": maps.model,
        "method": maps.method,
        "num_samples": maps.num_samples,
        "data": maps.data,
        "clips": maps.clips,
        "seconds": round(seconds, 1),
        "seconds_per_clip": round(seconds / maps.clips, 2),
        "genres": rows,
    }
    out = args.out or Path(f"benchmarks/results/genre_maps_{maps.model}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{maps.clips} clips in {seconds:.0f} s ({seconds / maps.clips:.2f} s a clip, both segmentations)")
    print(
        "| genre | clips | harmonic share | percussive share | band with the most evidence | its share | split-half r |"
    )
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: |")
    for r in rows:
        half = "–" if r["split_half"] is None else f"{r['split_half']:.2f}"
        print(
            f"| {r['genre']} | {r['clips']} | {r['harmonic_share']:.2f} | {r['percussive_share']:.2f} | "
            f"{r['top_band']} | {r['top_band_share']:.2f} | {half} |"
        )


if __name__ == "__main__":
    main()
