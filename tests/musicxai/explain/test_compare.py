"""Comparing two explanations of one clip: agreement figures, the segments they disagree on, and
clear refusals where the comparison means nothing."""

import numpy as np
import pytest

from musicxai.audio.decode import DecodedAudio
from musicxai.errors import ParameterError
from musicxai.explain.compare import compare
from musicxai.explain.params import ExplanationParams
from musicxai.explain.pipeline import run_explanation
from tests.support.audio import tone_clip


@pytest.fixture(scope="module")
def results(classifier):
    y = np.concatenate([tone_clip(g, 0, 2.0) for g in range(5)])
    audio = DecodedAudio(y, 22050, len(y) / 22050)
    runs = {
        "lime": ExplanationParams(method="lime", segmentation="temporal", num_samples=64),
        "shap": ExplanationParams(method="shap", segmentation="temporal", num_samples=64),
        "spectral": ExplanationParams(method="shap", segmentation="spectral", num_samples=64),
    }
    return {name: run_explanation(classifier, audio, params).result for name, params in runs.items()}


def test_an_explanation_agrees_fully_with_itself(results):
    same = compare(results["lime"], results["lime"])
    assert same.kendall_tau == 1.0 and same.top_k_overlap == 1.0 and same.disagreements == []
    assert same.top_a == same.top_b and len(same.top_a) == same.top_k == 5


def test_lime_against_shap_reports_rank_agreement_and_the_largest_rank_differences(results):
    lime, shap = results["lime"], results["shap"]
    report = compare(lime, shap)
    genre = report.genre
    assert genre == lime.explained_genres[0] and report.methods == ("lime", "shap")
    wa, wb = np.asarray(lime.weights[genre]), np.asarray(shap.weights[genre])
    assert report.top_a == list(np.argsort(-wa)[: report.top_k])
    assert report.top_k_overlap == len(set(report.top_a) & set(report.top_b)) / report.top_k
    gaps = [abs(d.rank_a - d.rank_b) for d in report.disagreements]
    assert gaps == sorted(gaps, reverse=True) and all(g > 0 for g in gaps)
    for d in report.disagreements:
        assert d.weight_a == pytest.approx(wa[d.segment.index]) and d.weight_b == pytest.approx(wb[d.segment.index])
    reverse = compare(shap, lime)
    assert reverse.kendall_tau == report.kendall_tau and reverse.methods == ("shap", "lime")


def test_different_segments_or_no_shared_genre_are_refused_with_the_reason(results):
    with pytest.raises(ParameterError, match="different segments"):
        compare(results["lime"], results["spectral"])
    other = results["shap"].model_copy(update={"explained_genres": ["not-a-genre"]})
    with pytest.raises(ParameterError, match="share no explained genre"):
        compare(results["lime"], other)
