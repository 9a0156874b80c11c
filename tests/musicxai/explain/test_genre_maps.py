"""Per-genre maps: a clip's segment weights carried onto relative time × band (or source), keeping
their mass, and the mean and spread over the clips of each genre."""

import numpy as np
import pytest

from musicxai.errors import ParameterError
from musicxai.explain.genre_maps import TIME_BINS, MapView, aggregate, project, row_labels, split_half
from musicxai.explain.segmentation import Segment


def grid_segments(seconds: float, slice_s: float, bands: list[tuple[float, float]]) -> list[Segment]:
    """Time slices × bands, numbered band-major like a label map's segments."""
    starts = np.arange(0.0, seconds, slice_s)
    return [
        Segment(index=i, name=str(i), start_s=t, end_s=min(t + slice_s, seconds), low_hz=lo, high_hz=hi)
        for i, ((lo, hi), t) in enumerate((band, t) for band in bands for t in starts)
    ]


BANDS = [(0.0, 500.0), (400.0, 2000.0)]


def test_a_single_segment_lands_in_its_band_and_its_tenth_of_the_clip():
    segments = grid_segments(10.0, 1.0, BANDS)  # 10 slices × 2 bands: one slice per time bin
    weights = np.zeros(len(segments))
    weights[10 + 3] = 2.0  # high band, 3-4 s
    grid = project(segments, weights, MapView.time_band)
    assert grid.shape == (2, TIME_BINS)
    expected = np.zeros((2, TIME_BINS))
    expected[1, 3] = 1.0
    np.testing.assert_allclose(grid, expected)


def test_a_segment_over_two_bins_is_split_by_overlap_and_signs_keep():
    segments = grid_segments(5.0, 2.5, BANDS)  # 2 slices of 2.5 s; bins are 0.5 s
    weights = np.array([1.0, -3.0, 0.0, 0.0])
    grid = project(segments, weights, MapView.time_band)
    np.testing.assert_allclose(grid[0, :5], 0.25 / 5)  # 1/4 of the mass over 5 bins
    np.testing.assert_allclose(grid[0, 5:], -0.75 / 5)
    np.testing.assert_allclose(np.abs(grid).sum(), 1.0)
    assert not grid[1].any()


def test_sources_rows_are_harmonic_then_percussive():
    segments = [
        Segment(index=0, name="h", start_s=0, end_s=2, low_hz=0, high_hz=8000, component="harmonic"),
        Segment(index=1, name="p", start_s=0, end_s=2, low_hz=0, high_hz=8000, component="percussive"),
    ]
    grid = project(segments, [0.0, 1.0], MapView.time_source)
    assert row_labels(segments, MapView.time_source) == ["harmonic", "percussive"]
    assert not grid[0].any() and grid[1].sum() == pytest.approx(1.0)


def test_a_grid_without_sources_cannot_make_a_source_map():
    with pytest.raises(ParameterError, match="sources segmentation"):
        project(grid_segments(2.0, 1.0, BANDS), np.ones(4), MapView.time_source)


def test_mismatched_weights_are_refused_and_no_attribution_maps_to_zeros():
    segments = grid_segments(2.0, 1.0, BANDS)
    with pytest.raises(ParameterError, match="3 weights for 4 segments"):
        project(segments, np.ones(3), MapView.time_band)
    assert not project(segments, np.zeros(4), MapView.time_band).any()


def test_aggregate_gives_each_genre_its_mean_and_spread_and_skips_genres_without_clips():
    a = {MapView.time_band: np.full((2, TIME_BINS), 0.1), MapView.time_source: np.zeros((2, TIME_BINS))}
    b = {MapView.time_band: np.full((2, TIME_BINS), 0.3), MapView.time_source: np.ones((2, TIME_BINS))}
    rows = {MapView.time_band: ["low", "high"], MapView.time_source: ["harmonic", "percussive"]}
    maps = aggregate(
        [("jazz", a), ("jazz", b), ("rock", a)], rows, ["blues", "jazz", "rock"],
        model="m", method="lime", num_samples=64, data="test",
    )  # fmt: skip
    assert list(maps.genres) == ["jazz", "rock"] and maps.clips == 3
    jazz = maps.genres["jazz"]
    assert jazz.clips == 2
    np.testing.assert_allclose(jazz.views[MapView.time_band].mean, 0.2)
    np.testing.assert_allclose(jazz.views[MapView.time_band].std, 0.1)
    np.testing.assert_allclose(jazz.views[MapView.time_source].mean, 0.5)
    np.testing.assert_allclose(maps.genres["rock"].views[MapView.time_band].std, 0.0)


def test_split_half_is_high_for_clips_that_share_a_pattern_and_absent_for_few_clips():
    rng = np.random.default_rng(0)
    pattern = rng.normal(size=40)
    shared = [pattern + 0.1 * rng.normal(size=40) for _ in range(8)]
    unrelated = [rng.normal(size=40) for _ in range(8)]
    assert split_half(shared) > 0.9
    assert abs(split_half(unrelated)) < 0.6
    assert split_half(shared[:3]) is None
