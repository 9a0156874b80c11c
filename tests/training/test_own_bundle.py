"""Bring your own model: a Keras model built here becomes a bundle the service serves and explains;
a model that does not fit is refused, naming what to change."""

from __future__ import annotations

import anyio
import pytest

from cli.main import main
from musicxai.errors import BundleError, ParameterError
from musicxai.model.features import FeatureSettings
from tests.support.app import app_settings, serving
from tests.support.audio import wav_bytes

GENRES = ["calm", "busy", "bright"]
FEATURES = FeatureSettings(sample_rate=16000, n_mels=32)  # 3 s windows: 1 + 48000 // 512 = 94 frames


def small_model(path, *, n_mels: int = 32, frames: int = 94, outputs: int = 3, activation: str = "softmax"):
    import keras

    inputs = keras.Input((n_mels, frames, 1), name="log_mel")
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(outputs, activation=activation)(x), name="tiny_own")
    model.save(path)
    return path


@pytest.fixture(scope="module")
def eval_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    for g, genre in enumerate(GENRES):
        (root / genre).mkdir()
        for i in range(2):
            (root / genre / f"clip{i}.wav").write_bytes(wav_bytes(4.0, seed=3 * g + i, sr=16000))
        (root / genre / "notes.txt").write_text("not audio: skipped")
    return root


@pytest.mark.slow
def test_a_fitting_model_becomes_a_bundle_that_is_served_and_explained(tmp_path, eval_dir):
    from training.own_bundle import create_bundle

    model = small_model(tmp_path / "mine.keras")
    meta = create_bundle(model, tmp_path / "models" / "mine", genres=GENRES, features=FEATURES, eval_data=eval_dir)
    assert meta.architecture == "own: tiny_own" and meta.genres == GENRES
    assert meta.metrics.test.tracks == 6 and 0 <= meta.metrics.test.clip_accuracy <= 1
    assert sorted(meta.split.test_tracks) == sorted(f"{g}/clip{i}.wav" for g in GENRES for i in range(2))
    assert (tmp_path / "models" / "mine" / "evaluation" / "confusion_matrix.csv").is_file()

    async def serve() -> None:
        async with serving(app_settings(tmp_path / "models" / "mine", tmp_path / "var")) as api:
            files = {"file": ("clip.wav", wav_bytes(6.0, seed=1, sr=16000), "audio/wav")}
            answer = await api.client.post(
                "/v1/predictions", files=files, params={"explain": "shap", "num_samples": 30}
            )
            assert answer.status_code == 200, answer.text
            prediction = answer.json()
            assert set(prediction["probabilities"]) == set(GENRES)
            job = await api.finish(prediction["explanations"][0]["job_id"])
            assert job["status"] == "succeeded", job["error"]
            assert len(job["result"]["weights"][prediction["top"][0]]) == len(job["result"]["segments"])
            models = (await api.client.get("/v1/models")).json()["models"]
            assert models[0]["architecture"] == "own: tiny_own" and models[0]["metrics"]["tracks"] == 6

    anyio.run(serve)


@pytest.mark.parametrize(
    ("shape", "outputs", "activation", "message"),
    [
        ({"n_mels": 40}, 3, "softmax", "try --n-mels 40"),
        ({"frames": 130}, 3, "softmax", "try --window-frames 130"),
        ({"n_mels": 94, "frames": 32}, 3, "softmax", "time and mel axes are swapped"),
        ({}, 4, "softmax", "4 outputs but 3 genres"),
        ({}, 3, "linear", "not exclusive probabilities"),
    ],
)
def test_a_model_that_does_not_fit_is_refused_with_what_to_change(tmp_path, shape, outputs, activation, message):
    from training.own_bundle import create_bundle

    model = small_model(tmp_path / "bad.keras", outputs=outputs, activation=activation, **shape)
    with pytest.raises(BundleError, match=message):
        create_bundle(model, tmp_path / "out", genres=GENRES, features=FEATURES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.keras"]  # nothing half-made is left, no draft


def test_eval_data_must_be_folders_named_after_the_genres(tmp_path, eval_dir):
    from training.own_bundle import create_bundle, eval_tracks

    (tmp_path / "eval" / "jazz").mkdir(parents=True)
    with pytest.raises(ParameterError, match="not genres of the model: jazz"):
        eval_tracks(tmp_path / "eval", GENRES)
    model = small_model(tmp_path / "mine.keras")
    with pytest.raises(ParameterError, match="is not a folder"):
        create_bundle(model, tmp_path / "out", genres=GENRES, features=FEATURES, eval_data=tmp_path / "missing")


def test_the_command_writes_a_bundle_or_says_what_does_not_fit(tmp_path, capsys):
    model = small_model(tmp_path / "mine.keras")
    common = ["bundle", "create", "--model", str(model), "--genres", ",".join(GENRES), "--sample-rate", "16000"]
    assert main([*common, "--n-mels", "32", "--out", str(tmp_path / "ok")]) == 0
    assert "not evaluated" in capsys.readouterr().out
    assert (tmp_path / "ok" / "bundle.json").is_file()
    assert main([*common, "--out", str(tmp_path / "wrong")]) == 2  # 128 mel bands by default
    assert "try --n-mels 32" in capsys.readouterr().err
    assert main([*common, "--n-mels", "32", "--fmax", "9000", "--out", str(tmp_path / "fmax")]) == 2
    assert "fmax" in capsys.readouterr().err
