"""A real-audio evaluation set rebuilt offline from Debian packages: music with genre labels taken
from the files' own metadata, titles or the packages' words, and a not-music part (recorded speech,
sound effects, ambience, plus generated noise and tones).

``realset.csv`` beside this file is the whole definition: which file of which package, its licence,
where the 30 s excerpt starts, its label and where the label comes from. It is split **by package**
into a part that training and tuning may use (``train``) and a part that is only ever reported on
(``report``). A few files are reserved for an independent check and are never part of the set.
``musicxai realset --out DIR`` fetches the packages with ``apt-get download``, unpacks them and cuts
the excerpts to ``DIR/<part>/<kind>/<id>.flac``, writing ``DIR/manifest.csv`` with each excerpt's
sha256.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import soundfile as sf

from musicxai.errors import ParameterError
from training.genres import GTZAN_GENRES

log = logging.getLogger(__name__)

DEFINITION = Path(__file__).with_name("realset.csv")
EXCERPT_S = 30.0
GENERATED = "generated"  # the package name of the clips made here (noise, tones)
GENERATED_RATE = 22050
# reserved for an independent check: never in the set, never trained, tuned or selected on
RESERVED = frozenset(
    {
        ("ufoai-music", "David01.ogg"),
        ("hedgewars-data", "Rock.ogg"),
        ("hedgewars-data", "underwater.ogg"),
        ("asterisk-moh-opsound-wav", "reno_project-system.wav"),
        ("wesnoth-1.16-music", "the_king_is_dead.ogg"),
        ("asc-music", "frontiers.mp3"),
        ("supertuxkart-data", "menutheme.ogg"),
        ("supertuxkart-data", "nolok_speech.ogg"),
    }
)


class Part(StrEnum):
    train = "train"  # training, tuning, calibration and model selection may use it
    report = "report"  # only ever reported on


class Kind(StrEnum):
    music = "music"
    speech = "speech"
    effects = "effects"
    ambience = "ambience"
    noise = "noise"
    tone = "tone"


LABEL_SOURCES = ("metadata-tag", "title", "filename", "package-description", "credits")


@dataclass(frozen=True)
class Entry:
    """One row of ``realset.csv``."""

    id: str
    package: str
    path: str  # inside the package; ``archive!inner`` for a file inside a zip/pk3
    licence: str
    start_s: float
    part: Part
    kind: Kind
    label: str  # a GTZAN genre, or "" where nothing clear says one
    label_source: str
    evidence: str

    @property
    def is_music(self) -> bool:
        return self.kind is Kind.music

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1].rsplit("!", 1)[-1]


def read_definition(path: Path = DEFINITION) -> list[Entry]:
    """Parse and check ``realset.csv``: known kinds and genres, a source for every label, one part
    per package, unique ids, no reserved file."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    entries = []
    for row in rows:
        entry = Entry(
            id=row["id"],
            package=row["package"],
            path=row["path"],
            licence=row["licence"],
            start_s=float(row["start_s"]),
            part=Part(row["part"]),
            kind=Kind(row["kind"]),
            label=row["label"],
            label_source=row["label_source"],
            evidence=row["evidence"],
        )
        if entry.label and (entry.label not in GTZAN_GENRES or entry.label_source not in LABEL_SOURCES):
            raise ParameterError(f"{entry.id}: label {entry.label!r} needs a genre and one of {LABEL_SOURCES}")
        if entry.label and not entry.is_music:
            raise ParameterError(f"{entry.id}: only music carries a genre label")
        if (entry.package, entry.file_name) in RESERVED:
            raise ParameterError(f"{entry.id}: {entry.package}'s {entry.file_name} is reserved")
        entries.append(entry)
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise ParameterError("realset ids must be unique")
    parts: dict[str, set[Part]] = {}
    for e in entries:
        parts.setdefault(e.package, set()).add(e.part)
    mixed = sorted(p for p, seen in parts.items() if len(seen) > 1 and p != GENERATED)
    if mixed:
        raise ParameterError(f"packages in both parts (the split is by package): {', '.join(mixed)}")
    return entries


def excerpts(root: Path, part: Part | None = None) -> list[tuple[Entry, Path]]:
    """The excerpts built under ``root`` (by :func:`build_realset`, listed in its manifest) with their
    definition rows; of one part, or of both."""
    with open(Path(root) / "manifest.csv", newline="") as handle:
        files = {row["id"]: Path(root) / row["file"] for row in csv.DictReader(handle)}
    return [(e, files[e.id]) for e in read_definition() if e.id in files and (part is None or e.part is part)]


