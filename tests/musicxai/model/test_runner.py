"""The runner: batches on the CPU sized to a memory budget for big models (same answers either way), and
its counts of model calls, which each caller gets for its own requests."""

import threading

import keras
import numpy as np
import pytest

from musicxai.config import RunnerOptions
from musicxai.model.classifier import GenreClassifier
from musicxai.model.keras_model import activation_bytes
from musicxai.model.runner import CallTally, ModelRunner, host_batch_size


def small_cnn() -> keras.Model:
    inputs = keras.Input(shape=(8, 10, 1))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)  # 8 * 10 * 4 = 320 values
    x = keras.layers.GlobalAveragePooling2D()(x)  # 4
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))  # 3


def test_activations_count_every_layer_output_nested_models_included():
    assert activation_bytes(small_cnn()) == 4 * (320 + 4 + 3)
    inner = small_cnn()
    outer_in = keras.Input(shape=(8, 10, 1))
    outer = keras.Model(outer_in, keras.layers.Dense(2)(inner(outer_in)))
    assert activation_bytes(outer) == 4 * (320 + 4 + 3 + 2)


def test_a_batch_is_cut_to_the_memory_budget_and_never_to_nothing():
    model, per_window = small_cnn(), 4 * 327
    assert host_batch_size(model, RunnerOptions(batch_size=256, memory_bytes=10**9)) == 256
    assert host_batch_size(model, RunnerOptions(batch_size=256, memory_bytes=10 * per_window + 1)) == 10
    assert host_batch_size(model, RunnerOptions(batch_size=256, memory_bytes=1)) == 1


@pytest.mark.slow
def test_a_bundle_loaded_under_a_small_budget_answers_as_with_full_batches(tiny_bundle):
    full = GenreClassifier.load(tiny_bundle, options=RunnerOptions(runtime="keras"))
    per_window = activation_bytes(full.runner.model)
    small = GenreClassifier.load(tiny_bundle, options=RunnerOptions(runtime="keras", memory_bytes=3 * per_window))
    assert (full.runner.batch_size, small.runner.batch_size) == (256, 3)
    x = np.random.default_rng(0).standard_normal((10, *full.runner.input_shape)).astype(np.float32)
    np.testing.assert_allclose(small.runner.predict(x), full.runner.predict(x), atol=1e-6)
    assert small.runner.totals.calls == 4  # 3 + 3 + 3 + 1 windows


def test_callers_sharing_a_runner_each_count_only_their_own_calls():
    runner = ModelRunner(small_cnn(), batch_size=4)
    x = np.zeros((10, 8, 10, 1), dtype=np.float32)  # 3 calls of at most 4 windows
    tallies = [CallTally() for _ in range(8)]

    def ask(tally: CallTally) -> None:
        for _ in range(5):
            runner.predict(x, tally=tally)

    threads = [threading.Thread(target=ask, args=(t,)) for t in tallies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [(t.calls, t.windows) for t in tallies] == [(15, 50)] * 8
    assert (runner.totals.calls, runner.totals.windows) == (8 * 15, 8 * 50)
