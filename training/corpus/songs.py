"""A varied band song per clip: groove, tempo, key and chord progression drawn per genre, written as mma text.

Progressions are Roman numerals relative to the key, so one list serves every key: upper case is a major
(or dominant, power) chord and takes the suffix as written, lower case is minor and gets an ``m`` before
the suffix; ``b``/``#`` lower or raise the root; ``X/Y`` splits a bar into two halves.
"""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.corpus.grooves import GENRE_GROOVES, Groove
from training.corpus.tools import TOOL_TIMEOUT_S, CorpusError, Toolchain

NOTE_NAMES: tuple[str, ...] = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
BEATS_PER_BAR = 4  # every groove in grooves.py is in 4/4
_DEGREES = {"I": 0, "II": 2, "III": 4, "IV": 5, "V": 7, "VI": 9, "VII": 11}
_NUMERAL = re.compile(r"^([b#]?)(VII|VI|V|IV|III|II|I|vii|vi|v|iv|iii|ii|i)(.*)$")


@dataclass(frozen=True)
class Progression:
    name: str
    bars: tuple[str, ...]
    minor: bool  # the key's mode; power-chord riffs cannot tell it by themselves


def _p(name: str, bars: str, *, minor: bool = False) -> Progression:
    return Progression(name, tuple(bars.split()), minor)


PROGRESSIONS: dict[str, tuple[Progression, ...]] = {
    "blues": (
        _p("12-bar", "I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7"),
        _p("12-bar quick change", "I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7"),
        _p("12-bar ninths", "I9 IV9 I9 I9 IV9 IV9 I9 I9 V9 IV9 I9/IV9 I9/V9"),
        _p("8-bar", "I7 V7 IV7 IV7 I7 V7 I7 V7"),
        _p("minor 12-bar", "i7 i7 i7 i7 iv7 iv7 i7 i7 bVI7 V7 i7 V7", minor=True),
    ),
    "country": (
        _p("I-IV-V", "I I IV I I I V V"),
        _p("I-IV-I-V7", "I IV I V7 I IV V7 I"),
        _p("two-chord", "I I V7 V7 V7 V7 I I"),
        _p("with vi", "I vi IV V I vi IV V"),
        _p("walk-up", "I I IV IV I I V7 V7 I I IV IV I V7 I I"),
    ),
    "disco": (
        _p("minor vamp", "i7 i7 iv7 iv7", minor=True),
        _p("i-iv", "i7 iv7 i7 iv7 i7 iv7 bVI7 V7", minor=True),
        _p("major sevenths", "Imaj7 ii7 iii7 ii7"),
        _p("vi-ii-V-I", "vi7 ii7 V7 Imaj7"),
        _p("aeolian", "i9 bVII bVI bVII", minor=True),
    ),
    "hiphop": (
        _p("minor loop", "i7 i7 iv7 iv7", minor=True),
        _p("i-bVI", "i7 bVImaj7 i7 bVImaj7", minor=True),
        _p("descending", "i bVI bIII bVII", minor=True),
        _p("jazzy", "ii9 V9 Imaj7 vi7"),
        _p("dark", "i7 bII7 i7 V7", minor=True),
    ),
    "jazz": (
        _p("ii-V-I", "ii7 V7 Imaj7 Imaj7"),
        _p("I-vi-ii-V", "Imaj7 vi7 ii7 V7 iii7 VI7 ii7 V7"),
        _p("minor ii-V-i", "ii7b5 V7b9 i7 i7", minor=True),
        _p("jazz blues", "I7 IV7 I7 I7 IV7 #IVdim7 I7 VI7 ii7 V7 I7/VI7 ii7/V7"),
        _p("cycle", "ii7 V7 Imaj7 IVmaj7 vii7b5 III7 vi7 vi7"),
    ),
    "metal": (
        _p("aeolian", "I5 I5 bVI5 bVII5", minor=True),
        _p("phrygian", "I5 bII5 I5 bVII5", minor=True),
        _p("descending", "I5 bVII5 bVI5 V5", minor=True),
        _p("tritone", "I5 I5 bV5 IV5", minor=True),
        _p("minor", "i i bVI V", minor=True),
    ),
    "pop": (
        _p("I-V-vi-IV", "I V vi IV"),
        _p("vi-IV-I-V", "vi IV I V"),
        _p("50s", "I vi IV V"),
        _p("I-IV-vi-V", "I IV vi V"),
        _p("add9", "Iadd9 V vi IV I V IV IV"),
    ),
    "reggae": (
        _p("I-IV vamp", "I I IV IV"),
        _p("I-V-vi-IV", "I V vi IV"),
        _p("minor vamp", "i7 i7 iv7 iv7", minor=True),
        _p("I-IV-V", "I IV I V"),
        _p("ii-V", "ii7 V7 ii7 V7"),
    ),
    "rock": (
        _p("I-IV-V-IV", "I IV V IV"),
        _p("mixolydian", "I5 bVII5 IV5 I5"),
        _p("12-bar rock", "I5 I5 I5 I5 IV5 IV5 I5 I5 V5 IV5 I5 V5"),
        _p("vi-IV-I-V", "vi IV I V"),
        _p("power", "I5 bIII5 IV5 I5"),
    ),
}

