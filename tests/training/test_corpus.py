"""The demo corpus generator: GTZAN layout, clip format, determinism, genre distinctness, missing tools."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from training.corpus import CorpusError, generate_corpus
from training.corpus import tools as corpus_tools
from training.genres import GTZAN_GENRES

SECONDS = 4.0
PER_GENRE = 3
SEED = 7
SR = 22050


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("corpus")
    manifest = generate_corpus(out, clips_per_genre=PER_GENRE, seconds=SECONDS, seed=SEED, workers=2, progress=False)
    return out, manifest


def _expected_paths(per_genre: int) -> set[str]:
    return {f"genres_original/{g}/{g}.{i:05d}.wav" for g in GTZAN_GENRES for i in range(per_genre)}


@pytest.mark.slow  # renders a corpus with FluidSynth
def test_gtzan_layout_and_manifest(corpus):
    out, manifest = corpus
    written = {p.relative_to(out).as_posix() for p in out.rglob("*.wav")}
    assert written == _expected_paths(PER_GENRE)
    assert json.loads((out / "corpus.json").read_text()) == manifest
    assert (manifest["seed"], manifest["seconds"], manifest["clips_per_genre"]) == (SEED, SECONDS, PER_GENRE)
    assert manifest["tools"]["mma"] != "unknown" and manifest["tools"]["fluidsynth"] != "unknown"
    assert {c["path"] for c in manifest["clips"]} == written
    for clip in manifest["clips"]:
        assert clip["path"].split("/")[1] == clip["genre"]
        assert ("score" if clip["genre"] == "classical" else "groove") in clip
        assert {"tempo", "key", "soundfont", "mix", "channel_gains_db"} <= clip.keys()


@pytest.mark.slow  # renders a corpus with FluidSynth
def test_clips_are_mono_22050_of_the_asked_length_audible_and_unclipped(corpus):
    out, manifest = corpus
    for clip in manifest["clips"]:
        info = sf.info(out / clip["path"])
        assert (info.samplerate, info.channels, info.frames) == (SR, 1, int(SECONDS * SR))
        assert info.subtype == "PCM_16"
        pcm, _ = sf.read(out / clip["path"], dtype="int16")
        assert np.abs(pcm.astype(np.int32)).max() < 32767, clip["path"]
        audio = pcm / 32768.0
        assert np.sqrt(np.mean(audio**2)) > 0.01, clip["path"]


@pytest.mark.slow  # renders a corpus with FluidSynth
def test_clips_of_one_genre_differ(corpus):
    _, manifest = corpus
    for genre in GTZAN_GENRES:
        clips = [c for c in manifest["clips"] if c["genre"] == genre]
        drawn = {(c.get("groove") or c["score"], c["tempo"], c["key"]) for c in clips}
        assert len(drawn) == len(clips), genre


@pytest.mark.slow
def test_same_seed_gives_identical_files_and_another_seed_does_not(corpus, tmp_path):
    out, _ = corpus
    # One clip per genre, in-process: clip i must not depend on clips_per_genre or on the worker count.
    again = generate_corpus(
        tmp_path / "again", clips_per_genre=1, seconds=SECONDS, seed=SEED, workers=1, progress=False
    )
    other = generate_corpus(tmp_path / "other", clips_per_genre=1, seconds=SECONDS, seed=SEED + 1, progress=False)
    for path in _expected_paths(1):
        original = (out / path).read_bytes()
        assert (tmp_path / "again" / path).read_bytes() == original, path
        assert (tmp_path / "other" / path).read_bytes() != original, path
    assert again["clips"] != other["clips"]


@pytest.mark.slow  # renders a corpus with FluidSynth
def test_genres_are_acoustically_distinct(corpus):
    """Leave-one-out nearest genre centroid on MFCC means must clearly beat chance (1 in 10)."""
    out, manifest = corpus
    features, labels = [], []
    for clip in manifest["clips"]:
        audio, _ = sf.read(out / clip["path"], dtype="float32")
        features.append(librosa.feature.mfcc(y=audio, sr=SR, n_mfcc=13).mean(axis=1))
        labels.append(clip["genre"])
    z = np.asarray(features)
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    labels = np.asarray(labels)
    correct = 0
    for i in range(len(labels)):
        rest = np.arange(len(labels)) != i
        centroids = {g: z[rest & (labels == g)].mean(axis=0) for g in GTZAN_GENRES}
        correct += min(centroids, key=lambda g: np.sum((z[i] - centroids[g]) ** 2)) == labels[i]
    # 8 of 30 right happens by chance with probability < 1 %.
    assert correct / len(labels) >= 0.25


def test_missing_program_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(CorpusError, match="apt-get install mma"):
        generate_corpus(tmp_path / "c", clips_per_genre=1, seconds=1.0, progress=False)
    assert not (tmp_path / "c").exists()


def test_missing_soundfont_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setattr(corpus_tools, "SOUNDFONT_DIRS", (tmp_path,))
    with pytest.raises(CorpusError, match="fluid-soundfont-gm"):
        generate_corpus(tmp_path / "c", clips_per_genre=1, seconds=1.0, progress=False)


@pytest.mark.slow
def test_groove_database_is_built_when_missing(monkeypatch, tmp_path):
    home = tmp_path / "mma"
    shutil.copytree(corpus_tools.mma_home(), home)
    for db in home.rglob(".mmaDB"):
        db.unlink()
    monkeypatch.setenv("MMA_HOME", str(home))
    corpus_tools.ensure_groove_db(shutil.which("mma"))
    assert (home / "lib" / "stdlib" / ".mmaDB").is_file()


def test_refuses_to_mix_with_clips_already_in_the_folder(tmp_path):
    stale = tmp_path / "genres_original" / "blues" / "blues.00009.wav"
    stale.parent.mkdir(parents=True)
    sf.write(stale, np.zeros(SR, dtype=np.float32), SR)
    with pytest.raises(ValueError, match="already holds 1 other clips"):
        generate_corpus(tmp_path, clips_per_genre=1, seconds=1.0, progress=False)
