"""Convert musicnn's pre-trained VGG taggers (TF-1 checkpoints) into self-contained Keras 3 models.

The ``musicnn`` 0.1.0 wheel (Pons & Serra, 2019, ISC licence) carries networks trained on real
music: the Million Song Dataset (``MSD_vgg``) and MagnaTagATune (``MTT_vgg``). Its code needs
TensorFlow 1 and ``numpy<1.17``, so we only read its files: the checkpoint variables are copied
into a Keras rebuild of the same graph, saved with the tag names, licence and provenance. Serving
and CI then load ``backbone.keras`` and never need the wheel.

Install the wheel without its pins (they would downgrade numpy and TensorFlow)::

    .venv/bin/pip install --no-deps musicnn==0.1.0
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import re
from importlib import metadata
from pathlib import Path

import keras
import librosa
import numpy as np
from keras import layers

from musicxai.errors import MusicXAIError, ParameterError

log = logging.getLogger(__name__)

CHECKPOINTS = ("MSD_vgg", "MTT_vgg")
PACKAGE = "musicnn"
PACKAGE_VERSION = "0.1.0"
INSTALL_HINT = f".venv/bin/pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}"
ATTRIBUTION = (
    "musicnn: pre-trained convolutional neural networks for music audio tagging, Jordi Pons and Xavier Serra, "
    "2019, Music Technology Group, Universitat Pompeu Fabra"
)
TRAINED_ON = {
    "MSD_vgg": "Million Song Dataset (30 s audio previews, the 50 most frequent Last.fm tags)",
    "MTT_vgg": "MagnaTagATune (the 50 most frequent tags)",
}

# Signal processing as in the package's configuration.py; the networks were trained on exactly this.
SR = 16_000
N_FFT = 512
HOP = 256
N_MELS = 96
N_FRAMES = 187  # librosa.time_to_frames(3 s, sr=16000, n_fft=512, hop_length=256) + 1, as the package computes it
FEATURE_LAYER = "flatten"
BN_EPSILON = 1e-3  # tf.compat.v1.layers.batch_normalization's default

# Max-pool (size, stride) of each block, from musicnn/models.py ``vgg``; padding is 'valid'.
POOLS = (((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4)))
# Our layer name -> checkpoint variable scope; the weight names (kernel, bias, gamma, beta,
# moving_mean, moving_variance) are the same in TF-1 layers and Keras 3.
LAYER_SCOPES = {
    "input_bn": "batch_normalization",
    **{f"block{i}_conv": f"{i}CNN" for i in range(1, 6)},
    **{f"block{i}_bn": f"batch_normalization_{i}" for i in range(1, 6)},
    "tags": "dense",
}
# Adam's slots and power accumulators: in the checkpoint, but not part of the inference graph.
_OPTIMISER_STATE = re.compile(r"(/Adam(_\d+)?$)|(^beta[12]_power$)")

PREPROCESSING = (
    "16 kHz mono; librosa.feature.melspectrogram(sr=16000, n_fft=512, hop_length=256, n_mels=96), power; "
    "transposed to (time, mel); log10(10000 * x + 1) in float32; non-overlapping 187-frame patches "
    "(3 s, hop 187 frames), the trailing remainder shorter than a patch dropped; model input (187, 96, 1)"
)


class PretrainedError(MusicXAIError):
    """The musicnn package or one of its checkpoints is missing or does not match the rebuilt graph."""

    status = 500
    title = "Pre-trained model unusable"


def _check_name(name: str) -> None:
    if name not in CHECKPOINTS:
        raise ParameterError(f"unknown checkpoint {name!r}; choose one of {', '.join(CHECKPOINTS)}")


def _package_dir() -> Path:
    """The installed package folder, found without importing it (its modules import TensorFlow 1 APIs)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise PretrainedError(
            f"the {PACKAGE} package is not installed; install it WITHOUT its dependencies (they pin numpy<1.17 "
            f"and TensorFlow 1): {INSTALL_HINT}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def locate_checkpoint(name: str) -> Path:
    """Folder of checkpoint ``name`` inside the installed musicnn package (files ``.index``, ``.data-*``)."""
    _check_name(name)
    folder = _package_dir() / name
    if not (folder / ".index").is_file():
        raise PretrainedError(f"{folder} holds no checkpoint (.index missing); reinstall with: {INSTALL_HINT}")
    return folder


def read_checkpoint(path: Path | str) -> dict[str, np.ndarray]:
    """All variables of a checkpoint folder.

    The files have an empty prefix (``<dir>/.index``) and the ``checkpoint`` file names the authors'
    absolute path, so ``tf.train.load_checkpoint`` fails; the reader opened on ``"<dir>/"`` works.
    """
    from tensorflow.python.training import py_checkpoint_reader

    reader = py_checkpoint_reader.NewCheckpointReader(str(path).rstrip("/") + "/")
    return {key: np.asarray(reader.get_tensor(key)) for key in sorted(reader.get_variable_to_shape_map())}


def package_tags(name: str) -> list[str]:
    """The 50 tag names in output order, taken from the package's own configuration module."""
    _check_name(name)
    _package_dir()
    config = importlib.import_module(f"{PACKAGE}.configuration")
    # The package's extractor picks the labels the same way: by the dataset prefix of the model name.
    tags = list(config.MSD_LABELS if name.startswith("MSD") else config.MTT_LABELS)
    if len(tags) != 50 or len(set(tags)) != 50:
        raise PretrainedError(f"{PACKAGE}.configuration lists {len(tags)} tags for {name}, expected 50 distinct")
    return tags


def build_musicnn_vgg(
    n_frames: int = N_FRAMES, n_mels: int = N_MELS, num_tags: int = 50, *, name: str = "musicnn_vgg"
) -> keras.Model:
    """Keras 3 rebuild of musicnn's ``vgg`` graph, inference only (its dropout is inactive at test time).

    Input is (time, mel, 1), NHWC with time first, as the package's ``tf.expand_dims(x, 3)`` of a
    (batch, time, mel) placeholder. Each block: conv 3x3 'same' + ReLU, then batch norm, then max-pool.
    ``flatten`` (256 features for 187x96 input) is the cut point for transfer learning.
    """
    inputs = keras.Input(shape=(n_frames, n_mels, 1), name="log_mel")
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="input_bn")(inputs)
    for i, (pool, stride) in enumerate(POOLS, start=1):
        x = layers.Conv2D(128, 3, padding="same", activation="relu", name=f"block{i}_conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"block{i}_bn")(x)
        x = layers.MaxPooling2D(pool_size=pool, strides=stride, padding="valid", name=f"block{i}_pool")(x)
    x = layers.Flatten(name=FEATURE_LAYER)(x)
    outputs = layers.Dense(num_tags, activation="sigmoid", name="tags")(x)
    return keras.Model(inputs, outputs, name=name)


def load_weights(model: keras.Model, variables: dict[str, np.ndarray]) -> None:
    """Copy checkpoint variables into the rebuilt model, refusing any partial or mismatched load.

    Every weight of every layer must come from the checkpoint with the same shape, and every checkpoint
    variable other than optimiser state must be used: a silent miss would leave random weights in place.
    """
    used: set[str] = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        scope = LAYER_SCOPES.get(layer.name)
        if scope is None:
            raise PretrainedError(f"layer {layer.name!r} has weights but no checkpoint scope is mapped to it")
        for weight in layer.weights:
            key = f"{scope}/{weight.name}"
            if key not in variables:
                raise PretrainedError(f"checkpoint has no variable {key!r} for {layer.name}/{weight.name}")
            value = variables[key]
            if tuple(value.shape) != tuple(weight.shape):
                raise PretrainedError(
                    f"{key} has shape {tuple(value.shape)}, {layer.name}/{weight.name} needs {tuple(weight.shape)}"
                )
            weight.assign(value.astype(weight.dtype))
            used.add(key)
    unused = sorted(k for k in variables if k not in used and not _OPTIMISER_STATE.search(k))
    if unused:
        raise PretrainedError(f"checkpoint variables not used by the rebuilt graph: {', '.join(unused)}")


def musicnn_input(y16k: np.ndarray) -> np.ndarray:
    """Log-mel patches [n_patches, 187, 96] float32 exactly as musicnn computes them, minus its float16 trap.

    The package casts the mel power to float16 before ``10000 * x``, which overflows to ``inf`` for loud
    bins; here everything stays float32. Patches do not overlap (the extractor's default hop is one patch,
    187 frames = 3 s) and the remainder shorter than a patch is dropped, as in its ``batch_data``. Add a
    channel axis (``[..., None]``) before feeding the model. Raises ParameterError below 187 frames (~3 s).
    """
    y = np.asarray(y16k, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"expected a mono 1-D signal at {SR} Hz, got shape {y.shape}")
    mel = librosa.feature.melspectrogram(y=y, sr=SR, hop_length=HOP, n_fft=N_FFT, n_mels=N_MELS).T
    log_mel = np.log10(np.float32(10_000) * mel.astype(np.float32) + np.float32(1)).astype(np.float32)
    n_patches = (log_mel.shape[0] - N_FRAMES) // N_FRAMES + 1 if log_mel.shape[0] >= N_FRAMES else 0
    if n_patches == 0:
        raise ParameterError(f"signal gives {log_mel.shape[0]} frames, a patch needs {N_FRAMES} (about 3 s at {SR} Hz)")
    return np.stack([log_mel[i * N_FRAMES : (i + 1) * N_FRAMES] for i in range(n_patches)])


def _experiment_result(folder: Path) -> dict[str, object]:
    """Test figures from the package's ``experiment.result``: its two AUC lines are ROC-AUC then PR-AUC."""
    path = folder / "experiment.result"
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    aucs = [float(v) for v in re.findall(r"AUC:\s*([0-9.]+)", text)]
    experiment = re.search(r"Experiment:\s*\['([^']*)'\]", text)
    result: dict[str, object] = {"experiment": experiment.group(1) if experiment else None}
    if len(aucs) >= 2:
        result.update(test_roc_auc=aucs[0], test_pr_auc=aucs[1])
    return result


def _training_config(folder: Path) -> dict[str, object]:
    """The settings from the package's ``config.json`` that matter for reuse (its absolute paths do not)."""
    path = folder / "config.json"
    if not path.is_file():
        return {}
    config = json.loads(path.read_text(encoding="utf-8"))
    keep = (
        "n_frames",
        "pre_processing",
        "pad_short",
        "train_sampling",
        "epochs",
        "batch_size",
        "weight_decay",
        "learning_rate",
        "optimizer",
        "patience",
    )
    rep_keep = ("spectrogram_type", "resample_sr", "hop", "n_fft", "n_mels")
    out: dict[str, object] = {k: config[k] for k in keep if k in config}
    out["audio_rep"] = {k: config.get("audio_rep", {}).get(k) for k in rep_keep}
    return out


def _licence_text() -> str:
    dist = metadata.distribution(PACKAGE)
    for candidate in ("LICENSE.md", "LICENSE", "LICENSE.txt"):
        text = dist.read_text(candidate)
        if text:
            return text.strip()
    raise PretrainedError(f"no licence file in the {PACKAGE} distribution metadata; cannot redistribute weights")


def import_pretrained(name: str, out_dir: Path | str) -> Path:
    """Convert checkpoint ``name`` into ``out_dir`` (backbone.keras, tags.json, LICENSE, source.json).

    ``backbone.keras`` is the full tagger (sigmoid over 50 tags); ``model.get_layer("flatten")`` gives
    the 256-dimensional embedding for transfer learning. Returns ``out_dir``.
    """
    folder = locate_checkpoint(name)
    version = metadata.version(PACKAGE)
    if version != PACKAGE_VERSION:
        log.warning("%s %s installed; conversion was checked against %s", PACKAGE, version, PACKAGE_VERSION)
    tags = package_tags(name)
    variables = read_checkpoint(folder)
    model = build_musicnn_vgg(num_tags=len(tags), name=f"musicnn_{name}")
    load_weights(model, variables)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "backbone.keras")
    (out / "tags.json").write_text(json.dumps(tags, indent=1) + "\n", encoding="utf-8")
    (out / "LICENSE").write_text(
        f"{_licence_text()}\n\nLicence: ISC (as declared in the {PACKAGE} {version} package metadata).\n"
        f"Attribution: {ATTRIBUTION}.\nConverted to Keras 3 from the checkpoint musicnn/{name}/ of the "
        f"{PACKAGE}=={version} wheel; weights unchanged.\n",
        encoding="utf-8",
    )
    data_file = folder / ".data-00000-of-00001"
    source = {
        "checkpoint": name,
        "package": PACKAGE,
        "package_version": version,
        "licence": "ISC",
        "attribution": ATTRIBUTION,
        "trained_on": TRAINED_ON[name],
        **_experiment_result(folder),
        "training_config": _training_config(folder),
        "checkpoint_sha256": hashlib.sha256(data_file.read_bytes()).hexdigest() if data_file.is_file() else None,
        "preprocessing": PREPROCESSING,
        "sample_rate": SR,
        "input_shape": [N_FRAMES, N_MELS, 1],
        "output": f"sigmoid probabilities for the {len(tags)} tags in tags.json",
        "feature_layer": FEATURE_LAYER,
        "feature_dim": int(model.get_layer(FEATURE_LAYER).output.shape[-1]),
        "parameters": int(model.count_params()),
        "converted_with": {"keras": keras.__version__, "librosa": librosa.__version__, "numpy": np.__version__},
    }
    (out / "source.json").write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s (%d parameters, %d tags)", out, source["parameters"], len(tags))
    return out
