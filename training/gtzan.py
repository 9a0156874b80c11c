"""GTZAN in Kaggle's layout (``genres_original/<genre>/<genre>.000NN.wav``) and its track-level splits.

Splitting happens on tracks, never on windows: every window of a held-out track stays held out.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import train_test_split

from musicxai.errors import ParameterError
from musicxai.model.bundle import read_bundle_meta
from training.genres import GTZAN_GENRES

log = logging.getLogger(__name__)

GENRES_DIR = "genres_original"
SPLIT_FILES = {"train": "train_filtered.txt", "valid": "valid_filtered.txt", "test": "test_filtered.txt"}
_TRACK_NAME = re.compile(r"^(?P<genre>[a-z]+)\.(?P<index>\d{5})\.(wav|au)$")


@dataclass(frozen=True)
class Track:
    path: Path
    genre: str

    @property
    def key(self) -> str:
        """``blues.00007``: the name split lists use, whatever the extension."""
        return self.path.stem

    @property
    def relpath(self) -> str:
        return f"{self.genre}/{self.path.name}"


def bundle_test_tracks(bundle: Path, data: Path) -> list[Track]:
    """The bundle's recorded held-out test tracks that are under ``data``, in the split's order: what
    offline reports on a trained bundle read, never a track it was trained on."""
    by_path = {t.relpath: t for t in discover_tracks(data)}
    tracks = [by_path[p] for p in read_bundle_meta(bundle).split.test_tracks if p in by_path]
    if not tracks:
        raise ParameterError(f"none of the bundle's test tracks are under {data}")
    return tracks


def genres_dir(root: Path) -> Path:
    """Accept the dataset folder or its ``genres_original`` folder."""
    root = Path(root)
    candidate = root / GENRES_DIR
    if candidate.is_dir():
        return candidate
    if root.name == GENRES_DIR and root.is_dir():
        return root
    raise ParameterError(f"{root} holds no '{GENRES_DIR}/<genre>/<genre>.000NN.wav' folder")


def discover_tracks(root: Path) -> list[Track]:
    """All tracks of the ten GTZAN genres under ``root``, sorted, so splits are reproducible."""
    base = genres_dir(root)
    tracks = []
    for genre in GTZAN_GENRES:
        for path in sorted((base / genre).glob("*")):
            match = _TRACK_NAME.match(path.name)
            if match and match["genre"] == genre:
                tracks.append(Track(path, genre))
            elif path.is_file():
                log.warning("skipping %s: not named <genre>.000NN.wav", path)
    if not tracks:
        raise ParameterError(f"no tracks found under {base}")
    return tracks


def stratified_split(
    tracks: list[Track], *, seed: int, valid_fraction: float = 0.1, test_fraction: float = 0.2
) -> dict[str, list[Track]]:
    """Seeded split of tracks with every genre in the same proportion in each part."""
    if not 0 < test_fraction < 1 or not 0 < valid_fraction < 1 or valid_fraction + test_fraction >= 1:
        raise ParameterError(
            f"valid_fraction={valid_fraction} and test_fraction={test_fraction} must be in (0, 1) with sum < 1"
        )
    labels = [t.genre for t in tracks]
    rest, test = train_test_split(tracks, test_size=test_fraction, stratify=labels, random_state=seed)
    rest_labels = [t.genre for t in rest]
    train, valid = train_test_split(
        rest,
        test_size=valid_fraction / (1 - test_fraction),
        stratify=rest_labels,
        random_state=seed,
    )
    return {"train": sorted(train, key=_order), "valid": sorted(valid, key=_order), "test": sorted(test, key=_order)}


def split_from_lists(tracks: list[Track], split_dir: Path) -> dict[str, list[Track]]:
    """Use ready split lists (``train_filtered.txt`` …, one relative path per line).

    Entries are matched by track name (``blues.00029``), so ``.au`` lists work with ``.wav`` files.
    Listed tracks that are missing or unreadable are reported and left out.
    """
    by_key = {t.key: t for t in tracks}
    parts: dict[str, list[Track]] = {}
    for part, filename in SPLIT_FILES.items():
        list_file = Path(split_dir) / filename
        if not list_file.is_file():
            raise ParameterError(f"split list {list_file} is missing")
        keys = [Path(line.strip()).stem for line in list_file.read_text().splitlines() if line.strip()]
        missing = [k for k in keys if k not in by_key]
        if missing:
            log.warning("%s: %d listed tracks not found (e.g. %s)", filename, len(missing), missing[0])
        parts[part] = [by_key[k] for k in keys if k in by_key]
    seen: dict[str, str] = {}
    for part, part_tracks in parts.items():
        for t in part_tracks:
            if t.key in seen:
                raise ParameterError(f"track {t.key} is in both {seen[t.key]} and {part} split lists")
            seen[t.key] = part
    return parts


def _order(track: Track) -> tuple[int, str]:
    return (GTZAN_GENRES.index(track.genre), track.key)
