"""A 10 s clip of five tones (six model windows) that the engine and window-game tests cut up."""

import numpy as np
import pytest

from musicxai.explain.baseline import baseline_fill
from musicxai.model.features import clip_log_mel
from tests.support.audio import tone_clip


@pytest.fixture(scope="module")
def clip(classifier):
    y = np.concatenate([tone_clip(g, 0, 2.0) for g in range(5)])  # 10 s, 6 windows
    S = clip_log_mel(y, classifier.features)
    return y, S, baseline_fill(S, "min")
