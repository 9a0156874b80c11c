"""``musicxai genre-maps``: per-genre attribution maps of a bundle over its held-out tracks.

Like the ALE plots, the maps are computed offline and stored in the bundle (``attributions/``), so the
service serves them at once. Each clip is one of the bundle's recorded test tracks (never a training
track), taken evenly over the genres it is labelled with; it is explained for the genre the model
predicts, on the two segmentations the maps read, and carried onto the clip-independent grids of
:mod:`musicxai.explain.genre_maps`.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from musicxai.audio.decode import DecodedAudio, load_audio
from musicxai.config import DEFAULT_RUNNER, RunnerOptions
from musicxai.explain.attribution import Games, Method
from musicxai.explain.genre_maps import ClipMaps, MapView, aggregate, project, row_labels, write_genre_maps
from musicxai.explain.methods import attribute
from musicxai.explain.params import ExplanationParams
from musicxai.explain.pipeline import build_engine
from musicxai.explain.render import genre_maps_png
from musicxai.model.bundle import read_bundle_meta
from musicxai.model.classifier import GenreClassifier
from training.gtzan import bundle_test_tracks

log = logging.getLogger(__name__)
MAX_SECONDS = 30.0  # GTZAN's clip length; longer files are read up to it


def held_out_tracks(bundle: Path, data: Path, *, per_genre: int, seed: int = 0) -> list[tuple[Path, str]]:
    """Up to ``per_genre`` of the bundle's recorded test tracks per labelled genre (a seeded draw)."""
    held_out = bundle_test_tracks(bundle, data)
    rng = np.random.default_rng(seed)
    chosen = []
    for genre in read_bundle_meta(bundle).genres:
        mine = [t for t in held_out if t.genre == genre]
        picked = rng.choice(len(mine), size=min(per_genre, len(mine)), replace=False) if mine else []
        chosen += [(mine[i].path, genre) for i in sorted(picked)]
    return chosen


def explain_for_maps(
    classifier: GenreClassifier, audio: DecodedAudio, *, method: Method, num_samples: int | None, seed: int
) -> tuple[ClipMaps, dict[MapView, list[str]]]:
    """Explain one clip's predicted genre on both grids' segmentations (attributions only: no
    faithfulness curves, no pictures) and project each onto its grid."""
    grids: dict[MapView, np.ndarray] = {}
    rows: dict[MapView, list[str]] = {}
    target: int | None = None
    for view in MapView:
        params = ExplanationParams(method=method, segmentation=view.segmentation, num_samples=num_samples, seed=seed)
        engine = build_engine(classifier, audio, params.engine_spec())
        if target is None:
            target = int(np.argmax(engine(np.ones((1, engine.segmentation.k), dtype=bool))[0]))
        weights = attribute(method, engine, [target], num_samples=params.samples, seed=seed, games=Games.windows)
        grids[view] = project(engine.segmentation.segments, weights.weights[target], view)
        rows[view] = row_labels(engine.segmentation.segments, view)
    assert target is not None
    return (classifier.genres[target], grids), rows


def build_genre_maps(
    bundle: Path,
    data: Path,
    *,
    per_genre: int = 8,
    method: Method = Method.lime,
    num_samples: int | None = None,
    seed: int = 0,
    options: RunnerOptions = DEFAULT_RUNNER,
) -> Path:
    """Explain the held-out clips, aggregate per predicted genre, write maps and pictures into the bundle."""
    classifier = GenreClassifier.load(bundle, options=options)
    tracks = held_out_tracks(bundle, data, per_genre=per_genre, seed=seed)
    clip_maps: list[ClipMaps] = []
    rows: dict[MapView, list[str]] = {}
    agree = 0
    started = time.perf_counter()
    for i, (path, label) in enumerate(tracks, 1):
        audio = load_audio(path, sr=classifier.features.sample_rate, max_duration=MAX_SECONDS)
        maps, rows = explain_for_maps(classifier, audio, method=method, num_samples=num_samples, seed=seed)
        clip_maps.append(maps)
        agree += maps[0] == label
        log.info("%d/%d %s: explained as %s", i, len(tracks), path.name, maps[0])
    seconds = time.perf_counter() - started
    result = aggregate(
        clip_maps,
        rows,
        classifier.genres,
        model=classifier.name,
        method=method,
        num_samples=ExplanationParams(method=method, num_samples=num_samples).samples_per_game,
        data=(
            f"{len(tracks)} held-out test tracks of the bundle's split (up to {per_genre} per labelled genre, "
            f"seed {seed}); the model's top genre matched the label on {agree}"
        ),
        seconds=round(seconds, 1),
    )
    pictures = {view: genre_maps_png(result, view) for view in MapView}
    return write_genre_maps(bundle, result, pictures)