# Tonics (as indices into NOTE_NAMES) idiomatic for each genre; guitar keys for guitar genres.
KEYS: dict[str, tuple[int, ...]] = {
    "blues": (4, 9, 7, 0, 2, 10, 5),
    "country": (7, 2, 9, 0, 4, 5),
    "disco": tuple(range(12)),
    "hiphop": tuple(range(12)),
    "jazz": (10, 5, 3, 0, 8, 7, 2),
    "metal": (4, 2, 1, 0, 9, 11, 6),
    "pop": tuple(range(12)),
    "reggae": tuple(range(12)),
    "rock": (4, 9, 2, 7, 0, 11, 6),
}


def chord_name(numeral: str, tonic: int) -> str:
    """mma chord name for one Roman numeral in the key whose tonic is NOTE_NAMES[tonic]."""
    found = _NUMERAL.match(numeral)
    if found is None:
        raise ValueError(f"not a Roman-numeral chord: {numeral!r}")
    accidental, roman, suffix = found.groups()
    root = (tonic + _DEGREES[roman.upper()] + {"b": -1, "#": 1, "": 0}[accidental]) % 12
    return NOTE_NAMES[root] + ("m" + suffix if roman.islower() else suffix)


def bar_line(bar: str, tonic: int) -> str:
    """One mma bar: a chord, or two chords each lasting half the bar."""
    chords = [chord_name(part, tonic) for part in bar.split("/")]
    if len(chords) == 1:
        return chords[0]
    return " ".join(f"{chord} /" for chord in chords)


@dataclass(frozen=True)
class SongPlan:
    groove: Groove
    sections: tuple[str, ...]
    tempo: int
    tonic: int
    progression: Progression
    start_beats: int
    mma_seed: int

    @property
    def key(self) -> str:
        return f"{NOTE_NAMES[self.tonic]} {'minor' if self.progression.minor else 'major'}"

    @property
    def start_s(self) -> float:
        return self.start_beats * 60.0 / self.tempo

    def text(self) -> str:
        """The mma song: custom groove definition (if any), tempo, then one section per progression pass."""
        lines = [f"RndSeed {self.mma_seed}", self.groove.definition, f"Tempo {self.tempo}"]
        for groove in self.sections:
            lines.append(f"Groove {groove}")
            lines.extend(bar_line(bar, self.tonic) for bar in self.progression.bars)
        return "\n".join(lines) + "\n"

    def record(self) -> dict:
        return {
            "groove": self.groove.name,
            "sections": list(self.sections),
            "tempo": self.tempo,
            "key": self.key,
            "progression": self.progression.name,
            "start_s": round(self.start_s, 4),
        }


def plan_song(genre: str, rng: np.random.Generator, seconds: float) -> SongPlan:
    """Draw every musical choice for one clip; the song is long enough to cover the excerpt."""
    grooves = GENRE_GROOVES[genre]
    groove = grooves[rng.integers(len(grooves))]
    tempo = int(rng.integers(groove.tempo[0], groove.tempo[1] + 1))
    progressions = PROGRESSIONS[genre]
    progression = progressions[rng.integers(len(progressions))]
    tonic = int(rng.choice(KEYS[genre]))
    start_beats = int(rng.integers(BEATS_PER_BAR, 3 * BEATS_PER_BAR))  # skip the first bar: it starts cold
    # One spare bar after the excerpt so the cut never lands on mma's final bar.
    beats_needed = start_beats + seconds * tempo / 60.0 + BEATS_PER_BAR
    passes = math.ceil(beats_needed / (BEATS_PER_BAR * len(progression.bars)))
    later = [groove.sections[rng.integers(len(groove.sections))] for _ in range(passes - 1)]
    sections = (groove.sections[0], *later)
    return SongPlan(
        groove=groove,
        sections=sections,
        tempo=tempo,
        tonic=tonic,
        progression=progression,
        start_beats=start_beats,
        mma_seed=int(rng.integers(2**31 - 1)),
    )


def write_midi(plan: SongPlan, tools: Toolchain, workdir: Path) -> Path:
    """Run mma on the plan's song text; mma's RndSeed makes its humanising repeatable."""
    song, midi = workdir / "song.mma", workdir / "song.mid"
    song.write_text(plan.text(), encoding="utf-8")
    try:
        done = subprocess.run(
            [tools.mma, str(song), "-f", str(midi)],
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CorpusError(f"mma took longer than {TOOL_TIMEOUT_S:.0f} s on {plan.groove.name}") from exc
    if done.returncode != 0 or not midi.is_file():
        raise CorpusError(f"mma failed on groove {plan.groove.name}: {(done.stdout + done.stderr).strip()[-500:]}")
    return midi
