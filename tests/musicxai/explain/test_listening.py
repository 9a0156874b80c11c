"""The listenable-evidence metrics on models whose answer is known: one that hears three bands, and a
constant one, about which no part of a clip can tell anything."""

import numpy as np
import pytest

from musicxai.explain.baseline import baseline_fill
from musicxai.explain.listening import listening_metrics
from musicxai.explain.segmenters import SegmentationParams, segment_clip
from musicxai.explain.sonify import sonify
from musicxai.model.bundle import BundleMeta, RuntimeSpec
from musicxai.model.classifier import GenreClassifier
from musicxai.model.features import clip_log_mel
from musicxai.model.inputs import Waveform
from musicxai.model.outputs import Output
from musicxai.model.runner import ModelRunner
from tests.support.models import BANDS_HZ, LABELS, RATE, SLOPE, band_clip


def band_logits(x: np.ndarray) -> np.ndarray:
    """SLOPE × log power within 100 Hz of each band, per waveform."""
    spectrum = np.abs(np.fft.rfft(x, axis=1)) ** 2
    freqs = np.fft.rfftfreq(x.shape[1], 1 / RATE)
    power = np.stack([spectrum[:, np.abs(freqs - f) < 100].mean(axis=1) for f in BANDS_HZ], axis=1)
    return SLOPE * np.log(power + 1e-6)


def classifier(call) -> GenreClassifier:
    meta = BundleMeta(format_version=2, name="bands", architecture="test", genres=LABELS, features=Waveform().grid(),
                      input=Waveform(), output=Output(activation="softmax"),
                      runtime=RuntimeSpec(kind="callable", target="tests:bands"))  # fmt: skip
    runner = ModelRunner.for_call(call, input_shape=(None,), num_outputs=3, runtime="python", batch_size=8,
                                  warm_shape=(RATE,))  # fmt: skip
    return GenreClassifier(meta, runner)


@pytest.fixture(scope="module")
def clip_and_segments():
    y = band_clip(6.0, loud=2)
    grid = Waveform().grid()
    S = clip_log_mel(y, grid)
    return y, segment_clip(y, S, baseline_fill(S), grid, SegmentationParams())


def heard(model: GenreClassifier, y: np.ndarray, segmentation, evidence: np.ndarray):
    """The evidence and its complement as the job sonifies them."""
    return sonify(y, segmentation.on_mask(evidence), model.features)


def test_the_evidence_of_a_band_model_beats_random_segments_of_the_same_area(clip_and_segments):
    y, segmentation = clip_and_segments
    model = classifier(band_logits)
    probabilities = model.classify(y).probabilities
    evidence = np.array([s.low_hz >= 3000 and s.start_s >= 2.9 for s in segmentation.segments])  # the loud band
    metrics = listening_metrics(
        model, y, segmentation, evidence, heard(model, y, segmentation, evidence), 2, probabilities
    )
    assert metrics.label == "high" and 0 < metrics.area < 0.2
    assert metrics.evidence.fidelity_in == 1 and metrics.evidence.average_drop < 5
    assert metrics.evidence.faithfulness > metrics.control.faithfulness + 0.2
    assert metrics.evidence.p_evidence > metrics.control.p_evidence


def test_a_constant_model_gives_no_information_and_the_control_says_the_same(clip_and_segments):
    y, segmentation = clip_and_segments
    model = classifier(lambda x: np.zeros((len(x), 3)))
    evidence = np.arange(segmentation.k) % 3 == 0
    heard_evidence = heard(model, y, segmentation, evidence)
    metrics = listening_metrics(model, y, segmentation, evidence, heard_evidence, 0, model.classify(y).probabilities)
    for scores in (metrics.evidence, metrics.control):
        assert scores.average_drop == scores.average_gain == scores.faithfulness == 0
        assert scores.average_increase == 0 and scores.p_evidence == pytest.approx(1 / 3)
