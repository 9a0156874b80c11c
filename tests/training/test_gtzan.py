import logging
import shutil

import pytest

from musicxai.errors import ParameterError
from musicxai.model.features import FeatureSettings
from training.dataset import build_windows
from training.genres import GTZAN_GENRES
from training.gtzan import discover_tracks, split_from_lists, stratified_split


def test_discover_tracks_finds_gtzan_layout(tiny_gtzan):
    tracks = discover_tracks(tiny_gtzan)
    assert len(tracks) == 50
    assert {t.genre for t in tracks} == set(GTZAN_GENRES)
    assert tracks[0].relpath == "blues/blues.00000.wav"
    assert discover_tracks(tiny_gtzan / "genres_original") == tracks


def test_discover_tracks_rejects_folder_without_layout(tmp_path):
    with pytest.raises(ParameterError, match="genres_original"):
        discover_tracks(tmp_path)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_stratified_split_never_shares_a_track_and_keeps_every_genre(tiny_gtzan, seed):
    parts = stratified_split(discover_tracks(tiny_gtzan), seed=seed, valid_fraction=0.2, test_fraction=0.2)
    keys = {part: {t.key for t in tracks} for part, tracks in parts.items()}
    assert not keys["train"] & keys["test"]
    assert not keys["train"] & keys["valid"]
    assert not keys["valid"] & keys["test"]
    assert sum(map(len, keys.values())) == 50
    for tracks in parts.values():
        assert {t.genre for t in tracks} == set(GTZAN_GENRES)


def test_stratified_split_is_reproducible_for_a_seed(tiny_gtzan):
    tracks = discover_tracks(tiny_gtzan)
    a = stratified_split(tracks, seed=3, valid_fraction=0.2, test_fraction=0.2)
    b = stratified_split(tracks, seed=3, valid_fraction=0.2, test_fraction=0.2)
    c = stratified_split(tracks, seed=4, valid_fraction=0.2, test_fraction=0.2)
    assert a == b
    assert a["test"] != c["test"]


def test_split_lists_accept_au_names_and_skip_missing(tiny_gtzan, tmp_path, caplog):
    (tmp_path / "train_filtered.txt").write_text("blues/blues.00000.au\nblues/blues.00001.au\njazz/jazz.00099.au\n")
    (tmp_path / "valid_filtered.txt").write_text("blues/blues.00002.au\n")
    (tmp_path / "test_filtered.txt").write_text("rock/rock.00004.au\n")
    with caplog.at_level(logging.WARNING):
        parts = split_from_lists(discover_tracks(tiny_gtzan), tmp_path)
    assert [t.key for t in parts["train"]] == ["blues.00000", "blues.00001"]
    assert [t.relpath for t in parts["test"]] == ["rock/rock.00004.wav"]
    assert "jazz.00099" in caplog.text


def test_split_lists_sharing_a_track_are_refused(tiny_gtzan, tmp_path):
    for name in ("train_filtered.txt", "valid_filtered.txt", "test_filtered.txt"):
        (tmp_path / name).write_text("blues/blues.00000.wav\n")
    with pytest.raises(ParameterError, match="both"):
        split_from_lists(discover_tracks(tiny_gtzan), tmp_path)


def test_unreadable_track_is_skipped_with_a_warning(tiny_gtzan, tmp_path, caplog):
    root = tmp_path / "data"
    shutil.copytree(tiny_gtzan / "genres_original" / "jazz", root / "genres_original" / "jazz")
    (root / "genres_original" / "jazz" / "jazz.00054.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    tracks = discover_tracks(root)
    with caplog.at_level(logging.WARNING):
        data = build_windows(tracks, FeatureSettings(), workers=1)
    assert len(tracks) == 6 and len(data.tracks) == 5
    assert "jazz.00054" in caplog.text
    assert data.windows.shape[1:] == (128, 130)
    assert set(data.track_ids.tolist()) == set(range(5))
