"""Generate a labelled demo corpus in GTZAN's layout, clip by clip in parallel processes.

Every clip draws from its own random generator seeded by (seed, genre, index), so a clip depends neither on
the number of workers nor on how many clips per genre are asked for, and the same seed gives byte-identical
files (mma is seeded, FluidSynth is deterministic given the same MIDI and arguments).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
from tqdm import tqdm

from training.corpus import midi, render
from training.corpus.classical import classical_events
from training.corpus.songs import plan_song, write_midi
from training.corpus.tools import Toolchain, find_toolchain
from training.genres import GTZAN_GENRES

MANIFEST = "corpus.json"
# FluidR3 is the better-sampled set; TimGM6mb adds a second, rougher timbre.
SOUNDFONT_WEIGHTS: dict[str, float] = {"FluidR3_GM.sf2": 0.6, "TimGM6mb.sf2": 0.4}
CHANNEL_GAIN_DB = (-5.0, 2.0)
_MAX_CLIPS_PER_GENRE = 100_000  # the 5-digit index of GTZAN's file names


@dataclass(frozen=True)
class ClipTask:
    genre: str
    index: int
    seed: int
    seconds: float
    out_dir: Path
    tools: Toolchain

    @property
    def relative_path(self) -> str:
        return f"genres_original/{self.genre}/{self.genre}.{self.index:05d}.wav"


def clip_rng(seed: int, genre: str, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, GTZAN_GENRES.index(genre), index]))


def _soundfont(rng: np.random.Generator) -> str:
    names = list(SOUNDFONT_WEIGHTS)
    weights = np.array([SOUNDFONT_WEIGHTS[n] for n in names])
    return names[rng.choice(len(names), p=weights / weights.sum())]


def make_clip(task: ClipTask) -> dict:
    """Draw, write, render and mix one clip; returns its manifest entry."""
    rng = clip_rng(task.seed, task.genre, task.index)
    with tempfile.TemporaryDirectory(prefix="musicxai-corpus-") as tmp:
        workdir = Path(tmp)
        if task.genre == "classical":
            events, record = classical_events(rng, task.seconds)
        else:
            plan = plan_song(task.genre, rng, task.seconds)
            song = midi.timeline(mido.MidiFile(write_midi(plan, task.tools, workdir)))
            events, record = midi.excerpt(song, plan.start_s, task.seconds), plan.record()
        gains = {ch: round(float(rng.uniform(*CHANNEL_GAIN_DB)), 2) for ch in midi.note_channels(events)}
        sealed = midi.seal(midi.apply_channel_gains(events, gains), task.seconds)
        sealed.save(workdir / "clip.mid")
        soundfont = _soundfont(rng)
        mix = render.draw_mix(rng)
        soundfont_path = task.tools.soundfonts[soundfont]
        audio = render.synthesize(task.tools, soundfont_path, workdir / "clip.mid", workdir / "clip.wav")
        audio = render.apply_mix(render.fit_length(audio, round(task.seconds * render.SAMPLE_RATE)), mix, rng)
    out = task.out_dir / task.relative_path
    out.parent.mkdir(parents=True, exist_ok=True)
    render.write_wav(out, audio)
    return {
        "path": task.relative_path,
        "genre": task.genre,
        "index": task.index,
        **record,
        "soundfont": soundfont,
        "channel_gains_db": {str(ch): g for ch, g in gains.items()},
        "mix": mix.record(),
    }


def generate_corpus(
    out_dir: Path,
    *,
    clips_per_genre: int,
    seconds: float = 30.0,
    seed: int = 0,
    workers: int | None = None,
    progress: bool = True,
) -> dict:
    """Write `clips_per_genre` clips of `seconds` for each GTZAN genre plus corpus.json; return the manifest.

    Raises CorpusError (naming the Debian package) when mma, FluidSynth or a soundfont is missing.
    """
    if not 1 <= clips_per_genre <= _MAX_CLIPS_PER_GENRE:
        raise ValueError(f"clips_per_genre must be between 1 and {_MAX_CLIPS_PER_GENRE}, got {clips_per_genre}")
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    tools = find_toolchain()
    out_dir = Path(out_dir)
    tasks = [
        ClipTask(genre, index, seed, float(seconds), out_dir, tools)
        for genre in GTZAN_GENRES
        for index in range(clips_per_genre)
    ]
    planned = {out_dir / task.relative_path for task in tasks}
    stale = [p for p in (out_dir / "genres_original").rglob("*.wav") if p not in planned]
    if stale:
        raise ValueError(f"{out_dir} already holds {len(stale)} other clips (e.g. {stale[0]}); use an empty folder")
    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    clips: list[dict] = []
    with ExitStack() as stack:
        bar = stack.enter_context(tqdm(total=len(tasks), desc="corpus", unit="clip", disable=not progress))
        if workers == 1:
            results = map(make_clip, tasks)
        else:
            # spawn: workers must not inherit a parent's threads (tqdm's monitor, a TF runtime) through fork
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
            stack.callback(pool.shutdown, wait=True, cancel_futures=True)  # on error, drop the queued clips
            results = pool.map(make_clip, tasks)
        for clip in results:
            clips.append(clip)
            bar.update()
    manifest = {
        "seed": seed,
        "seconds": float(seconds),
        "clips_per_genre": clips_per_genre,
        "sample_rate": render.SAMPLE_RATE,
        "genres": list(GTZAN_GENRES),
        "tools": {**tools.versions, "soundfonts": {name: str(path) for name, path in tools.soundfonts.items()}},
        "synth_gain": render.SYNTH_GAIN,
        "clips": clips,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
