"""Recognising accepted audio containers by their first bytes, before anything tries to decode them."""

from __future__ import annotations

from musicxai.errors import UnsupportedMediaError

ACCEPTED = "WAV, FLAC, OGG (Vorbis/Opus), MP3, AIFF, M4A/AAC"


def sniff_audio(head: bytes) -> str:
    """Name the container of ``head`` (the file's first bytes) or raise 415 for anything else."""
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"RF64"):
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[4:8] == b"ftyp":
        return "m4a"
    raise UnsupportedMediaError(f"The upload is not a recognised audio file. Accepted formats: {ACCEPTED}.")
