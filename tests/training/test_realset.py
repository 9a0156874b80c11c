"""The real-audio set: its committed definition is consistent, and the builder fetches, unpacks and
cuts excerpts (here from a package the test builds itself, since CI should not download hundreds of MB)."""

import csv
import subprocess
import zipfile
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf

from musicxai.errors import ParameterError
from training.genres import GTZAN_GENRES
from training.realset import RESERVED, Entry, Kind, Part, build_realset, read_definition


def test_the_committed_definition_splits_by_package_and_labels_only_with_a_source():
    entries = read_definition()
    parts = {}
    for e in entries:
        parts.setdefault(e.package, set()).add(e.part)
        assert not e.label or (e.label in GTZAN_GENRES and e.label_source and e.evidence)
        assert (e.package, e.file_name) not in RESERVED
    assert all(len(seen) == 1 for package, seen in parts.items() if package != "generated")
    assert {e.part for e in entries} == set(Part)


def _entry(**changes) -> Entry:
    base = Entry("a", "pkg", "usr/share/a.ogg", "GPL-2+", 0.0, Part.train, Kind.music, "", "", "")
    return replace(base, **changes)


def _write(path, entries):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "package", "path", "licence", "start_s", "part", "kind", "label", "label_source",
                         "evidence"])  # fmt: skip
        for e in entries:
            writer.writerow([e.id, e.package, e.path, e.licence, e.start_s, e.part, e.kind, e.label, e.label_source,
                             e.evidence])  # fmt: skip
    return path


@pytest.mark.parametrize(
    ("entries", "fragment"),
    [
        ([_entry(), _entry(id="b", part=Part.report)], "both parts"),
        ([_entry(label="polka", label_source="title")], "label"),
        ([_entry(label="jazz")], "label"),
        ([_entry(kind=Kind.speech, label="jazz", label_source="title")], "only music"),
        ([_entry(package="hedgewars-data", path="usr/share/games/hedgewars/Data/Music/Rock.ogg")], "reserved"),
        ([_entry(), _entry()], "unique"),
    ],
)
def test_a_definition_that_breaks_a_rule_is_refused(tmp_path, entries, fragment):
    with pytest.raises(ParameterError, match=fragment):
        read_definition(_write(tmp_path / "set.csv", entries))


def _fake_deb(tmp_path, sr=44100) -> tuple:
    """A .deb with a 40 s OGG and a zip holding a 5 s WAV, built with dpkg-deb."""
    root = tmp_path / "pkg"
    music = root / "usr/share/fake/music"
    music.mkdir(parents=True)
    t = np.arange(int(40 * sr)) / sr
    sf.write(music / "song.ogg", 0.3 * np.sin(2 * np.pi * 440 * t) * (t >= 10), sr, format="OGG", subtype="VORBIS")
    voice = tmp_path / "voice.wav"
    sf.write(voice, 0.2 * np.random.default_rng(0).standard_normal(5 * 16000), 16000)
    with zipfile.ZipFile(root / "usr/share/fake/data.pk3", "w") as bundle:
        bundle.write(voice, "sound/voice.wav")
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN/control").write_text(
        "Package: fake-music\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: test\n"
    )
    deb = tmp_path / "fake-music_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(deb)], check=True, capture_output=True)
    return deb


@pytest.mark.slow
def test_build_cuts_excerpts_from_a_package_its_archives_and_the_generators(tmp_path):
    deb = _fake_deb(tmp_path)
    entries = [
        _entry(id="song", package="fake-music", path="usr/share/fake/music/song.ogg", start_s=10.0,
               label="rock", label_source="title", evidence="Rock Song"),
        _entry(id="voice", package="fake-music", path="usr/share/fake/data.pk3!sound/voice.wav", kind=Kind.speech),
        _entry(id="noise", package="generated", path="pink-noise-3", kind=Kind.noise, part=Part.report),
        _entry(id="tone", package="generated", path="chirp-100-8000", kind=Kind.tone),
    ]  # fmt: skip
    fetched = []

    def download(package, folder):
        fetched.append(package)
        return deb

    manifest = build_realset(tmp_path / "out", entries=entries, download=download)
    rows = {r["id"]: r for r in csv.DictReader(manifest.open())}
    assert set(rows) == {"song", "voice", "noise", "tone"} and all(len(r["sha256"]) == 64 for r in rows.values())
    song, sr = sf.read(tmp_path / "out" / rows["song"]["file"])
    assert sr == 44100 and len(song) / sr == pytest.approx(30.0, abs=0.05) and np.abs(song[:sr]).max() > 0.1
    voice, sr = sf.read(tmp_path / "out" / rows["voice"]["file"])
    assert sr == 16000 and len(voice) / sr == pytest.approx(5.0, abs=0.05)
    assert rows["noise"]["file"] == "report/noise/noise.flac"
    again = build_realset(tmp_path / "out", entries=entries, download=download)  # nothing is cut twice
    assert again.read_text() == manifest.read_text() and fetched == ["fake-music", "fake-music"]
