"""A small fast student: the CNN's size, trained to say what a teacher bundle says.

The teacher (the tag-prior head on two musicnn taggers) evaluates ~50 windows/s on two CPU cores,
so an explanation of it, thousands of perturbed windows, takes minutes. The student, the 4-block CNN
on the teacher's own features, evaluates ~20 times as many. It learns from the teacher's window
probabilities on the synthetic train split (mixed half and half with the true genre) and on **all**
music of the real-audio set's train part, labelled or not: that unlabelled real music is where the
teacher's real-music knowledge is passed on. Early stopping watches a validation set made of the
synthetic validation split and the real train part's music from a few held-back packages.
"""

from __future__ import annotations

import logging
from pathlib import Path

import keras
import numpy as np

from musicxai.audio.decode import load_audio
from musicxai.model.classifier import GenreClassifier
from musicxai.model.features import FeatureSettings, Normalisation, clip_windows, normalise
from training.architectures import build_cnn, fit_early_stopping
from training.dataset import WindowSet, fit_normalisation
from training.genres import GTZAN_GENRES
from training.realset import Part, excerpts

log = logging.getLogger(__name__)

LABEL_SHARE = 0.5  # synthetic windows: this share of the target is the true genre, the rest the teacher
VALID_PACKAGES = 0.15  # share of the real train part's packages held back for early stopping


def real_music_windows(realset: Path, settings: FeatureSettings, *, seed: int) -> dict[str, np.ndarray]:
    """Windows of every music clip of the real-audio train part, split by package into train / valid."""
    music = [(entry, path) for entry, path in excerpts(realset, Part.train) if entry.is_music]
    packages = sorted({entry.package for entry, _ in music})
    rng = np.random.default_rng(seed)
    held = set(rng.choice(packages, max(1, round(VALID_PACKAGES * len(packages))), replace=False))
    parts: dict[str, list[np.ndarray]] = {"train": [], "valid": []}
    for entry, path in music:
        windows = clip_windows(load_audio(path, sr=settings.sample_rate, max_duration=30.0).samples, settings)
        parts["valid" if entry.package in held else "train"].append(windows)
    return {part: np.concatenate(chunks) for part, chunks in parts.items()}


def soft_targets(teacher: GenreClassifier, windows: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
    """The teacher's window probabilities, mixed with the true genre where there is one."""
    said = teacher.window_probabilities(windows)
    if labels is None:
        return said
    return LABEL_SHARE * np.eye(len(GTZAN_GENRES))[labels] + (1 - LABEL_SHARE) * said


def fit_student(
    sets: dict[str, WindowSet],
    settings: FeatureSettings,
    *,
    teacher_dir: Path,
    realset: Path | None,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    patience: int,
    seed: int,
    verbose: int,
) -> tuple[keras.Model, Normalisation, dict, dict]:
    """Train the student; returns it with its input normalisation, its curves and what to record."""
    teacher = GenreClassifier.load(teacher_dir)
    if teacher.features != settings:
        raise ValueError(f"the student must read the teacher's features; {teacher_dir} has {teacher.features}")
    real = real_music_windows(realset, settings, seed=seed) if realset else {"train": None, "valid": None}
    x, y = {}, {}
    for part in ("train", "valid"):
        windows = [sets[part].windows] + ([real[part]] if real[part] is not None else [])
        targets = [soft_targets(teacher, sets[part].windows, sets[part].labels)]
        if real[part] is not None:
            targets.append(soft_targets(teacher, real[part], None))
        x[part], y[part] = np.concatenate(windows), np.concatenate(targets)
    norm = fit_normalisation(x["train"])
    model = build_cnn(settings.input_shape, len(GTZAN_GENRES))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="categorical_crossentropy")
    curves = fit_early_stopping(
        model,
        (normalise(x["train"], norm), y["train"]),
        (normalise(x["valid"], norm), y["valid"]),
        epochs=epochs,
        batch_size=batch_size,
        patience=patience,
        verbose=verbose,
    )
    info = {
        "teacher": teacher.name,
        "label_share": LABEL_SHARE,
        "windows": {part: len(x[part]) for part in x},
        "real_windows": {part: 0 if real[part] is None else len(real[part]) for part in real},
        "seed": seed,
    }
    return model, norm, curves, info
