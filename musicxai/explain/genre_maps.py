"""What the model listens to, per genre: many clips' explanations carried onto one clip-independent grid.

One clip's attributions live on its own segments (1.5 s slices of *that* clip). To set clips of
different lengths side by side, each clip's weights for the genre it was explained for are carried
onto two fixed grids: relative time (tenths of the clip) × mel band, from the time × frequency
segmentation, and relative time × harmonic/percussive, from the ``sources`` segmentation. A segment's
weight is spread over the time bins it overlaps, in proportion to the overlap, and divided by the
clip's total absolute attribution: a cell holds the signed *share* of the clip's evidence, so every
clip counts once whatever its loudness or confidence. A genre's map is the mean over the clips
explained for it, with the standard deviation over those clips beside it. The maps of a bundle's
held-out tracks are kept in the bundle (``attributions/``), read and written here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from musicxai.errors import NotFoundError, ParameterError
from musicxai.explain.attribution import Method
from musicxai.explain.segmentation import Segment, SegmentationKind

TIME_BINS = 10  # relative-time columns: tenths of a clip
MAPS_DIR = "attributions"  # inside a bundle, beside ale/
MAPS_FILE = "genre_maps.json"
SOURCE_ROWS = ("harmonic", "percussive")
MIN_SPLIT = 4  # clips a genre needs before its map's split-half agreement is reported


class MapView(StrEnum):
    """The two clip-independent grids, and the segmentation each is read from."""

    time_band = "time_band"
    time_source = "time_source"

    @property
    def segmentation(self) -> SegmentationKind:
        return SegmentationKind.time_frequency if self is MapView.time_band else SegmentationKind.sources

    @property
    def png(self) -> str:
        return f"{self.value}.png"


def _row_key(segment: Segment, view: MapView) -> tuple[float, float] | str:
    """Which row a segment belongs to: its mel band (low, high Hz), or its source."""
    return (segment.low_hz, segment.high_hz) if view is MapView.time_band else segment.component


def _row_keys(segments: Sequence[Segment], view: MapView) -> list:
    """The grid's rows, low to high: the segmentation's mel bands, or the two sources."""
    return list(SOURCE_ROWS) if view is MapView.time_source else sorted({_row_key(s, view) for s in segments})


def row_labels(segments: Sequence[Segment], view: MapView) -> list[str]:
    """The grid's rows as a person reads them, low to high: bands in Hz, or the sources' names."""
    keys = _row_keys(segments, view)
    return keys if view is MapView.time_source else [f"{low:.0f}–{high:.0f} Hz" for low, high in keys]


def project(segments: Sequence[Segment], weights: Sequence[float], view: MapView) -> np.ndarray:
    """One clip's segment weights -> [shape=(rows, TIME_BINS)] signed shares of its total |weight|.

    Mass is kept: the absolute values of the cells sum to at most 1 (exactly 1 where no cell mixes
    positive and negative segments); a clip with no attribution at all maps to zeros."""
    if len(segments) != len(weights):
        raise ParameterError(f"{len(weights)} weights for {len(segments)} segments")
    w = np.asarray(weights, dtype=np.float64)
    rows = {key: i for i, key in enumerate(_row_keys(segments, view))}
    grid = np.zeros((len(rows), TIME_BINS))
    total = np.abs(w).sum()
    if not segments or total == 0:
        return grid
    row_of = [rows.get(_row_key(s, view)) for s in segments]
    if None in row_of:
        raise ParameterError("a harmonic/percussive map needs the sources segmentation")
    duration = max(s.end_s for s in segments)
    edges = np.linspace(0.0, duration, TIME_BINS + 1)
    for segment, row, weight in zip(segments, row_of, w, strict=True):
        length = segment.end_s - segment.start_s
        if length <= 0:
            continue
        overlap = np.clip(np.minimum(edges[1:], segment.end_s) - np.maximum(edges[:-1], segment.start_s), 0, None)
        grid[row] += weight * overlap / length
    return grid / total


class ViewMap(BaseModel):
    """One view of one genre: the mean share per cell over the genre's clips, and its spread."""

    mean: list[list[float]] = Field(description="[rows][time bins], rows low to high")
    std: list[list[float]] = Field(description="standard deviation over the clips, per cell")


