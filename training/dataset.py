"""Turning tracks into labelled log-mel windows, in parallel, skipping what cannot be decoded."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from musicxai.audio.decode import load_audio
from musicxai.errors import AudioError
from musicxai.model.features import FeatureSettings, Normalisation, clip_windows
from training.genres import GTZAN_GENRES
from training.gtzan import Track

log = logging.getLogger(__name__)


@dataclass
class WindowSet:
    """Windows in dB with their labels and the index of the track each came from."""

    windows: np.ndarray  # [shape=(n, n_mels, w)] float32 dB
    labels: np.ndarray  # [shape=(n,)] index into ``genres``
    track_ids: np.ndarray  # [shape=(n,)] index into ``tracks``
    tracks: list[Track]
    genres: tuple[str, ...] = GTZAN_GENRES

    @property
    def track_labels(self) -> np.ndarray:
        return np.array([self.genres.index(t.genre) for t in self.tracks])


def _track_windows(args: tuple[Track, FeatureSettings, float | None]) -> np.ndarray | str:
    track, settings, max_duration = args
    try:
        audio = load_audio(track.path, sr=settings.sample_rate, max_duration=max_duration)
    except AudioError as exc:
        return str(exc)
    return clip_windows(audio.samples, settings)


def build_windows(
    tracks: list[Track],
    settings: FeatureSettings,
    *,
    max_duration: float | None = 30.0,
    workers: int | None = None,
    desc: str = "features",
    genres: tuple[str, ...] = GTZAN_GENRES,
) -> WindowSet:
    """Decode each track and cut it into windows labelled by ``genres``; unreadable tracks are skipped
    with a warning."""
    workers = workers or os.cpu_count() or 1
    jobs = [(t, settings, max_duration) for t in tracks]
    if workers > 1 and len(tracks) > 4:
        with ProcessPoolExecutor(workers) as pool:
            results = list(tqdm(pool.map(_track_windows, jobs, chunksize=4), total=len(jobs), desc=desc))
    else:
        results = [_track_windows(j) for j in tqdm(jobs, desc=desc)]
    kept, chunks, labels, ids = [], [], [], []
    for track, result in zip(tracks, results, strict=True):
        if isinstance(result, str):
            log.warning("skipping unreadable track %s: %s", track.path, result)
            continue
        chunks.append(result)
        labels.append(np.full(len(result), genres.index(track.genre)))
        ids.append(np.full(len(result), len(kept)))
        kept.append(track)
    if not kept:
        raise AudioError("none of the tracks could be decoded")
    return WindowSet(np.concatenate(chunks), np.concatenate(labels), np.concatenate(ids), kept, genres)


def fit_normalisation(windows: np.ndarray) -> Normalisation:
    """Per-band mean/std over all training windows and frames (float64 accumulation)."""
    mean = windows.mean(axis=(0, 2), dtype=np.float64)
    std = windows.std(axis=(0, 2), dtype=np.float64)
    return Normalisation(mean=mean.tolist(), std=np.maximum(std, 1e-3).tolist())
