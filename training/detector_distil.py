"""A cheap embedder for the music detector: the 4-block CNN taught to say what the tagger says.

The MagnaTagATune tagger costs about 1.8 GFLOP a window, and ten windows a clip were most of a
prediction's time. The student, four 3×3 conv blocks on the same log-mel windows (about 0.13 GFLOP a
window) and a linear layer to 256 outputs, learns by regression (mean squared error on the tagger's
embedding, standardised per dimension) what the tagger says of every window (3 s, 1.5 s apart) of
the clips the detector is fitted on: the real-audio set's train part, music and not-music, labelled or not, and the
synthetic train clips. Early stopping watches the windows of a share of the train part's packages,
held back from the student's training. The detector's regression is then fitted on the student's
embeddings exactly as it was on the tagger's.
"""

from __future__ import annotations

import logging
from pathlib import Path

import keras
import numpy as np
from keras import layers

from musicxai.model.features import Normalisation, normalise
from training.architectures import conv_block, fit_early_stopping
from training.dataset import fit_normalisation

log = logging.getLogger(__name__)

STUDENT_WIDTHS = (16, 32, 64, 128)  # the cnn-student bundle's blocks
VALID_PACKAGES = 0.15  # share of the packages whose windows only watch the training
BN_MOMENTUM = 0.9  # Keras's 0.99 lags a few hundred steps: the served (moving) statistics were off


def build_student(input_shape: tuple[int, int, int], dim: int, *, widths=STUDENT_WIDTHS) -> keras.Model:
    """Log-mel window -> ``dim`` outputs, meant to stand for the tagger's (standardised) embedding."""
    inputs = keras.Input(shape=input_shape, name="log_mel")
    x = inputs
    for i, filters in enumerate(widths):
        x = conv_block(x, filters, name=f"block{i + 1}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inputs, layers.Dense(dim, name="embedding")(x), name="distilled_embedder")
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = BN_MOMENTUM
    return model


def embed_clips(model: keras.Model, clips: list[np.ndarray], norm: Normalisation | None = None) -> list[np.ndarray]:
    """Each clip's windows [shape=(n, n_mels, frames)] -> its embeddings [shape=(n, dim)], float64."""
    counts = [len(c) for c in clips]
    x = np.concatenate(clips)
    x = normalise(x, norm) if norm is not None else x[..., None]
    out = model.predict(x, batch_size=64, verbose=0).astype(np.float64)
    return np.split(out, np.cumsum(counts)[:-1])


def cached_teacher(
    teacher: keras.Model, clips: list[np.ndarray], keys: list[str], cache: Path | None
) -> list[np.ndarray]:
    """The teacher's embeddings of each clip's windows, read from ``cache`` (an .npz) where it holds
    exactly these clips with these window counts, else computed (and written there)."""
    counts = np.array([len(c) for c in clips])
    if cache is not None and Path(cache).is_file():
        stored = np.load(cache)
        if stored["keys"].tolist() == keys and np.array_equal(stored["counts"], counts):
            log.info("teacher embeddings read from %s", cache)
            return np.split(stored["embeddings"].astype(np.float64), np.cumsum(counts)[:-1])
    embedded = embed_clips(teacher, clips)
    if cache is not None:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, keys=np.array(keys), counts=counts, embeddings=np.concatenate(embedded).astype(np.float32))
    return embedded


def held_back(groups: np.ndarray, seed: int, share: float = VALID_PACKAGES) -> np.ndarray:
    """Which clips' packages are held back for early stopping (at least one package)."""
    packages = np.unique(groups)
    rng = np.random.default_rng(seed)
    held = rng.choice(packages, max(1, round(share * len(packages))), replace=False)
    return np.isin(groups, held)


def _parts(arrays: list[np.ndarray], valid: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "train": np.concatenate([a for a, v in zip(arrays, valid, strict=True) if not v]),
        "valid": np.concatenate([a for a, v in zip(arrays, valid, strict=True) if v]),
    }


def distil(
    clips: list[np.ndarray],
    targets: list[np.ndarray],
    groups: np.ndarray,
    *,
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    patience: int = 3,
    seed: int = 0,
    verbose: int = 2,
) -> tuple[keras.Model, Normalisation, dict]:
    """Train the student on every window of ``clips`` to give ``targets`` (the teacher's embeddings);
    returns it with its input normalisation and what to record."""
    keras.utils.set_random_seed(seed)
    valid = held_back(groups, seed)
    x, y = _parts(clips, valid), _parts(targets, valid)
    norm = fit_normalisation(x["train"])
    centre, scale = y["train"].mean(axis=0), y["train"].std(axis=0)
    scale = np.where(scale > 1e-6, scale, 1.0)  # a unit the teacher never moves stays a constant to learn
    model = build_student((*x["train"].shape[1:], 1), y["train"].shape[1])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    curves = fit_early_stopping(
        model,
        (normalise(x["train"], norm), (y["train"] - centre) / scale),
        (normalise(x["valid"], norm), (y["valid"] - centre) / scale),
        epochs=epochs,
        batch_size=batch_size,
        patience=patience,
        verbose=verbose,
    )
    info = {
        "student": f"{len(STUDENT_WIDTHS)} conv blocks {list(STUDENT_WIDTHS)}, global average pooling, linear 256",
        "loss": "mean squared error on the tagger's embedding, standardised per dimension",
        "windows": {part: len(x[part]) for part in x},
        "held_back_packages": len(np.unique(groups[valid])),
        "epochs_run": len(curves["loss"]),
        "epochs_max": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "seed": seed,
        "mse": {"train": [round(v, 4) for v in curves["loss"]], "valid": [round(v, 4) for v in curves["val_loss"]]},
    }
    return model, norm, info
