"""The occlusion preview: one removal per time segment, only the windows each removal touches, and
drops that are the genre's probability with and without the segment."""

import numpy as np
import pytest

from musicxai.audio.decode import DecodedAudio
from musicxai.explain.baseline import baseline_fill
from musicxai.explain.occlusion import occlusion_preview
from musicxai.explain.params import ExplanationParams
from musicxai.explain.segmentation import SegmentationKind
from musicxai.explain.segmenters import SegmentationParams, segment_clip
from musicxai.model.features import clip_log_mel, frame_windows
from tests.support.audio import tone_clip


@pytest.fixture(scope="module")
def audio():
    y = np.concatenate([tone_clip(g, 0, 2.0) for g in range(5)])  # 10 s
    return DecodedAudio(y, 22050, len(y) / 22050)


def test_each_drop_is_the_probability_lost_without_that_segment(audio, classifier):
    params = ExplanationParams(genres=["jazz"])
    preview, png = occlusion_preview(classifier, audio, params)
    assert png.startswith(b"\x89PNG") and preview.genre == "jazz"
    S = clip_log_mel(audio.samples, classifier.features)
    baseline = baseline_fill(S, params.baseline)
    spec = SegmentationParams(SegmentationKind.temporal, params.segment_seconds, params.n_bands)
    segmentation = segment_clip(audio.samples, S, baseline, classifier.features, spec)
    assert len(preview.drops) == segmentation.k
    jazz = classifier.genres.index("jazz")
    for i in (0, segmentation.k // 2, segmentation.k - 1):
        keep = np.ones(segmentation.k, dtype=bool)
        keep[i] = False
        on = segmentation.on_mask(keep)
        without = S * on + baseline * (1 - on)
        p = classifier.window_probabilities(frame_windows(without, classifier.features)).mean(axis=0)[jazz]
        assert preview.drops[i] == pytest.approx(preview.probability - p, abs=1e-4)


def test_it_costs_a_few_windows_per_segment_not_every_window(audio, classifier):
    preview, _ = occlusion_preview(classifier, audio, ExplanationParams())
    n_windows = frame_windows(clip_log_mel(audio.samples, classifier.features), classifier.features).shape[0]
    assert preview.windows_evaluated < (len(preview.drops) + 1) * n_windows / 2
