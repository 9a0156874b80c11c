import numpy as np
import pytest

from musicxai.errors import ParameterError
from musicxai.explain.baseline import baseline_fill
from musicxai.explain.segmenters import SegmentationParams, segment_clip
from musicxai.model.features import FeatureSettings

SETTINGS = FeatureSettings()


@pytest.fixture(scope="module")
def clip():
    rng = np.random.default_rng(0)
    t = np.arange(int(8.0 * 22050)) / 22050
    y = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.normal(size=t.size)).astype(np.float32)
    from musicxai.model.features import clip_log_mel

    S = clip_log_mel(y, SETTINGS)
    return y, S, baseline_fill(S, "min")


def make(clip, kind, **kw):
    y, S, B = clip
    return segment_clip(y, S, B, SETTINGS, SegmentationParams(kind=kind, **kw))


@pytest.mark.parametrize(
    ("kind", "kw", "k"),
    [
        ("temporal", {"segment_seconds": 1.0}, 8),
        ("spectral", {"n_bands": 12}, 12),
        ("time_frequency", {"segment_seconds": 2.0, "n_bands": 4}, 16),
    ],
)
def test_grid_labels_cover_every_cell_once_with_k_segments(clip, kind, kw, k):
    seg = make(clip, kind, **kw)
    assert seg.k == k and len(seg.segments) == k
    assert seg.labels.shape == clip[1].shape
    assert set(np.unique(seg.labels)) == set(range(k))
    for s in seg.segments:
        _, frames = np.nonzero(seg.labels == s.index)
        assert frames.min() * SETTINGS.frame_seconds == pytest.approx(s.start_s, abs=1e-6)
        assert s.low_hz < s.high_hz and s.start_s < s.end_s


def test_spectral_bands_are_equal_width_on_the_mel_axis(clip):
    seg = make(clip, "spectral", n_bands=8)
    sizes = np.bincount(seg.labels[:, 0])
    assert np.all(sizes == 16)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["temporal", "spectral", "time_frequency", "superpixel", "sources"])
def test_all_on_gives_the_clip_and_all_off_gives_the_baseline(clip, kind):
    _, S, B = clip
    seg = make(clip, kind)
    on = seg.compose(np.ones((1, seg.k), dtype=bool), 0, seg.n_frames)[0]
    off = seg.compose(np.zeros((1, seg.k), dtype=bool), 0, seg.n_frames)[0]
    np.testing.assert_allclose(on, S, atol=1e-3)
    np.testing.assert_allclose(off, B, atol=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["time_frequency", "superpixel", "sources"])
def test_switching_one_segment_off_changes_only_its_cells(clip, kind):
    S = clip[1]
    seg = make(clip, kind)
    Z = np.ones((1, seg.k), dtype=bool)
    Z[0, 3] = False
    changed = ~np.isclose(seg.compose(Z, 0, seg.n_frames)[0], S, atol=1e-4)
    share = seg.on_mask(~Z[0])  # where segment 3 holds any share of the cell
    assert changed.any()
    assert not (changed & (share == 0)).any()


@pytest.mark.parametrize("kind", ["temporal", "time_frequency", "superpixel", "sources"])
def test_components_in_names_exactly_the_segments_present_in_a_frame_range(clip, kind):
    seg = make(clip, kind)
    start, stop = 40, 170
    present = [i for i in range(seg.k) if seg.on_mask(np.eye(seg.k, dtype=bool)[i])[:, start:stop].any()]
    assert list(seg.components_in(start, stop)) == present


def test_superpixel_labels_are_contiguous_from_zero(clip):
    seg = make(clip, "superpixel")
    assert seg.k > 10
    assert set(np.unique(seg.labels)) == set(range(seg.k))


def test_sources_split_harmonic_and_percussive_per_time_segment(clip):
    seg = make(clip, "sources", segment_seconds=2.0)
    assert seg.k == 2 * 4
    assert {s.component for s in seg.segments} == {"harmonic", "percussive"}
    np.testing.assert_allclose(seg.shares.sum(axis=0), 1.0, atol=1e-6)


def test_baselines(clip):
    _, S, _ = clip
    assert np.all(baseline_fill(S, "min") == S.min())
    np.testing.assert_allclose(baseline_fill(S, "mean")[:, 0], S.mean(axis=1), rtol=1e-5)
    a = baseline_fill(S, "noise", rng=np.random.default_rng(1))
    b = baseline_fill(S, "noise", rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ParameterError, match="baseline"):
        baseline_fill(S, "zeros")


def test_unknown_segmentation_and_bad_sizes_are_refused(clip):
    with pytest.raises(ParameterError, match="segmentation"):
        make(clip, "voronoi")
    with pytest.raises(ParameterError, match="n_bands"):
        make(clip, "spectral", n_bands=0)
