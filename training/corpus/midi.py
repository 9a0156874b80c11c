"""MIDI as a list of (seconds, message) events: cut an excerpt, mix and re-voice it, and seal it for rendering.

Working in seconds folds any tempo map (and music21's huge ticks-per-beat) into one simple timeline; the
sealed file is written at a fixed tempo. Sealing matters: the FluidSynth CLI renders until every voice has
died away, and a voice left sustaining makes it render forever.
"""

from __future__ import annotations

from collections import Counter

import mido
import numpy as np

Event = tuple[float, mido.Message]

DRUM_CHANNEL = 9
ALL_NOTES_OFF, ALL_SOUND_OFF, CHANNEL_VOLUME = 123, 120, 7
GM_DEFAULT_VOLUME = 100
_TICKS_PER_BEAT = 480
_TEMPO = 500_000  # microseconds per beat: 120 bpm, so one second is 960 ticks


def timeline(mid: mido.MidiFile) -> list[Event]:
    """Every channel message of every track at its absolute time in seconds, in playing order."""
    events: list[Event] = []
    now = 0.0
    for msg in mid:  # merged tracks, delta times in seconds with the tempo map applied
        now += msg.time
        if not msg.is_meta:
            events.append((now, msg))  # msg.time (a delta) is ignored from here on
    return events


def _is_note_on(msg: mido.Message) -> bool:
    return msg.type == "note_on" and msg.velocity > 0


def _is_note_off(msg: mido.Message) -> bool:
    return msg.type == "note_off" or (msg.type == "note_on" and msg.velocity == 0)


def first_onset(events: list[Event]) -> float:
    return next((t for t, msg in events if _is_note_on(msg)), 0.0)


def last_time(events: list[Event]) -> float:
    return events[-1][0] if events else 0.0


def excerpt(events: list[Event], start: float, length: float) -> list[Event]:
    """The events of [start, start + length), shifted to begin at 0.

    Set-up messages (programs, controllers) from before the window are kept at time 0; notes struck before
    the window are dropped together with their note-offs.
    """
    end = start + length
    sounding: Counter[tuple[int, int]] = Counter()
    out: list[Event] = []
    for t, msg in events:
        if t >= end:
            break
        if _is_note_on(msg):
            if t >= start:
                sounding[msg.channel, msg.note] += 1
                out.append((t - start, msg))
        elif _is_note_off(msg):
            if sounding[msg.channel, msg.note] > 0:
                sounding[msg.channel, msg.note] -= 1
                out.append((t - start, msg))
        else:
            out.append((max(t - start, 0.0), msg))
    return out


def note_channels(events: list[Event]) -> list[int]:
    return sorted({msg.channel for _, msg in events if _is_note_on(msg)})


def apply_channel_gains(events: list[Event], gains_db: dict[int, float]) -> list[Event]:
    """Mix balance through channel volume (CC7): scales the song's own CC7s, or GM's default where it has none."""

    def volume(value: int, channel: int) -> int:
        return int(np.clip(round(value * 10 ** (gains_db[channel] / 20)), 1, 127))

    head = [
        (0.0, mido.Message("control_change", channel=ch, control=CHANNEL_VOLUME, value=volume(GM_DEFAULT_VOLUME, ch)))
        for ch in sorted(gains_db)
    ]
    body = [
        (t, msg.copy(value=volume(msg.value, msg.channel)))
        if msg.type == "control_change" and msg.control == CHANNEL_VOLUME and msg.channel in gains_db
        else (t, msg)
        for t, msg in events
    ]
    return head + body


def set_programs(events: list[Event], programs: dict[int, int]) -> list[Event]:
    """Re-voice channels: their own program changes are replaced by one at time 0."""
    head = [(0.0, mido.Message("program_change", channel=ch, program=p)) for ch, p in sorted(programs.items())]
    body = [(t, m) for t, m in events if not (m.type == "program_change" and m.channel in programs)]
    return head + body


def transpose(events: list[Event], semitones: int) -> list[Event]:
    """Shift every pitched note (not the drum channel), keeping notes inside MIDI's range."""

    def shifted(msg: mido.Message) -> mido.Message:
        if msg.type in ("note_on", "note_off") and msg.channel != DRUM_CHANNEL:
            return msg.copy(note=int(np.clip(msg.note + semitones, 0, 127)))
        return msg

    return [(t, shifted(msg)) for t, msg in events]


def humanise_velocities(events: list[Event], rng: np.random.Generator, spread: float) -> list[Event]:
    """A per-channel level offset plus per-note variation, for scores exported with flat dynamics."""
    offsets = {ch: rng.normal(0.0, spread) for ch in note_channels(events)}
    out: list[Event] = []
    for t, msg in events:
        if _is_note_on(msg):
            velocity = msg.velocity + offsets[msg.channel] + rng.normal(0.0, spread / 2)
            msg = msg.copy(velocity=int(np.clip(round(velocity), 20, 127)))
        out.append((t, msg))
    return out


def mean_pitch(events: list[Event]) -> dict[int, float]:
    notes: dict[int, list[int]] = {}
    for _, msg in events:
        if _is_note_on(msg):
            notes.setdefault(msg.channel, []).append(msg.note)
    return {ch: float(np.mean(values)) for ch, values in notes.items()}


def seal(events: list[Event], length: float) -> mido.MidiFile:
    """One-track MIDI of the events, ending at `length` with all-notes-off and all-sound-off on all 16 channels."""
    ticks_per_second = _TICKS_PER_BEAT * 1_000_000 / _TEMPO
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=_TEMPO, time=0)])
    end = round(length * ticks_per_second)
    last = 0
    for t, msg in events:
        tick = min(round(t * ticks_per_second), end)
        track.append(msg.copy(time=tick - last))
        last = tick
    for control in (ALL_NOTES_OFF, ALL_SOUND_OFF):
        for channel in range(16):
            track.append(mido.Message("control_change", channel=channel, control=control, value=0, time=end - last))
            last = end
    track.append(mido.MetaMessage("end_of_track", time=0))
    return mido.MidiFile(type=0, ticks_per_beat=_TICKS_PER_BEAT, tracks=[track])
