"""A real Hugging Face architecture, served: torch's outputs against the service's, through --hf-dir.

A ``HubertForSequenceClassification`` with DistilHuBERT's shapes (2 transformer layers) and random
weights is built from its config (no download) in a throw-away environment with torch and
transformers, exported with ``torch.onnx.export`` beside the ``config.json`` and
``preprocessor_config.json`` an Optimum export writes, then wrapped with ``bundle create --hf-dir``,
served and explained here, where torch is not installed. Three steps, two environments:

    .venv/bin/python benchmarks/hf_parity.py prepare --dir /tmp/hf        # our decoder: the clip at 16 kHz
    /tmp/hfenv/bin/python benchmarks/hf_parity.py export --dir /tmp/hf    # torch + transformers
    .venv/bin/python benchmarks/hf_parity.py check --dir /tmp/hf          # bundle, serve, explain, compare

The throw-away environment is ``python -m venv /tmp/hfenv`` with torch (its wheel only: no CUDA
packages), transformers, onnx and onnxscript.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "tests" / "fixtures" / "music-tuxi.flac"
GENRES = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]


def prepare(folder: Path) -> None:
    from musicxai.audio.decode import load_audio

    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "clip.npy", load_audio(CLIP, sr=16000).samples)


def export(folder: Path) -> None:
    import torch
    import transformers
    from transformers import HubertConfig, HubertForSequenceClassification, Wav2Vec2FeatureExtractor

    torch.manual_seed(0)
    config = HubertConfig(num_hidden_layers=2, num_labels=len(GENRES), id2label=dict(enumerate(GENRES)),
                          label2id={g: i for i, g in enumerate(GENRES)}, classifier_proj_size=256)  # fmt: skip
    model = HubertForSequenceClassification(config).eval()
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, do_normalize=True, padding_value=0.0)
    out = folder / "export"
    out.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(out)
    extractor.save_pretrained(out)
    example = torch.zeros(1, 16000)
    torch.onnx.export(model, (example,), out / "model.onnx", input_names=["input_values"], output_names=["logits"],
                      dynamic_axes={"input_values": {0: "batch", 1: "samples"}, "logits": {0: "batch"}},
                      opset_version=17, dynamo=False)  # fmt: skip
    clip = np.load(folder / "clip.npy")
    inputs = extractor(clip, sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        logits = model(inputs["input_values"]).logits[0].numpy()
    (folder / "torch.json").write_text(json.dumps({
        "logits": logits.tolist(), "torch": torch.__version__, "transformers": transformers.__version__,
        "parameters": int(sum(p.numel() for p in model.parameters())),
    }))  # fmt: skip


def check(folder: Path, out: Path) -> None:
    from musicxai.audio.decode import DecodedAudio
    from musicxai.explain.params import ExplanationParams
    from musicxai.explain.pipeline import run_explanation
    from musicxai.model.classifier import GenreClassifier
    from training.hf_export import read_export
    from training.own_bundle import create_bundle

    torch_side = json.loads((folder / "torch.json").read_text())
    export = read_export(folder / "export")
    bundle = folder / "models" / "hubert-random"
    if not bundle.exists():
        create_bundle(export.model, bundle, genres=export.labels, model_input=export.model_input,
                      output=export.output, provenance=export.provenance)  # fmt: skip
    classifier = GenreClassifier.load(bundle)
    clip = np.load(folder / "clip.npy")
    t0 = time.perf_counter()
    served = classifier.classify(clip).probabilities
    predict_s = time.perf_counter() - t0
    logits = np.asarray(torch_side["logits"])
    want = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    params = ExplanationParams(n_bands=4, segment_seconds=2.0, faithfulness_points=10, random_orders=2)
    t0 = time.perf_counter()
    result = run_explanation(classifier, DecodedAudio(clip, 16000, len(clip) / 16000), params).result
    explain_s = time.perf_counter() - t0
    report = {
        "benchmark": "hf_parity",
        "model": "HubertForSequenceClassification, DistilHuBERT shapes (2 layers), random weights",
        "torch": torch_side["torch"],
        "transformers": torch_side["transformers"],
        "parameters": torch_side["parameters"],
        "clip": f"{CLIP.name}, {len(clip) / 16000:.1f} s at 16 kHz",
        "input": export.model_input.model_dump(),
        "max_abs_probability_difference": float(np.abs(served - want).max()),
        "same_top": bool(served.argmax() == want.argmax()),
        "predict_s": round(predict_s, 3),
        "explanation": {"params": params.model_dump(mode="json"), "seconds": round(explain_s, 1),
                        "segments": len(result.segments), "explained": result.explained_genres[0],
                        "deletion_auc": round(result.faithfulness[result.explained_genres[0]].deletion_auc, 4)},
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
    }  # fmt: skip
    print(json.dumps(report, indent=2))
    out.write_text(json.dumps(report, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("prepare", "export", "check"))
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "hf_parity.json")
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.dir)
    elif args.step == "export":
        export(args.dir)
    else:
        check(args.dir, args.out)


if __name__ == "__main__":
    main()
