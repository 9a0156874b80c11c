"""Audio-domain perturbation: a segment's part of the waveform, and the sum of the kept ones is exactly
what the sonification makes of the same mask."""

import numpy as np
import pytest

from musicxai.explain.audio_parts import AudioParts
from musicxai.explain.baseline import baseline_fill
from musicxai.explain.segmentation import SegmentationKind
from musicxai.explain.segmenters import SegmentationParams, segment_clip
from musicxai.explain.sonify import sonify
from musicxai.model.features import clip_log_mel
from musicxai.model.inputs import Waveform

GRID = Waveform().grid()


@pytest.fixture(scope="module")
def clip():
    rng = np.random.default_rng(0)
    t = np.arange(5 * GRID.sample_rate) / GRID.sample_rate
    return (0.2 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.mark.parametrize("kind", ["time_frequency", "sources", "superpixel"])
def test_kept_parts_sum_to_the_sonified_evidence_and_all_parts_to_the_clip(clip, kind):
    S = clip_log_mel(clip, GRID)
    segmentation = segment_clip(clip, S, baseline_fill(S), GRID, SegmentationParams(SegmentationKind(kind)))
    parts = AudioParts.of(clip, segmentation, GRID)
    players = np.arange(segmentation.k)
    Z = np.random.default_rng(1).integers(0, 2, (4, segmentation.k)).astype(bool)
    composed = parts.compose(Z, players, 0, len(clip))
    for row, z in zip(composed, Z, strict=True):
        evidence, _ = sonify(clip, segmentation.on_mask(z), GRID)
        np.testing.assert_allclose(row, evidence, atol=1e-5)
    whole = parts.compose(np.ones((1, segmentation.k), bool), players, 0, len(clip))[0]
    np.testing.assert_allclose(whole, clip, atol=1e-5)


def test_a_piece_is_reached_only_by_the_segments_near_it(clip):
    S = clip_log_mel(clip, GRID)
    params = SegmentationParams(SegmentationKind.temporal, segment_seconds=1.0)
    segmentation = segment_clip(clip, S, baseline_fill(S), GRID, params)
    parts = AudioParts.of(clip, segmentation, GRID)
    first_second = parts.touching(0, GRID.sample_rate // 2)
    assert list(first_second) == [0]  # half a second in, only the first slice (and its smoothing) sounds
    piece = parts.compose(np.array([[True], [False]]), first_second, 0, 1000)
    np.testing.assert_allclose(piece[0], clip[:1000], atol=1e-5)
    assert not piece[1].any()  # a switched-off segment is silent
