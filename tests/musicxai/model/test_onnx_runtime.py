"""ONNX Runtime beside Keras: the same probabilities (<= 1e-4, same top genre) on real bundles and a
clip, a cache that is read instead of converting again, and a logged fall-back to Keras whenever
the conversion, the cached file or the parity check fails."""

import logging

import keras
import numpy as np
import pytest

from musicxai.config import RunnerOptions
from musicxai.errors import ParameterError
from musicxai.model import onnx_runtime
from musicxai.model.classifier import GenreClassifier
from musicxai.model.detector import MusicDetector
from tests.support.audio import SR, tone_clip


def load(bundle, cache, runtime="onnxruntime") -> GenreClassifier:
    return GenreClassifier.load(bundle, options=RunnerOptions(runtime=runtime, cache_dir=cache))


@pytest.mark.slow
@pytest.mark.parametrize("bundle", ["models/demo-student", "models/demo-transfer"])
def test_served_bundles_agree_with_keras_on_a_clip(bundle, tmp_path):
    fast, keras_run = load(bundle, tmp_path), load(bundle, tmp_path, runtime="keras")
    assert (fast.runner.runtime, keras_run.runner.runtime) == ("onnxruntime", "tensorflow")
    y = tone_clip(3, 0, 8.0, sr=fast.features.sample_rate)
    got, want = fast.classify(y), keras_run.classify(y)
    assert np.abs(got.window_probabilities - want.window_probabilities).max() <= onnx_runtime.PARITY_ATOL
    assert got.top(1) == want.top(1)


@pytest.mark.slow
def test_the_detector_agrees_with_keras(tmp_path):
    options = RunnerOptions(cache_dir=tmp_path)
    fast = MusicDetector.load("models/detector", options=options)
    slow = MusicDetector.load("models/detector", options=RunnerOptions(runtime="keras"))
    assert fast.runner.runtime == "onnxruntime"
    y = tone_clip(1, 0, 6.0)
    assert fast.music_probability(y, SR) == pytest.approx(slow.music_probability(y, SR), abs=1e-4)


@pytest.mark.slow
def test_a_converted_model_is_read_from_the_cache(tiny_bundle, tmp_path, monkeypatch):
    first = load(tiny_bundle, tmp_path)
    assert first.runner.runtime == "onnxruntime"
    assert len(list(tmp_path.glob("*.onnx"))) == 1
    assert not list(tmp_path.glob("*.partial"))

    def no_conversion(*args, **kwargs):
        raise AssertionError("converted again although the cache holds it")

    monkeypatch.setattr(keras.Model, "export", no_conversion)
    assert load(tiny_bundle, tmp_path).runner.runtime == "onnxruntime"


def test_a_failed_conversion_falls_back_to_keras_and_says_why(tiny_bundle, tmp_path, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("tf2onnx could not map an op")

    monkeypatch.setattr(keras.Model, "export", broken)
    with caplog.at_level(logging.WARNING, logger=onnx_runtime.__name__):
        classifier = load(tiny_bundle, tmp_path)
    assert classifier.runner.runtime == "tensorflow"
    assert "tf2onnx could not map an op" in caplog.text and "Keras runs it" in caplog.text
    assert classifier.classify(tone_clip(0, 0, 4.0)).probabilities.sum() == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_a_corrupt_cached_file_falls_back_to_keras(tiny_bundle, tmp_path, caplog):
    load(tiny_bundle, tmp_path)
    (cached,) = tmp_path.glob("*.onnx")
    cached.write_bytes(b"not an onnx graph")
    with caplog.at_level(logging.WARNING, logger=onnx_runtime.__name__):
        assert load(tiny_bundle, tmp_path).runner.runtime == "tensorflow"
    assert "ONNX Runtime cannot run it" in caplog.text


@pytest.mark.slow
def test_a_session_that_disagrees_with_keras_is_not_used(tiny_bundle, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(onnx_runtime, "PARITY_ATOL", -1.0)  # no difference is small enough
    with caplog.at_level(logging.WARNING, logger=onnx_runtime.__name__):
        assert load(tiny_bundle, tmp_path).runner.runtime == "tensorflow"
    assert "differs from Keras" in caplog.text


@pytest.mark.slow
def test_an_unwritable_cache_still_runs_on_onnx_runtime(tiny_bundle, tmp_path, caplog):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    with caplog.at_level(logging.WARNING, logger=onnx_runtime.__name__):
        assert load(tiny_bundle, blocked / "onnx").runner.runtime == "onnxruntime"
    assert "kept in memory only" in caplog.text


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["onnxruntime", "keras"])
def test_non_finite_windows_are_refused_not_classified(tiny_bundle, tmp_path, runtime):
    classifier = load(tiny_bundle, tmp_path, runtime=runtime)
    windows = np.zeros((3, *classifier.features.input_shape), dtype=np.float32)
    windows[1, 0, 0, 0] = np.nan
    with pytest.raises(ParameterError, match="NaN or infinite"):
        classifier.runner.predict(windows)


def test_an_unknown_runtime_is_refused(tiny_bundle):
    with pytest.raises(ParameterError, match="runtime='tvm'"):
        GenreClassifier.load(tiny_bundle, options=RunnerOptions(runtime="tvm"))
