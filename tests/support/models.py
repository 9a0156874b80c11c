"""Small models made elsewhere, built inside the tests (no downloads, no torch): ONNX graphs written with
onnx's helper API, a Hugging Face export folder around one, and a clip whose right answer is known.

Each model hears three frequency bands (LOW, MID, HIGH) and answers the band that holds most power,
so an explanation of a clip with one loud band can be checked against where that band sits.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BANDS_HZ = (300.0, 1200.0, 4000.0)
LABELS = ["low", "mid", "high"]
RATE = 16000
SLOPE = 4.0  # logits per neper of band power: confident, never saturated
OPSET = [helper.make_opsetid("", 17)]
KERNEL, STRIDE = 256, 128


def _save(graph, path: Path, *, opset=OPSET) -> Path:
    model = helper.make_model(graph, opset_imports=opset)
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _const(name: str, value: np.ndarray):
    return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)


def waveform_model(path: Path, *, logits: bool = True) -> Path:
    """(batch, samples) at 16 kHz, both axes free -> 3 outputs: SLOPE × log band power (logits), or
    with ``logits=False`` the same through a sigmoid inside the graph (independent tags)."""
    t = np.arange(KERNEL) / RATE
    window = np.hanning(KERNEL)
    filters = np.concatenate(
        [[np.cos(2 * np.pi * f * t) * window, np.sin(2 * np.pi * f * t) * window] for f in BANDS_HZ]
    )
    pairs = np.kron(np.eye(3), np.ones((2, 1)))  # (6, 3): cos² + sin² of each band
    nodes = [
        helper.make_node("Unsqueeze", ["input_values", "axis1"], ["x3"]),
        helper.make_node("Conv", ["x3", "filters"], ["bands"], strides=[STRIDE]),
        helper.make_node("Mul", ["bands", "bands"], ["power"]),
        helper.make_node("ReduceMean", ["power"], ["mean_power"], axes=[2], keepdims=0),
        helper.make_node("MatMul", ["mean_power", "pairs"], ["band_power"]),
        helper.make_node("Add", ["band_power", "eps"], ["floored"]),
        helper.make_node("Log", ["floored"], ["log_power"]),
        helper.make_node("Mul", ["log_power", "slope"], ["scores"]),
        helper.make_node("Identity" if logits else "Sigmoid", ["scores"], ["logits"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        _const("filters", filters[:, None, :]),
        _const("pairs", pairs),
        _const("eps", 1e-6),
        _const("slope", SLOPE if logits else SLOPE / 4),
    ]
    graph = helper.make_graph(
        nodes,
        "bands",
        [helper.make_tensor_value_info("input_values", TensorProto.FLOAT, ["batch", "samples"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])],
        inits,
    )
    return _save(graph, path)


def filterbank_model(path: Path, *, n_mels: int = 64, frames: int = 300) -> Path:
    """AST-shaped: (batch, frames, n_mels) standardised Kaldi fbank -> 3 logits from the mean level of
    the bins nearest each band (Kaldi's mel scale from 20 Hz to Nyquist)."""
    from musicxai.model.inputs import kaldi_mel_banks

    banks = kaldi_mel_banks(n_mels, 257, RATE, n_fft=512)
    centres = (banks * np.arange(257)[None, :]).sum(1) / banks.sum(1) * RATE / 512
    weights = np.zeros((n_mels, 3))
    for j, f in enumerate(BANDS_HZ):
        near = np.argsort(np.abs(centres - f))[:2]
        weights[near, j] = SLOPE / 2
    nodes = [
        helper.make_node("ReduceMean", ["input_values"], ["level"], axes=[1], keepdims=0),
        helper.make_node("MatMul", ["level", "weights"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "fbank",
        [helper.make_tensor_value_info("input_values", TensorProto.FLOAT, ["batch", frames, n_mels])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])],
        [_const("weights", weights)],
    )
    return _save(graph, path)


def custom_op_model(path: Path) -> Path:
    """A graph with an operator from a domain ONNX Runtime does not know."""
    node = helper.make_node("Magic", ["input_values"], ["logits"], domain="com.example")
    graph = helper.make_graph(
        [node],
        "custom",
        [helper.make_tensor_value_info("input_values", TensorProto.FLOAT, ["batch", "samples"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])],
    )
    model = helper.make_model(graph, opset_imports=[*OPSET, helper.make_opsetid("com.example", 1)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def outside_weights_model(path: Path) -> Path:
    """The waveform model with its filters moved to an external file named outside its folder."""
    from onnx.external_data_helper import set_external_data

    model = onnx.load(str(waveform_model(path)))
    tensor = next(t for t in model.graph.initializer if t.name == "filters")
    set_external_data(tensor, location="../shared-weights.bin")
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    onnx.save(model, str(path))
    return path


def optimum_folder(folder: Path, *, kind: str = "waveform", multi_label: bool = False) -> Path:
    """What ``optimum-cli export onnx --task audio-classification`` writes: model.onnx and its two JSON files."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["HubertForSequenceClassification" if kind == "waveform" else "ASTForAudioClassification"],
        "model_type": "hubert" if kind == "waveform" else "audio-spectrogram-transformer",
        "id2label": {str(i): label for i, label in enumerate(LABELS)},
        "label2id": {label: i for i, label in enumerate(LABELS)},
    }
    if multi_label:
        config["problem_type"] = "multi_label_classification"
    if kind == "waveform":
        waveform_model(folder / "model.onnx")
        extractor = {"feature_extractor_type": "Wav2Vec2FeatureExtractor", "sampling_rate": RATE,
                     "do_normalize": True, "padding_value": 0.0, "feature_size": 1}  # fmt: skip
    else:
        filterbank_model(folder / "model.onnx")
        extractor = {"feature_extractor_type": "ASTFeatureExtractor", "sampling_rate": RATE, "num_mel_bins": 64,
                     "max_length": 300, "do_normalize": True, "mean": -4.2677393, "std": 4.5689974}  # fmt: skip
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "preprocessor_config.json").write_text(json.dumps(extractor))
    return folder


def band_clip(seconds: float = 6.0, *, loud: int = 1, rate: int = RATE, seed: int = 0) -> np.ndarray:
    """Three tones, the band ``loud`` 20 dB above the others in the clip's second half and quiet in its first:
    the model's answer rests on the second half of one band."""
    t = np.arange(int(seconds * rate)) / rate
    half = t >= seconds / 2
    y = sum(0.03 * np.sin(2 * np.pi * f * t) for f in BANDS_HZ)
    y = y + 0.3 * half * np.sin(2 * np.pi * BANDS_HZ[loud] * t)
    y = y + 0.002 * np.random.default_rng(seed).standard_normal(len(t))
    return y.astype(np.float32)