def spread_music(root: Path, part: Part, n: int) -> list[tuple[Entry, Path]]:
    """``n`` music excerpts of ``part``, one package at a time in turn, so that no one package (a game's
    whole score) fills a small sample."""
    queues: dict[str, list[tuple[Entry, Path]]] = {}
    for entry, path in excerpts(root, part):
        if entry.is_music:
            queues.setdefault(entry.package, []).append((entry, path))
    ordered = [queues[p] for p in sorted(queues)]
    chosen: list[tuple[Entry, Path]] = []
    while len(chosen) < n and any(ordered):
        for queue in ordered:
            if queue and len(chosen) < n:
                chosen.append(queue.pop(0))
    return chosen


def apt_download(package: str, folder: Path) -> Path:
    """``apt-get download PACKAGE`` into ``folder``; the .deb it wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    found = sorted(folder.glob(f"{package}_*.deb"))
    if not found:
        subprocess.run(["apt-get", "download", "-q", package], cwd=folder, check=True)
        found = sorted(folder.glob(f"{package}_*.deb"))
    return found[-1]


def unpack(deb: Path, folder: Path) -> Path:
    """``dpkg-deb -x`` once; the folder holding the package's files."""
    if not folder.is_dir():
        tmp = folder.with_name(folder.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)
        tmp.rename(folder)
    return folder


def source_file(root: Path, entry: Entry, scratch: Path) -> Path:
    """The entry's audio file on disk, taken out of its zip/pk3 archive where it lives in one."""
    if "!" not in entry.path:
        return root / entry.path
    archive, inner = entry.path.split("!", 1)
    target = scratch / entry.package / inner
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(root / archive) as bundle, bundle.open(inner) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return target


def cut_excerpt(source: Path, out: Path, *, start_s: float, seconds: float = EXCERPT_S) -> None:
    """``seconds`` of ``source`` from ``start_s``, mono, at its own sample rate, as FLAC (ffmpeg)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{start_s:.3f}", "-t", f"{seconds:.3f}"]
    cmd += ["-i", str(source), "-vn", "-ac", "1", "-c:a", "flac", "-sample_fmt", "s16", str(out)]
    subprocess.run(cmd, check=True, timeout=120)


def generate(entry: Entry, out: Path) -> None:
    """The clips made here, from their path: ``white-noise-SEED``, ``pink-noise-SEED``,
    ``tone-HZ`` or ``chirp-LOW-HIGH``, each ``EXCERPT_S`` long."""
    n = int(EXCERPT_S * GENERATED_RATE)
    t = np.arange(n) / GENERATED_RATE
    name, *args = entry.path.split("-")
    if entry.path.startswith(("white-noise", "pink-noise")):
        rng = np.random.default_rng(int(args[-1]))
        y = rng.standard_normal(n)
        if name == "pink":
            spectrum = np.fft.rfft(y)
            spectrum[1:] /= np.sqrt(np.arange(1, spectrum.size))
            y = np.fft.irfft(spectrum, n)
    elif name == "tone":
        y = np.sin(2 * np.pi * float(args[0]) * t)
    elif name == "chirp":
        low, high = float(args[0]), float(args[1])
        y = np.sin(2 * np.pi * (low * t + (high - low) * t**2 / (2 * EXCERPT_S)))
    else:
        raise ParameterError(f"{entry.id}: no generator named {entry.path!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(out, (0.3 * y / np.max(np.abs(y))).astype(np.float32), GENERATED_RATE, subtype="PCM_16")


def build_realset(
    out: Path,
    *,
    entries: list[Entry] | None = None,
    download: Callable[[str, Path], Path] = apt_download,
) -> Path:
    """Fetch, unpack and cut every entry into ``out``; returns ``out/manifest.csv``."""
    out = Path(out)
    entries = read_definition() if entries is None else entries
    rows = []
    for entry in entries:
        target = out / entry.part / entry.kind / f"{entry.id}.flac"
        if not target.is_file():
            if entry.package == GENERATED:
                generate(entry, target)
            else:
                root = unpack(download(entry.package, out / ".debs"), out / ".root" / entry.package)
                cut_excerpt(source_file(root, entry, out / ".scratch"), target, start_s=entry.start_s)
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        rows.append({"id": entry.id, "file": str(target.relative_to(out)), "sha256": digest})
        log.info("%s -> %s", entry.id, target.relative_to(out))
    manifest = out / "manifest.csv"
    with open(manifest, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "file", "sha256"])
        writer.writeheader()
        writer.writerows(rows)
    return manifest
