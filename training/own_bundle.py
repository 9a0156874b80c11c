"""A bundle around a Keras model someone else trained, so the service serves and explains it.

The model must take one log-mel window, ``(n_mels, frames, 1)``, as this code computes it from the
given feature settings, and answer one probability per genre. Each way it can fail to fit is
refused before anything is written, with what to change: the input shape against the settings
(and the flags that would match it), the number of outputs against the genres, outputs that are
not probabilities. With ``eval_data`` (``DIR/<genre>/<clip>``, any audio format) the held-out
metrics are computed through the serving code path and recorded, as for our own models.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from musicxai.audio.sniff import sniff_audio
from musicxai.errors import BundleError, ParameterError, UnsupportedMediaError
from musicxai.model.bundle import FORMAT_VERSION, MODEL_FILE, BundleMeta, SplitInfo, TrainingData, write_bundle_meta
from musicxai.model.features import FeatureSettings, Normalisation
from musicxai.model.keras_model import read_keras_model
from musicxai.model.onnx_runtime import probe_batch
from training.dataset import build_windows
from training.gtzan import Track
from training.provenance import git_commit, library_versions
from training.train import evaluate_bundle

PROBABILITY_TOLERANCE = 1e-3  # a softmax row sums to 1 within float32 rounding
NOT_RECORDED = "not recorded: a model trained elsewhere, wrapped by `musicxai bundle create`"


def _fit_hint(model_in: tuple, features: FeatureSettings) -> str:
    want = features.input_shape
    if len(model_in) != 3 or model_in[2] != 1:
        return f"the model must take windows shaped {want} (mel bands, frames, one channel)"
    hints = []
    if model_in[0] != want[0]:
        hints.append(f"--n-mels {model_in[0]}")
    if model_in[1] != want[1]:
        hints.append(f"--window-frames {model_in[1]}")
    swapped = " (or its time and mel axes are swapped)" if model_in[:2] == want[1::-1] else ""
    return f"try {' '.join(hints)}{swapped}"


def check_model(model, genres: list[str], features: FeatureSettings) -> None:
    """Refuse a model that does not fit these genres and features, saying what to change."""
    model_in = tuple(model.input_shape[1:])
    if model_in != features.input_shape:
        raise BundleError(
            f"the model takes input {model_in}, but {features.n_mels} mel bands and windows of "
            f"{features.frames_per_window} frames give {features.input_shape}: {_fit_hint(model_in, features)}"
        )
    outputs = model.output_shape[-1]
    if outputs != len(genres):
        raise BundleError(f"the model has {outputs} outputs but {len(genres)} genres were given ({', '.join(genres)})")
    probs = np.asarray(model.predict(probe_batch(features.input_shape), verbose=0), dtype=np.float64)
    sums = probs.sum(axis=1)
    if (
        probs.min() < -PROBABILITY_TOLERANCE
        or probs.max() > 1 + PROBABILITY_TOLERANCE
        or (np.abs(sums - 1).max() > PROBABILITY_TOLERANCE)
    ):
        raise BundleError(
            f"the model's outputs are not probabilities (values {probs.min():.3g} to {probs.max():.3g}, rows "
            f"summing to {sums.min():.3g} to {sums.max():.3g}): end it with a softmax over the {len(genres)} genres"
        )


def _is_audio(path: Path) -> bool:
    if not path.is_file():
        return False
    with open(path, "rb") as f:
        head = f.read(64)
    try:
        sniff_audio(head)
    except UnsupportedMediaError:
        return False
    return True


def eval_tracks(root: Path, genres: list[str]) -> list[Track]:
    """``root/<genre>/<clip>`` for each genre of the bundle; other folders are an error, not ignored."""
    root = Path(root)
    if not root.is_dir():
        raise ParameterError(f"--eval-data {root} is not a folder")
    unknown = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in genres)
    if unknown:
        raise ParameterError(f"--eval-data has folders that are not genres of the model: {', '.join(unknown)}")
    tracks = [Track(path, genre) for genre in genres for path in sorted((root / genre).glob("*")) if _is_audio(path)]
    if not tracks:
        raise ParameterError(f"--eval-data {root} holds no audio in <genre>/ folders named after {genres}")
    return tracks


def create_bundle(
    model_path: Path,
    out: Path,
    *,
    genres: list[str],
    features: FeatureSettings,
    normalisation: Normalisation | None = None,
    eval_data: Path | None = None,
    description: str = NOT_RECORDED,
) -> BundleMeta:
    """Check ``model_path`` against ``genres`` and ``features``, then write the bundle ``out``.

    normalisation : per-band mean and std the model was trained with; ``None``: the model takes
        the log-mel values as they are (mean 0, std 1).
    """
    out = Path(out)
    if out.exists():
        raise ParameterError(f"{out} exists already; choose a new bundle folder")
    model = read_keras_model(model_path)
    check_model(model, genres, features)
    norm = normalisation or Normalisation(mean=[0.0] * features.n_mels, std=[1.0] * features.n_mels)
    tracks = eval_tracks(eval_data, genres) if eval_data is not None else []
    test = build_windows(tracks, features, workers=1, desc="held-out windows", genres=tuple(genres)) if tracks else None
    out.mkdir(parents=True)
    shutil.copyfile(model_path, out / MODEL_FILE)
    meta = BundleMeta(
        format_version=FORMAT_VERSION,
        name=out.name,
        architecture=f"own: {model.name}",
        genres=genres,
        features=features,
        normalisation=norm,
        split=SplitInfo(
            source=f"eval-data: {eval_data}" if tracks else "none: no held-out data given",
            tracks={"test": len(tracks)} if tracks else {},
            test_tracks=[t.relpath for t in tracks],
        ),
        training_data=TrainingData(description=description, dataset="external", tracks=0, windows={}),
        training={"parameters": int(model.count_params()), "source_file": str(model_path)},
        versions=library_versions(),
        git_commit=git_commit(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    write_bundle_meta(out, meta)
    return meta if test is None else evaluate_bundle(out, test)
