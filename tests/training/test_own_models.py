"""Models made elsewhere wrapped by ``bundle create``: ONNX files, Hugging Face export folders and Python
callables become bundles with what they declare; each way one cannot be served is refused before
anything is written, naming the fix."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli.main import main
from musicxai.errors import BundleError, ParameterError
from musicxai.model.bundle import read_bundle_meta
from musicxai.model.classifier import GenreClassifier
from musicxai.model.inputs import Filterbank, Waveform
from musicxai.model.outputs import Output
from tests.support.models import (
    LABELS,
    band_clip,
    custom_op_model,
    optimum_folder,
    outside_weights_model,
    waveform_model,
)
from training.hf_export import read_export
from training.own_bundle import create_bundle

pytestmark = pytest.mark.slow


def _nothing_left(folder, *keep):
    assert sorted(p.name for p in folder.iterdir()) == sorted(keep)  # no bundle, no draft


def test_an_optimum_folder_is_read_into_labels_input_and_output(tmp_path):
    wave = read_export(optimum_folder(tmp_path / "wave"))
    assert wave.labels == LABELS and wave.model_input == Waveform(sample_rate=16000, normalize=True)
    assert wave.output == Output(kind="exclusive", activation="softmax")
    ast = read_export(optimum_folder(tmp_path / "ast", kind="fbank", multi_label=True))
    assert isinstance(ast.model_input, Filterbank) and ast.model_input.frames == 300
    assert (ast.model_input.mean, ast.model_input.scale, ast.model_input.chunk_seconds) == (-4.2677393, 2.0, 3.0)
    assert ast.output == Output(kind="tags", activation="sigmoid")


def test_the_command_wraps_an_export_folder_and_an_onnx_file(tmp_path, capsys):
    folder = optimum_folder(tmp_path / "export")
    assert main(["bundle", "create", "--hf-dir", str(folder), "--out", str(tmp_path / "hf")]) == 0
    meta = read_bundle_meta(tmp_path / "hf")
    assert meta.runtime.kind == "onnx" and meta.genres == LABELS and meta.provenance["model_type"] == "hubert"
    onnx_file = waveform_model(tmp_path / "bands.onnx")
    common = ["bundle", "create", "--onnx", str(onnx_file), "--labels", ",".join(LABELS), "--input", "waveform"]
    assert main([*common, "--out", str(tmp_path / "logits")]) == 2  # logits without their activation
    assert "--activation softmax" in capsys.readouterr().err
    assert main([*common, "--activation", "softmax", "--chunk-seconds", "2", "--out", str(tmp_path / "ok")]) == 0
    classifier = GenreClassifier.load(tmp_path / "ok")
    prediction = classifier.classify(band_clip(6.0, loud=0))
    assert prediction.top(1) == ["low"] and prediction.window_probabilities.shape == (3, 3)


def test_sigmoid_tags_declared_exclusive_are_refused(tmp_path):
    model = waveform_model(tmp_path / "tags.onnx", logits=False)
    with pytest.raises(BundleError, match="--output tags"):
        create_bundle(model, tmp_path / "out", genres=LABELS, model_input=Waveform())
    _nothing_left(tmp_path, "tags.onnx")


def test_a_model_fed_the_wrong_input_is_refused_naming_the_input_flags(tmp_path):
    model = waveform_model(tmp_path / "wave.onnx")
    with pytest.raises(BundleError, match="--input waveform"):
        create_bundle(
            model, tmp_path / "out", genres=LABELS, model_input=Filterbank(), output=Output(activation="softmax")
        )
    _nothing_left(tmp_path, "wave.onnx")


@pytest.mark.parametrize(
    ("build", "message"),
    [(custom_op_model, "custom operators"), (outside_weights_model, "outside its folder")],
)
def test_unservable_onnx_graphs_are_refused(tmp_path, build, message):
    model = build(tmp_path / "model.onnx")
    with pytest.raises(BundleError, match=message):
        create_bundle(model, tmp_path / "out", genres=LABELS, model_input=Waveform())
    _nothing_left(tmp_path, "model.onnx")


def test_a_keras_file_that_needs_unsafe_deserialisation_is_refused(tmp_path):
    import keras

    inputs = keras.Input((32, 94, 1))
    outputs = keras.layers.Lambda(lambda x: keras.ops.mean(x, axis=(1, 2)))(inputs)  # code inside the file
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(outputs)).save(path)
    with pytest.raises(BundleError, match=r"safe_mode=False.*--onnx"):
        create_bundle(path, tmp_path / "out", genres=LABELS)
    _nothing_left(tmp_path, "lambda.keras")


def test_a_callable_that_cannot_be_imported_and_an_unknown_extractor_are_refused(tmp_path):
    with pytest.raises(BundleError, match="install its package"):
        create_bundle("no_such_package.models:predict", tmp_path / "out", genres=LABELS, model_input=Waveform())
    folder = optimum_folder(tmp_path / "whisper")
    config = folder / "preprocessor_config.json"
    config.write_text(
        json.dumps({**json.loads(config.read_text()), "feature_extractor_type": "WhisperFeatureExtractor"})
    )
    with pytest.raises(ParameterError, match="'WhisperFeatureExtractor' is not reproduced"):
        read_export(folder)


def test_kaldi_fbank_has_the_shape_and_level_ast_expects():
    from musicxai.model.inputs import kaldi_fbank

    tone = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000).astype(np.float32)
    fbank = kaldi_fbank(tone, 16000, 128)
    assert fbank.shape == (98, 128)  # 1 + (16000 - 400) // 160 frames, torchaudio's count
    peak_bin = int(fbank.mean(axis=0).argmax())
    mel = lambda f: 1127 * np.log(1 + f / 700)  # noqa: E731
    centre = mel(20) + (peak_bin + 1) * (mel(8000) - mel(20)) / 129
    assert 700 * (np.exp(centre / 1127) - 1) == pytest.approx(1000, rel=0.05)


def test_the_check_command_stores_the_sanity_checks_in_the_bundle(tmp_path, capsys):
    import soundfile as sf

    from tests.support.models import RATE

    folder = optimum_folder(tmp_path / "export")
    assert main(["bundle", "create", "--hf-dir", str(folder), "--out", str(tmp_path / "hf"),
                 "--explanation-defaults", '{"segment_seconds": 1.0, "n_bands": 4}']) == 0  # fmt: skip
    clip = tmp_path / "loud-high.wav"
    sf.write(clip, band_clip(4.0, loud=2), RATE)
    assert main(["bundle", "check", str(tmp_path / "hf"), "--clips", str(clip), "--steps", "2"]) == 0
    printed = capsys.readouterr().out
    assert "lime: ρ as layers are randomised top down" in printed and "shap:" in printed
    checks = read_bundle_meta(tmp_path / "hf").sanity_checks
    assert checks["clips"] == ["loud-high.wav"] and set(checks["methods"]) == {"lime", "shap"}
    assert [s["layers"] for s in checks["methods"]["lime"]["randomisation"]] == [1, 2]
