"""The same model.keras on TensorFlow (CPU default) and JAX (GPU workers) gives the same answers.

JAX's CPU build stands in for the GPU here; each backend runs in its own process because Keras
picks its backend once, at import.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "models" / "demo"
pytest.importorskip("jax")

SCRIPT = """
import json, sys
import numpy as np
from musicxai.classifier import GenreClassifier
from musicxai.engine import PerturbationEngine
from musicxai.explainers import explain_lime
from musicxai.features import clip_log_mel
from musicxai.segmentation import SegmentationParams, baseline_fill, segment_clip

classifier = GenreClassifier(sys.argv[1], backend=sys.argv[2])
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
print(json.dumps({"backend": classifier.runner.backend, "probabilities": prediction.probabilities.tolist(),
                  "windows": prediction.window_probabilities.tolist(), "weights": weights.tolist()}))
"""


def run(backend: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(DEMO), backend], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tensorflow_and_jax_backends_agree_on_the_demo_bundle():
    tf, jax = run("tensorflow"), run("jax")
    assert (tf["backend"], jax["backend"]) == ("tensorflow", "jax")
    np.testing.assert_allclose(jax["windows"], tf["windows"], atol=1e-4)
    np.testing.assert_allclose(jax["probabilities"], tf["probabilities"], atol=1e-4)
    assert np.argmax(jax["probabilities"]) == np.argmax(tf["probabilities"])
    np.testing.assert_allclose(jax["weights"], tf["weights"], atol=1e-4)
