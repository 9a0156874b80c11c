"""The same model.keras on TensorFlow (CPU default) and JAX (GPU workers) gives the same answers.

JAX's CPU build stands in for the GPU here; each backend runs in its own process because Keras
picks its backend once, at import.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.support.data import ROOT

DEMO = ROOT / "models" / "demo"
pytest.importorskip("jax")

SCRIPT = """
import json, sys
import numpy as np
from musicxai.config import RunnerOptions
from musicxai.model.classifier import GenreClassifier
from musicxai.explain.engine import PerturbationEngine
from musicxai.explain.clip_games import explain_lime
from musicxai.explain.integrated_gradients import explain_gradient
from musicxai.model.features import clip_log_mel
from musicxai.explain.segmenters import SegmentationParams, segment_clip
from musicxai.explain.baseline import baseline_fill

classifier = GenreClassifier.load(sys.argv[1], options=RunnerOptions(backend=sys.argv[2]))
classifier.runner.warm_up()
rng = np.random.default_rng(0)
t = np.arange(int(9.0 * 22050)) / 22050
gate = np.sin(2 * np.pi * 2 * t) > 0
y = (0.3 * np.sin(2 * np.pi * 196 * t) * gate + 0.05 * rng.normal(size=t.size)).astype("float32")
S = clip_log_mel(y, classifier.features)
prediction = classifier.classify_log_mel(S)
segmentation = segment_clip(y, S, baseline_fill(S), classifier.features, SegmentationParams("temporal"))
target = int(np.argmax(prediction.probabilities))
weights = explain_lime(PerturbationEngine(classifier, segmentation), [target], num_samples=150, seed=3).weights[target]
gradient = explain_gradient(PerturbationEngine(classifier, segmentation), [target]).weights[target]
print(json.dumps({"backend": classifier.runner.backend, "probabilities": prediction.probabilities.tolist(),
                  "windows": prediction.window_probabilities.tolist(), "weights": weights.tolist(),
                  "gradient": gradient.tolist()}))
"""


def run(backend: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(DEMO), backend], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_tensorflow_and_jax_backends_agree_on_the_demo_bundle():
    tf, jax = run("tensorflow"), run("jax")
    assert (tf["backend"], jax["backend"]) == ("tensorflow", "jax")
    np.testing.assert_allclose(jax["windows"], tf["windows"], atol=1e-4)
    np.testing.assert_allclose(jax["probabilities"], tf["probabilities"], atol=1e-4)
    assert np.argmax(jax["probabilities"]) == np.argmax(tf["probabilities"])
    np.testing.assert_allclose(jax["weights"], tf["weights"], atol=1e-4)
    np.testing.assert_allclose(jax["gradient"], tf["gradient"], atol=1e-4)  # GradientTape and jax.grad
    assert np.abs(tf["gradient"]).max() > 1e-4  # and they are not both zero


DEVICE_SCRIPT = """
import json, sys
import numpy as np
from musicxai.config import RunnerOptions
from musicxai.model.classifier import GenreClassifier
from musicxai.explain.engine import PerturbationEngine
from musicxai.model.features import clip_log_mel
from musicxai.explain.segmenters import SegmentationParams, segment_clip
from musicxai.explain.baseline import baseline_fill

classifier = GenreClassifier.load(sys.argv[1], options=RunnerOptions(backend="jax"))
rng = np.random.default_rng(1)
y = (0.2 * rng.normal(size=int(7.3 * 22050))).astype("float32")  # a partial last window too
S = clip_log_mel(y, classifier.features)
segmentation = segment_clip(y, S, baseline_fill(S), classifier.features, SegmentationParams("time_frequency"))
Z = rng.integers(0, 2, size=(40, segmentation.k)).astype(bool)
on_device = PerturbationEngine(classifier, segmentation, max_batch_windows=7)
on_host = PerturbationEngine(classifier, segmentation, max_batch_windows=7)
on_host._device_clip = None
first, again = on_device(Z), on_device(Z[:10])
print(json.dumps({"composes": [on_device.composes_on_device, on_host.composes_on_device],
                  "device": first.tolist(), "host": on_host(Z).tolist(), "again": again.tolist(),
                  "stats": [vars(on_device.stats), vars(on_host.stats)]}))
"""


@pytest.mark.slow
def test_windows_composed_on_the_device_match_the_host_engine():
    """The JAX path builds perturbed windows inside the jitted model call; same numbers, same memory."""
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run(
        [sys.executable, "-c", DEVICE_SCRIPT, str(DEMO)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["composes"] == [True, False]
    np.testing.assert_allclose(out["device"], out["host"], atol=1e-5)
    np.testing.assert_allclose(out["again"], out["device"][:10], atol=1e-7)
    device, host = out["stats"]
    assert device["windows_evaluated"] == host["windows_evaluated"]  # a repeat costs no new window
    assert device["model_calls"] == -(-device["windows_evaluated"] // 7)  # the memory cap holds on the device
    assert device["masks"] == 50 and host["masks"] == 40
