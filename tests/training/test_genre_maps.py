"""``musicxai genre-maps``: the tiny bundle's maps come from its held-out tracks only, one per genre."""

import json

from musicxai.model.bundle import read_bundle_meta
from training.genre_maps import held_out_tracks


def test_maps_are_written_into_the_bundle_from_held_out_clips(tiny_bundle, tiny_gtzan):
    maps = json.loads((tiny_bundle / "attributions" / "genre_maps.json").read_text())
    assert maps["clips"] == 10 and maps["method"] == "lime" and maps["num_samples"] == 16
    assert "held-out test tracks" in maps["data"]
    assert (tiny_bundle / "attributions" / "time_band.png").read_bytes()[:4] == b"\x89PNG"
    assert (tiny_bundle / "attributions" / "time_source.png").read_bytes()[:4] == b"\x89PNG"
    test_tracks = set(read_bundle_meta(tiny_bundle).split.test_tracks)
    chosen = held_out_tracks(tiny_bundle, tiny_gtzan, per_genre=1)
    assert len(chosen) == 10 and {label for _, label in chosen} == set(read_bundle_meta(tiny_bundle).genres)
    assert all(f"{p.parent.name}/{p.name}" in test_tracks for p, _ in chosen)
