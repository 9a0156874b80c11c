"""What a Hugging Face Optimum export folder declares: its labels, its input's preprocessing, its output kind.

``optimum-cli export onnx --task audio-classification`` writes ``model.onnx`` beside the model's
``config.json`` (``id2label``, ``problem_type``) and ``preprocessor_config.json`` (the feature
extractor and its settings). The preprocessing is outside the graph, so it is read here and
reproduced by :mod:`musicxai.model.inputs`; an extractor it cannot reproduce is refused by name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from musicxai.errors import ParameterError
from musicxai.model.inputs import Filterbank, ModelInput, Waveform
from musicxai.model.outputs import Output

MODEL_FILE = "model.onnx"
WAVEFORM_EXTRACTORS = ("Wav2Vec2FeatureExtractor",)  # HuBERT, DistilHuBERT, wav2vec2, WavLM share it
AST_EXTRACTOR = "ASTFeatureExtractor"
AST_FRAME_SECONDS = 0.01  # Kaldi's 10 ms shift


@dataclass(frozen=True)
class HfExport:
    model: Path
    labels: list[str]
    model_input: ModelInput
    output: Output
    provenance: dict


def read_export(folder: Path, *, chunk_seconds: float | None = None, max_seconds: float | None = None) -> HfExport:
    """The bundle's declarations from an Optimum export folder.

    chunk_seconds : waveform models are fed whole clips unless given; AST takes its own 10.24 s.
    """
    folder = Path(folder)
    files = {name: folder / name for name in (MODEL_FILE, "config.json", "preprocessor_config.json")}
    missing = [name for name, path in files.items() if not path.is_file()]
    if missing:
        raise ParameterError(
            f"{folder} lacks {missing}: export with optimum-cli export onnx --task audio-classification"
        )
    config = json.loads(files["config.json"].read_text())
    extractor = json.loads(files["preprocessor_config.json"].read_text())
    id2label = config.get("id2label") or {}
    labels = [id2label[k] for k in sorted(id2label, key=int)]
    if not labels:
        raise ParameterError(f"{files['config.json']} names no labels (id2label)")
    kind = extractor.get("feature_extractor_type")
    rate = int(extractor.get("sampling_rate", 16000))
    if kind in WAVEFORM_EXTRACTORS:
        model_input: ModelInput = Waveform(
            sample_rate=rate,
            normalize=bool(extractor.get("do_normalize", False)),
            chunk_seconds=chunk_seconds,
            max_seconds=max_seconds,
        )
    elif kind == AST_EXTRACTOR:
        frames = int(extractor.get("max_length", 1024))
        normalise = bool(extractor.get("do_normalize", True))
        model_input = Filterbank(
            sample_rate=rate,
            extractor="kaldi",
            n_mels=int(extractor.get("num_mel_bins", 128)),
            frames=frames,
            mean=float(extractor.get("mean", 0.0)) if normalise else 0.0,
            std=float(extractor.get("std", 0.5)) if normalise else 1.0,
            scale=2.0 if normalise else 1.0,
            chunk_seconds=chunk_seconds or frames * AST_FRAME_SECONDS,
            max_seconds=max_seconds,
        )
    else:
        raise ParameterError(
            f"feature extractor {kind!r} is not reproduced here (waveform: {', '.join(WAVEFORM_EXTRACTORS)}; "
            f"filterbank: {AST_EXTRACTOR}); wrap the model with --onnx and declare its --input by hand"
        )
    multi = config.get("problem_type") == "multi_label_classification"
    output = Output(kind="tags", activation="sigmoid") if multi else Output(kind="exclusive", activation="softmax")
    provenance = {
        "source": "Hugging Face export",
        "architectures": config.get("architectures"),
        "model_type": config.get("model_type"),
        "name_or_path": config.get("_name_or_path"),
        "feature_extractor": kind,
    }
    return HfExport(files[MODEL_FILE], labels, model_input, output, provenance)
