"""Record musicnn's ORIGINAL TF-1 graph outputs on fixed inputs: the parity fixture for our Keras conversion.

The converted ``models/pretrained/<name>/backbone.keras`` must tag exactly like the authors' graph. This
script builds that graph with the package's own ``musicnn.models.define_model`` under ``tf.compat.v1``
(placeholder, name scope and ``Saver.restore`` as in ``musicnn.extractor.extractor``), feeds it a fixed
float32 batch of log-mel patches made by ``training.pretrained.musicnn_input`` from seeded synthetic
signals, and stores inputs and outputs in ``tests/fixtures/musicnn_parity.npz``. The batch bypasses the
package's own preprocessing on purpose: it casts to float16 and overflows to ``inf`` on loud bins, so both
graphs get the same float32 batch instead.

The TF-1 layers need ``tf-keras`` and ``TF_USE_LEGACY_KERAS=1``, which the project venv must not carry,
so run this in a throw-away virtualenv (from the repository root)::

    python3.11 -m venv /tmp/musicnn-ref-venv
    /tmp/musicnn-ref-venv/bin/pip install "tensorflow-cpu==2.21.*" "tf-keras==2.21.*" "librosa==0.11.*"
    /tmp/musicnn-ref-venv/bin/pip install --no-deps musicnn==0.1.0
    TF_USE_LEGACY_KERAS=1 /tmp/musicnn-ref-venv/bin/python scripts/musicnn_reference.py

then check the conversion with ``.venv/bin/python -m pytest tests/training/test_pretrained.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # before TensorFlow loads: the TF-1 layers need tf-keras
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for training.pretrained

from training.pretrained import CHECKPOINTS, N_FRAMES, N_MELS, SR, locate_checkpoint, musicnn_input, package_tags

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "musicnn_parity.npz"
SECONDS = 3.0  # 48 000 samples -> 188 frames -> exactly one 187-frame patch per signal
FLOAT16_LIMIT = np.log10(np.float32(65504.0))  # log-mel above this is inf in the package's float16 path


def _chord(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """A loud sustained A-major triad with harmonics: tonal content, and bins that overflow float16."""
    y = np.zeros_like(t)
    for f0 in (220.0, 277.18, 329.63):
        for k in (1, 2, 3, 4):
            y += np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi)) / k
    return 0.9 * y / np.abs(y).max()


def _noise_bursts(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """White-noise bursts of 120 ms every 400 ms: broadband, strongly time-varying."""
    gate = (t % 0.4) < 0.12
    return 0.5 * rng.normal(0, 1, t.size) * gate * np.exp(-((t % 0.4) / 0.05))


def _drums(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """A 120 BPM kick (pitch-dropping sine) with off-beat hi-hat clicks: percussive, low and high bands."""
    beat = t % 0.5
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-beat / 0.03)) * beat) * np.exp(-beat / 0.12)
    off = (t + 0.25) % 0.5
    hat = rng.normal(0, 1, t.size) * np.exp(-off / 0.01)
    return 0.8 * kick + 0.2 * hat


def _mix(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """A quieter song-like mix of the three, so not every patch sits at full scale."""
    return 0.3 * _chord(rng, t) + 0.3 * _drums(rng, t) + 0.2 * _noise_bursts(rng, t) + 0.01 * rng.normal(0, 1, t.size)


SIGNALS = {"chord": _chord, "noise_bursts": _noise_bursts, "drums": _drums, "mix": _mix}


def make_inputs(seed: int = 2019) -> tuple[list[str], np.ndarray]:
    """One 187x96 float32 patch per seeded signal, made by the project's own preprocessing."""
    t = np.arange(int(SECONDS * SR)) / SR
    names, patches = [], []
    for i, (name, make) in enumerate(SIGNALS.items()):
        y = make(np.random.default_rng(seed + i), t).astype(np.float32)
        patch = musicnn_input(y)
        assert patch.shape == (1, N_FRAMES, N_MELS), patch.shape
        names.append(name)
        patches.append(patch[0])
    return names, np.stack(patches).astype(np.float32)


def reference_outputs(name: str, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tag probabilities and flattened pool5 features of the package's own graph for checkpoint ``name``."""
    import tensorflow as tf
    from musicnn import models

    graph = tf.Graph()
    with graph.as_default(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`tf\.layers\.", category=UserWarning)  # TF-1 API on purpose
        with tf.name_scope("model"):
            x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, N_MELS])
            is_training = tf.compat.v1.placeholder(tf.bool)
            logits, *_, pool5 = models.define_model(x, is_training, name, len(package_tags(name)))
            probabilities = tf.nn.sigmoid(logits)
        with tf.compat.v1.Session(graph=graph) as sess:
            tf.compat.v1.train.Saver().restore(sess, str(locate_checkpoint(name)) + "/")
            tags, features = sess.run([probabilities, pool5], feed_dict={x: batch, is_training: False})
    return tags.astype(np.float32), features.reshape(len(batch), -1).astype(np.float32)


def _versions() -> dict[str, str]:
    out = {}
    for package in ("musicnn", "tensorflow", "tensorflow-cpu", "tf-keras", "librosa", "numpy"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args(argv)
    if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        parser.error("TF_USE_LEGACY_KERAS=1 is required (with tf-keras installed) to run the TF-1 graph")
    try:
        metadata.version("tf-keras")
    except metadata.PackageNotFoundError:
        parser.error("tf-keras is not installed here; run this in the reference virtualenv (see the docstring)")

    names, batch = make_inputs(args.seed)
    arrays: dict[str, np.ndarray] = {"inputs": batch, "signal_names": np.array(names)}
    for name in CHECKPOINTS:
        tags, features = reference_outputs(name, batch)
        arrays[f"{name}_tags"] = tags
        arrays[f"{name}_flatten"] = features
        print(
            f"{name}: tags {tags.shape}, flatten {features.shape}, top tag per patch "
            f"{[package_tags(name)[i] for i in tags.argmax(axis=1)]}"
        )
    overflow = (batch > FLOAT16_LIMIT).sum(axis=(1, 2))
    arrays["float16_overflow_bins"] = overflow.astype(np.int32)
    arrays["provenance"] = np.array(json.dumps({"seed": args.seed, "seconds_per_signal": SECONDS, **_versions()}))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes); bins that would be inf in float16: {overflow.tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
