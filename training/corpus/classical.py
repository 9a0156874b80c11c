"""Classical clips from the score corpus bundled with music21, played by a drawn GM ensemble.

A few bars are cut from a score, exported by music21 and read back with mido (pretty_midi refuses some of
music21's exports, whose ticks-per-beat is huge). Tempo is set per clip; metronome marks in the corpus are
too sparse and inconsistent to follow.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from functools import cache

import mido
import numpy as np
from music21 import bar, corpus, exceptions21, repeat, spanner, stream
from music21 import key as m21key
from music21 import midi as m21midi

from training.corpus import midi
from training.corpus.tools import CorpusError

# GM programs from the top voice down; the last one repeats for any further voices.
ENSEMBLES: dict[str, tuple[int, ...]] = {
    "string quartet": (40, 40, 41, 42),
    "string orchestra": (48, 48, 49, 48, 48),
    "piano": (0,),
    "harpsichord": (6,),
    "church organ": (19,),
    "woodwinds": (73, 68, 71, 70),
    "brass": (56, 60, 57, 58),
    "choir": (52, 52, 53, 52, 52),
}


@dataclass(frozen=True)
class Repertoire:
    """Scores that share ensembles and a weight; tempo ranges are quarter notes per minute."""

    name: str
    weight: float
    ensembles: tuple[str, ...]
    pieces: tuple[tuple[str, tuple[int, int]], ...] = ()
    composer: str = ""  # all of this composer's scores (with `suffix`) at `tempo`
    suffix: str = ""
    tempo: tuple[int, int] = (0, 0)

    def scores(self) -> tuple[tuple[str, tuple[int, int]], ...]:
        return self.pieces or _composer_scores(self.composer, self.suffix, self.tempo)


@cache
def _composer_scores(composer: str, suffix: str, tempo: tuple[int, int]) -> tuple[tuple[str, tuple[int, int]], ...]:
    paths = sorted(p for p in corpus.getComposer(composer) if p.suffix == suffix and p.parent.name == composer)
    return tuple((f"{composer}/{p.name}", tempo) for p in paths)


REPERTOIRE: tuple[Repertoire, ...] = (
    Repertoire(
        "Bach chorales",
        0.3,
        ("choir", "church organ", "string orchestra", "brass", "woodwinds", "piano", "string quartet"),
        composer="bach",
        suffix=".mxl",
        tempo=(60, 92),
    ),
    Repertoire(
        "string quartets",
        0.4,
        ("string quartet", "string quartet", "string orchestra", "piano", "woodwinds"),  # quartet twice as likely
        pieces=(
            ("mozart/k155/movement1", (112, 140)),
            ("mozart/k155/movement2", (60, 84)),
            ("mozart/k155/movement3", (120, 150)),
            ("mozart/k156/movement1", (130, 160)),
            ("mozart/k156/movement2", (44, 60)),
            ("mozart/k156/movement3", (96, 120)),
            ("mozart/k458/movement1", (150, 180)),
            ("mozart/k458/movement3", (44, 60)),
            ("mozart/k458/movement4", (130, 160)),
            ("mozart/k80/movement1", (50, 70)),
            ("mozart/k80/movement2", (110, 140)),
            ("mozart/k80/movement3", (100, 126)),
            ("mozart/k80/movement4", (150, 180)),
            ("haydn/opus1no1/movement1", (150, 180)),
            ("haydn/opus1no1/movement2", (100, 126)),
            ("haydn/opus1no1/movement3", (48, 66)),
            ("haydn/opus1no1/movement4", (100, 126)),
            ("haydn/opus1no1/movement5", (130, 160)),
            ("haydn/opus74no1/movement1", (100, 126)),
            ("haydn/opus74no1/movement2", (100, 126)),
            ("haydn/opus74no1/movement3", (110, 140)),
            ("beethoven/opus18no1/movement2.mxl", (40, 54)),
            ("beethoven/opus18no1/movement3.mxl", (220, 270)),
            ("beethoven/opus59no2/movement3", (120, 150)),
            ("beethoven/opus59no3/movement3", (100, 126)),
        ),
    ),
    Repertoire(
        "Renaissance polyphony",
        0.1,
        ("choir", "choir", "string orchestra", "church organ", "brass"),
        composer="palestrina",
        suffix=".krn",
        tempo=(100, 150),
    ),
    Repertoire(
        "Monteverdi madrigals",
        0.1,
        ("choir", "string orchestra", "woodwinds"),
        composer="monteverdi",
        suffix=".mxl",
        tempo=(72, 110),
    ),
    Repertoire(
        "Baroque and Romantic chamber music",
        0.1,
        ("string orchestra", "harpsichord", "piano", "woodwinds"),
        pieces=(
            ("corelli/opus3no1/1grave", (50, 66)),
            ("cpebach/h186", (80, 110)),
            ("handel/rinaldo/Lascia_chio_pianga", (56, 72)),
            ("schubert/Lindenbaum", (80, 100)),
        ),
    ),
)
_MAX_TRIES = 20


def _plain_barlines(cut: stream.Score) -> stream.Score:
    """Drop repeat signs: an excerpt often holds one half of a repeat, which music21's export cannot expand."""
    for measure in cut.recurse().getElementsByClass(stream.Measure):
        if isinstance(measure.leftBarline, bar.Repeat):
            measure.leftBarline = None
        if isinstance(measure.rightBarline, bar.Repeat):
            measure.rightBarline = None
    for expression in list(cut.recurse().getElementsByClass(repeat.RepeatExpression)):
        expression.activeSite.remove(expression)
    for bracket in list(cut.spannerBundle.getByClass(spanner.RepeatBracket)):
        cut.spannerBundle.remove(bracket)
    return cut


