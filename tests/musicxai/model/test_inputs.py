"""What models made elsewhere take and answer: pieces of a clip, their preprocessing, activations."""

import numpy as np
import pytest

from musicxai.errors import ParameterError
from musicxai.model.inputs import Filterbank, Waveform
from musicxai.model.outputs import Output


def test_a_clip_is_fed_whole_or_in_chunks_with_no_piece_mostly_padding():
    assert Waveform().pieces(48000) == [(0, 48000)]
    chunked = Waveform(chunk_seconds=1.0)
    assert chunked.pieces(39000) == [(0, 16000), (16000, 39000)]  # a tail under half a chunk joins the chunk before
    assert chunked.pieces(42000) == [(0, 16000), (16000, 32000), (32000, 42000)]
    assert chunked.pieces(5000) == [(0, 5000)]
    with pytest.raises(ParameterError):
        chunked.pieces(0)


def test_waveform_normalisation_is_per_piece():
    x = Waveform(normalize=True).prepare([np.arange(100, dtype=np.float32), 5 + 2 * np.ones(100, np.float32)])
    assert x.shape == (2, 100) and abs(x[0].mean()) < 1e-6 and x[0].std() == pytest.approx(1, rel=1e-3)
    assert np.abs(x[1]).max() < 1e-2  # a constant piece becomes silence, not NaN


def test_a_filterbank_is_padded_or_cut_standardised_and_laid_out_as_declared():
    y = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    spec = Filterbank(n_mels=40, frames=120, mean=-4.0, std=2.0, scale=2.0)
    x = spec.prepare([y, y[:8000]])
    assert x.shape == (2, 120, 40)
    raw = spec.features(y)
    np.testing.assert_allclose(x[0, :98], (raw - -4.0) / 4.0, rtol=1e-5)
    assert np.all(x[1, 48:] == (0.0 - -4.0) / 4.0)  # padding is pad_value, standardised like the rest
    librosa_fbank = Filterbank(extractor="logmel-log10", n_mels=96, n_fft=512, hop_length=256, frames=62,
                               layout="bins_frames", channel_axis=True)  # fmt: skip
    assert librosa_fbank.prepare([y]).shape == (1, 96, 62, 1)


def test_activations_turn_raw_outputs_into_probabilities_and_problems_name_the_fix():
    logits = np.array([[2.0, 0.0, -1.0], [800.0, -800.0, 0.0]])
    soft = Output(activation="softmax").activate(logits)
    np.testing.assert_allclose(soft.sum(axis=1), 1, rtol=1e-6)
    tags = Output(kind="tags", activation="sigmoid").activate(logits)
    assert np.isfinite(tags).all() and tags[1, 0] == 1 and tags[1, 1] == 0
    assert "--activation softmax" in Output().problem(logits)
    assert "--output tags" in Output().problem(np.array([[0.9, 0.8, 0.7]]))
    assert Output(kind="tags").problem(np.array([[0.9, 0.8, 0.7]])) is None
    with pytest.raises(ValueError, match="tags outputs do not take a softmax"):
        Output(kind="tags", activation="softmax")
