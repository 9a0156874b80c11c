"""A costly whole-clip model explained in bounded time: a DistilHuBERT-sized waveform model, side by side
with a 1 000-sample plain LIME on the same clip.

The model is built here with DistilHuBERT's published shapes (a 7-layer convolutional feature
encoder of 512 channels, a 768-wide projection, a grouped positional convolution, 2 transformer
layers of 12 heads; ~23.7 M parameters) and random weights (no download), exported to ONNX and
wrapped as any Hugging Face export is: a waveform at 16 kHz, normalised per clip, fed whole. What
is measured is the cost of explaining it and how faithful a cheap default is next to the plain
1 000-sample LIME, not what it has learned (nothing):

- the occlusion preview, the bundle-default explanation (paired masks in rounds until the ranking holds,
  under a budget of model seconds), and the 1 000-sample whole-clip LIME, seconds;
- the deletion AUC of each ranking on the same curves, and its Kendall tau with the 1 000-sample one;
- an unpaired LIME of as many samples as the default used, to see what pairing adds at equal cost.

    python benchmarks/whole_clip_model.py [--seconds 30] [--reference-samples 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from musicxai.audio.decode import DecodedAudio, load_audio
from musicxai.explain.faithfulness import deletion_insertion
from musicxai.explain.methods import attribute
from musicxai.explain.occlusion import occlusion_preview
from musicxai.explain.params import ExplanationParams
from musicxai.explain.pipeline import build_engine, run_explanation
from musicxai.explain.stability import rank_correlation
from musicxai.model.classifier import GenreClassifier
from musicxai.model.inputs import Waveform
from musicxai.model.outputs import Output
from training.gtzan import GTZAN_GENRES
from training.own_bundle import create_bundle

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "tests" / "fixtures" / "music-tuxi.flac"
# a whole-clip model pays one forward pass per mask: coarse segments, few samples, short curves
DEFAULTS = {
    "n_bands": 4,
    "segment_seconds": 3.0,
    "num_samples": 96,
    "paired": True,
    "stop_when_stable": 0.9,
    "faithfulness_points": 10,
    "random_orders": 2,
    "max_model_seconds": 90,
}
CONV_LAYERS = [(10, 5)] + [(3, 2)] * 4 + [(2, 2)] * 2  # (kernel, stride): 320x down to 50 frames a second


def build_model(seed: int = 0):
    """DistilHuBERT's shapes in Keras (GELU through erf and the grouped convolution split by hand, so the
    ONNX export runs on ONNX Runtime)."""
    import keras
    from keras import layers, ops

    keras.utils.set_random_seed(seed)

    def gelu(x):
        return 0.5 * x * (1.0 + ops.erf(x * 0.7071067811865476))  # a Python float keeps float32

    @keras.saving.register_keras_serializable(package="bench")
    class ChannelNorm(layers.Layer):  # GroupNorm with one group per channel: normalised over time
        def build(self, shape):
            self.gamma = self.add_weight(shape=(shape[-1],), initializer="ones")
            self.beta = self.add_weight(shape=(shape[-1],), initializer="zeros")

        def call(self, x):
            mean = ops.mean(x, axis=1, keepdims=True)
            var = ops.mean(ops.square(x - mean), axis=1, keepdims=True)
            return (x - mean) / ops.sqrt(var + 1e-5) * self.gamma + self.beta

    wave = keras.Input((None,), name="input_values")
    x = layers.Reshape((-1, 1))(wave)
    for i, (kernel, stride) in enumerate(CONV_LAYERS):
        x = layers.Conv1D(512, kernel, strides=stride, use_bias=False)(x)
        x = gelu(ChannelNorm()(x) if i == 0 else x)
    x = layers.Dense(768)(layers.LayerNormalization()(x))
    groups = [layers.Conv1D(48, 128, padding="same")(x[..., 48 * g : 48 * (g + 1)]) for g in range(16)]
    x = layers.LayerNormalization()(x + gelu(layers.Concatenate()(groups)))
    for _ in range(2):
        x = layers.LayerNormalization()(x + layers.MultiHeadAttention(12, 64)(x, x))
        x = layers.LayerNormalization()(x + layers.Dense(768)(gelu(layers.Dense(3072)(x))))
    x = layers.Dense(256)(ops.mean(x, axis=1))
    return keras.Model(wave, layers.Dense(len(GTZAN_GENRES), name="logits")(x), name="distilhubert_shaped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--reference-samples", type=int, default=1000)
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "whole_clip_model.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="whole-clip-"))
    model = build_model()
    model(np.zeros((1, 16000), dtype=np.float32))
    model.export(str(work / "model.onnx"), format="onnx", verbose=False)
    create_bundle(work / "model.onnx", work / "models" / "distilhubert-shaped", genres=list(GTZAN_GENRES),
                  model_input=Waveform(sample_rate=16000, normalize=True), output=Output(activation="softmax"),
                  explanation_defaults=DEFAULTS, provenance={"weights": "random: a cost benchmark"})  # fmt: skip
    classifier = GenreClassifier.load(work / "models" / "distilhubert-shaped")
    classifier.warm_up()
    once = load_audio(args.clip, sr=16000).samples
    samples = np.tile(once, int(np.ceil(args.seconds * 16000 / len(once))))[: int(args.seconds * 16000)]
    audio = DecodedAudio(samples, 16000, args.seconds)
    t0 = time.perf_counter()
    for _ in range(3):
        classifier.classify(samples)
    forward_s = (time.perf_counter() - t0) / 3
    params = ExplanationParams().with_defaults(DEFAULTS)
    t0 = time.perf_counter()
    occlusion_preview(classifier, audio, params)
    preview_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    default = run_explanation(classifier, audio, params).result
    default_s = time.perf_counter() - t0
    target = classifier.genres.index(default.explained_genres[0])
    # the plain recipe on the same segments: one whole-clip game of reference_samples masks
    engine = build_engine(classifier, audio, params.engine_spec())
    t0 = time.perf_counter()
    plain = attribute(params.method, engine, [target], num_samples=args.reference_samples, seed=0, games="clip")
    plain_s = time.perf_counter() - t0
    used = default.sampling.samples_per_game
    unpaired = attribute(params.method, engine, [target], num_samples=used, seed=1, games="clip")
    rankings = {
        "default": np.asarray(default.weights[classifier.genres[target]]),
        "unpaired": unpaired.weights[target],
        "plain": plain.weights[target],
    }
    curves = {
        name: deletion_insertion(engine, weights, target, n_random=2, max_points=params.faithfulness_points)
        for name, weights in rankings.items()
    }
    tau = {name: round(rank_correlation(weights, rankings["plain"]), 4) for name, weights in rankings.items()}
    report = {
        "benchmark": "whole_clip_model",
        "model": "DistilHuBERT-shaped, random weights, ONNX Runtime",
        "parameters": int(model.count_params()),
        "clip": f"{args.clip.name} looped to {args.seconds:g} s",
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "load_average_end": round(os.getloadavg()[0], 2),
        "forward_s": round(forward_s, 3),
        "segments": len(default.segments),
        "preview_s": round(preview_s, 1),
        "default": {"params": params.model_dump(mode="json"), "seconds": round(default_s, 1),
                    "model_calls": default.model_calls, "pieces_evaluated": default.engine.windows_evaluated,
                    "sampling": default.sampling.model_dump(), "budget": default.budget.model_dump(),
                    "deletion_auc": round(curves["default"].deletion_auc, 4), "kendall_tau_vs_plain": tau["default"]},
        "unpaired_same_samples": {"samples": used, "deletion_auc": round(curves["unpaired"].deletion_auc, 4),
                                  "kendall_tau_vs_plain": tau["unpaired"]},
        "plain_lime": {"samples": args.reference_samples, "seconds": round(plain_s, 1),
                       "deletion_auc": round(curves["plain"].deletion_auc, 4)},
        "random_deletion_auc": round(curves["plain"].random_deletion_auc, 4),
        "runs": 1,
    }  # fmt: skip
    print(json.dumps(report, indent=2))
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