def _excerpt_midi(
    score_name: str, tempo: int, seconds: float, rng: np.random.Generator
) -> tuple[mido.MidiFile, list[int], m21key.Key] | None:
    """Cut whole bars covering `seconds` at `tempo` (plus one bar) and export them: music21 -> bytes -> mido.

    None when the score is too short for that at this tempo.
    """
    score = corpus.parse(score_name, forceSource=True)  # forceSource: no pickle cache written to disk
    measures = list(score.parts[0].getElementsByClass(stream.Measure))
    offsets = [float(m.offset) for m in measures]
    needed = (seconds + 1.0) * tempo / 60.0  # quarter notes
    end = float(score.parts[0].highestTime)
    starts = [i for i, offset in enumerate(offsets) if end - offset >= needed]
    if not starts:
        return None
    first = starts[rng.integers(len(starts))]
    last = next((i for i in range(first, len(measures)) if offsets[i] >= offsets[first] + needed), len(measures) - 1)
    cut = _plain_barlines(score.measures(measures[first].number, measures[last].number))
    data = m21midi.translate.streamToMidiFile(cut).writestr()
    numbers = [measures[first].number, measures[last].number]
    return mido.MidiFile(file=io.BytesIO(data)), numbers, cut.analyze("key")


def classical_events(rng: np.random.Generator, seconds: float) -> tuple[list[midi.Event], dict]:
    """Events of one classical excerpt, `seconds` long, voiced and transposed as drawn; plus what was drawn."""
    weights = np.array([r.weight for r in REPERTOIRE])
    for _ in range(_MAX_TRIES):
        repertoire = REPERTOIRE[rng.choice(len(REPERTOIRE), p=weights / weights.sum())]
        scores = repertoire.scores()
        score_name, (low, high) = scores[rng.integers(len(scores))]
        tempo = int(rng.integers(low, high + 1))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cut = _excerpt_midi(score_name, tempo, seconds, rng)
        except exceptions21.Music21Exception:
            continue  # a score music21 cannot cut or export: draw another one
        if cut is None:
            continue
        mid, measures, key = cut
        for track in mid.tracks:
            for msg in track:
                if msg.type == "set_tempo":
                    msg.tempo = mido.bpm2tempo(tempo)
        events = midi.timeline(mid)
        start = midi.first_onset(events)
        if midi.last_time(events) - start < seconds:
            continue  # the piece ends too soon at this tempo
        ensemble = repertoire.ensembles[rng.integers(len(repertoire.ensembles))]
        programs = ENSEMBLES[ensemble]
        by_height = sorted(midi.mean_pitch(events).items(), key=lambda item: -item[1])
        voicing = {ch: programs[min(rank, len(programs) - 1)] for rank, (ch, _) in enumerate(by_height)}
        semitones = int(rng.integers(-3, 4))
        events = midi.excerpt(events, start, seconds)
        events = midi.transpose(midi.set_programs(events, voicing), semitones)
        events = midi.humanise_velocities(events, rng, spread=8.0)
        tonic = key.transpose(semitones).tonic.name.replace("-", "b")  # music21 spells flats with '-'
        record = {
            "score": score_name,
            "repertoire": repertoire.name,
            "measures": measures,
            "ensemble": ensemble,
            "tempo": tempo,
            "key": f"{tonic} {key.mode}",
            "transpose": semitones,
        }
        return events, record
    raise CorpusError(f"no usable classical excerpt of {seconds} s after {_MAX_TRIES} draws")