class GenreMap(BaseModel):
    clips: int = Field(description="clips explained for this genre")
    views: dict[MapView, ViewMap]
    split_half: float | None = Field(
        description="correlation between the mean maps of two halves of the clips (every other clip), both views "
        f"together: near 1, the map is the genre's; near 0, it is the particular clips'. None under {MIN_SPLIT} clips"
    )


class GenreMaps(BaseModel):
    """Per-genre attribution maps over many clips (``genre_maps.json``, and a batch job's result)."""

    model: str
    method: Method
    num_samples: int = Field(description="samples per window game (0: the gradient method plays none)")
    clips: int = Field(description="clips aggregated")
    data: str = Field(description="which clips, in words")
    grouped_by: str = "the genre the model predicted for the clip, which is the genre explained"
    time_bins: int = TIME_BINS
    rows: dict[MapView, list[str]] = Field(description="row labels per view, low to high")
    genres: dict[str, GenreMap] = Field(description="only genres at least one clip was explained for")
    seconds: float | None = Field(None, description="time the explanations took")


ClipMaps = tuple[str, dict[MapView, np.ndarray]]  # (explained genre, grid per view)


def aggregate(
    clip_maps: Sequence[ClipMaps], rows: dict[MapView, list[str]], genres: Sequence[str], **meta
) -> GenreMaps:
    """Mean and spread per genre, in the model's genre order."""
    maps: dict[str, GenreMap] = {}
    for genre in genres:
        mine = [grids for g, grids in clip_maps if g == genre]
        if not mine:
            continue
        views = {}
        for view in MapView:
            stack = np.stack([grids[view] for grids in mine])
            views[view] = ViewMap(mean=stack.mean(axis=0).round(5).tolist(), std=stack.std(axis=0).round(5).tolist())
        maps[genre] = GenreMap(clips=len(mine), views=views, split_half=split_half([_flat(g) for g in mine]))
    return GenreMaps(clips=len(clip_maps), rows=rows, genres=maps, **meta)


def _flat(grids: dict[MapView, np.ndarray]) -> np.ndarray:
    return np.concatenate([grids[view].ravel() for view in MapView])


def split_half(maps: Sequence[np.ndarray]) -> float | None:
    """Pearson correlation between the mean of the even-numbered and of the odd-numbered clips' maps."""
    if len(maps) < MIN_SPLIT:
        return None
    halves = np.mean(maps[0::2], axis=0), np.mean(maps[1::2], axis=0)
    if min(np.std(h) for h in halves) == 0:
        return None
    return round(float(np.corrcoef(*halves)[0, 1]), 4)


def write_genre_maps(bundle: Path, maps: GenreMaps, pictures: dict[MapView, bytes]) -> Path:
    out = Path(bundle) / MAPS_DIR
    out.mkdir(parents=True, exist_ok=True)
    (out / MAPS_FILE).write_text(maps.model_dump_json(indent=1))
    for view, png in pictures.items():
        (out / view.png).write_bytes(png)
    return out


def read_genre_maps(bundle: Path) -> GenreMaps:
    """The bundle's precomputed maps; a bundle without them is a 404."""
    target = Path(bundle) / MAPS_DIR / MAPS_FILE
    if not target.is_file():
        raise NotFoundError(
            f"Model {Path(bundle).name!r} has no per-genre attribution maps (musicxai genre-maps makes them)."
        )
    return GenreMaps.model_validate(json.loads(target.read_text()))


def read_genre_maps_png(bundle: Path, filename: str) -> bytes:
    """One of the bundle's map pictures by file name; anything else, traversal included, is a 404."""
    names = {view.png for view in MapView}
    target = Path(bundle) / MAPS_DIR / filename
    if filename not in names or not target.is_file():
        raise NotFoundError(f"No map picture {filename!r}; there are {', '.join(sorted(names))}.")
    return target.read_bytes()
