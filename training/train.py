"""Train a genre model on a GTZAN-layout folder and write a complete, evaluated bundle."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np

from musicxai.errors import ParameterError
from musicxai.model.bundle import (
    FORMAT_VERSION,
    MODEL_FILE,
    BundleMeta,
    Metrics,
    SplitInfo,
    TestMetrics,
    TrainingData,
    read_bundle_meta,
    write_bundle_meta,
)
from musicxai.model.classifier import GenreClassifier
from musicxai.model.features import FeatureSettings, Normalisation, normalise
from training.architectures import ARCHITECTURES, build_cnn, build_music_transfer, build_vgg16_transfer
from training.dataset import WindowSet, build_windows, fit_normalisation
from training.distil import fit_student
from training.evaluate import evaluate, write_evaluation
from training.genres import GTZAN_GENRES
from training.gtzan import Track, discover_tracks, split_from_lists, stratified_split
from training.provenance import git_commit, library_versions
from training.tag_fit import fit_tags

log = logging.getLogger(__name__)
CORPUS_FILE = "corpus.json"


@dataclass
class TrainConfig:
    data: Path
    out: Path
    arch: str = "cnn"
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 1e-3
    patience: int = 5
    seed: int = 0
    valid_fraction: float = 0.1
    test_fraction: float = 0.2
    split_dir: Path | None = None
    weights: str | None = "imagenet"
    backbone: str = "MSD_vgg"
    pretrained_dir: Path = Path("models/pretrained")
    realset: Path | None = None  # music-tags: the real-audio set, whose train part's labelled clips join the fit
    teacher: Path | None = None  # cnn-student: the bundle whose answers the student learns
    tag_head: str = "tags"  # music-tags: "tags", "tags+embeddings" (prior-centred fits) or "prior" (scaled only)
    max_duration: float | None = 30.0
    verbose: int = 2
    workers: int | None = None


def split_tracks(config: TrainConfig) -> tuple[dict[str, list[Track]], str]:
    tracks = discover_tracks(config.data)
    if config.split_dir is not None:
        return split_from_lists(tracks, config.split_dir), str(config.split_dir)
    parts = stratified_split(
        tracks, seed=config.seed, valid_fraction=config.valid_fraction, test_fraction=config.test_fraction
    )
    return parts, "stratified"


def describe_data(root: Path, n_tracks: int, windows: dict[str, int], *, real: str | None = None) -> TrainingData:
    """Say plainly what the model learned from; a generated corpus announces itself as such, and
    ``real`` says which real recordings joined it."""
    corpus_file = Path(root) / CORPUS_FILE
    if corpus_file.is_file():
        corpus = json.loads(corpus_file.read_text())
        source = (
            f"Synthetic audio, not GTZAN; plus {real}."
            if real
            else "Synthetic audio, not GTZAN and not real recordings."
        )
        return TrainingData(
            description=(
                "musicxai demo corpus: MIDI accompaniment grooves (mma) and classical scores (music21) "
                "rendered with General MIDI soundfonts (FluidSynth), generated with seed "
                f"{corpus.get('seed')}. {source}"
            ),
            dataset="musicxai-demo-corpus",
            root=str(root),
            tracks=n_tracks,
            windows=windows,
            clip_seconds=corpus.get("seconds"),
        )
    return TrainingData(
        description=(
            f"Tracks in GTZAN layout from the folder '{Path(root).name}' (the GTZAN genre collection, "
            "Tzanetakis & Cook 2002, when that is what the folder holds)."
        ),
        dataset="gtzan-layout",
        root=str(root),
        tracks=n_tracks,
        windows=windows,
        clip_seconds=30.0,
    )


# The front end the musicnn checkpoints were trained with (16 kHz, 96 mels, log10(10000·x + 1), 187 frames).
MUSIC_VGG_FEATURES = FeatureSettings(
    extractor="logmel-log10",
    sample_rate=16000,
    n_fft=512,
    hop_length=256,
    n_mels=96,
    window_frames=187,
    window_seconds=187 * 256 / 16000,
    hop_seconds=1.5,
)


# what of the real-audio set (``--realset``) an architecture learns from, said in its bundle
REAL_DATA = {
    "music-tags": "the labelled music clips of the real-audio set's train part (Debian packages' recordings)",
    "cnn-student": "all music clips of the real-audio set's train part (Debian packages' recordings), "
    "with the teacher's answers as targets",
}
MUSICNN_ARCHITECTURES = ("music-vgg", "music-tags")  # built on the musicnn taggers: their front end, their input BN


def features_for(config: TrainConfig) -> FeatureSettings:
    """A student reads its teacher's features, the musicnn models musicnn's, the rest the defaults."""
    if config.arch == "cnn-student":
        if config.teacher is None:
            raise ParameterError("arch='cnn-student' needs a teacher bundle (--teacher)")
        return read_bundle_meta(config.teacher).features
    return MUSIC_VGG_FEATURES if config.arch in MUSICNN_ARCHITECTURES else FeatureSettings()


def build_model(config: TrainConfig, settings: FeatureSettings) -> tuple[keras.Model, dict]:
    if config.arch == "cnn":
        return build_cnn(settings.input_shape, len(GTZAN_GENRES)), {}
    if config.arch == "vgg16":
        model, used = build_vgg16_transfer(settings.input_shape, len(GTZAN_GENRES), weights=config.weights)
        return model, {"weights_requested": config.weights, "weights_used": used}
    raise ParameterError(f"arch={config.arch!r} must be one of {ARCHITECTURES}")


def fit_transfer(config: TrainConfig, sets: dict[str, WindowSet], norm: Normalisation, settings: FeatureSettings):
    """Embed every window once with the frozen backbone, then fit only the head on the embeddings."""
    source = config.pretrained_dir / config.backbone
    backbone = keras.saving.load_model(source / "backbone.keras", compile=False)
    model, embedder, head = build_music_transfer(settings.input_shape, len(GTZAN_GENRES), backbone=backbone)
    embedded = {
        part: embedder.predict(normalise(s.windows, norm), batch_size=64, verbose=0)
        for part, s in sets.items()
        if part != "test"
    }
    head.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    fitted = head.fit(
        embedded["train"],
        sets["train"].labels,
        validation_data=(embedded["valid"], sets["valid"].labels),
        epochs=config.epochs,
        batch_size=config.batch_size,
        shuffle=True,
        callbacks=[keras.callbacks.EarlyStopping(patience=config.patience, restore_best_weights=True)],
        verbose=config.verbose,
    )
    info = {"backbone": config.backbone, "backbone_source": json.loads((source / "source.json").read_text())}
    return model, fitted.history, info


def train(config: TrainConfig, settings: FeatureSettings | None = None) -> BundleMeta:
    """Split by track, extract windows, fit with early stopping, then evaluate the saved bundle."""
    settings = settings or features_for(config)
    keras.utils.set_random_seed(config.seed)
    parts, split_source = split_tracks(config)
    sets: dict[str, WindowSet] = {
        part: build_windows(
            tracks, settings, max_duration=config.max_duration, workers=config.workers, desc=f"{part} windows"
        )
        for part, tracks in parts.items()
    }
    started = time.perf_counter()
    if config.arch in MUSICNN_ARCHITECTURES:  # the backbone's own input normalisation applies: identity here
        norm = Normalisation(mean=[0.0] * settings.n_mels, std=[1.0] * settings.n_mels)
        if config.arch == "music-vgg":
            model, curves, arch_info = fit_transfer(config, sets, norm, settings)
        else:
            model, arch_info = fit_tags(
                sets, norm, settings, pretrained_dir=config.pretrained_dir, realset=config.realset, head=config.tag_head
            )
            curves = {}
    elif config.arch == "cnn-student":
        model, norm, curves, arch_info = fit_student(
            sets,
            settings,
            teacher_dir=config.teacher,
            realset=config.realset,
            epochs=config.epochs,
            batch_size=config.batch_size,
            learning_rate=config.learning_rate,
            patience=config.patience,
            seed=config.seed,
            verbose=config.verbose,
        )
    else:
        norm = fit_normalisation(sets["train"].windows)
        model, arch_info = build_model(config, settings)
        model.compile(
            optimizer=keras.optimizers.Adam(config.learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        curves = model.fit(
            normalise(sets["train"].windows, norm),
            sets["train"].labels,
            validation_data=(normalise(sets["valid"].windows, norm), sets["valid"].labels),
            epochs=config.epochs,
            batch_size=config.batch_size,
            shuffle=True,
            callbacks=[keras.callbacks.EarlyStopping(patience=config.patience, restore_best_weights=True)],
            verbose=config.verbose,
        ).history
    fit_seconds = time.perf_counter() - started
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / MODEL_FILE)
    curves = {k: [float(v) for v in vals] for k, vals in curves.items()}
    meta = BundleMeta(
        format_version=FORMAT_VERSION,
        name=out.name,
        architecture=config.arch,
        genres=list(GTZAN_GENRES),
        features=settings,
        normalisation=norm,
        split=SplitInfo(
            seed=config.seed if config.split_dir is None else None,
            source=split_source,
            tracks={part: len(s.tracks) for part, s in sets.items()},
            test_tracks=[t.relpath for t in sets["test"].tracks],
        ),
        training_data=describe_data(
            config.data,
            sum(len(s.tracks) for s in sets.values()),
            {part: len(s.windows) for part, s in sets.items()},
            real=REAL_DATA.get(config.arch) if config.realset else None,
        ),
        training={
            "epochs_run": len(curves.get("loss", [])),
            "best_epoch": int(np.argmin(curves["val_loss"])) + 1 if curves.get("val_loss") else None,
            "max_epochs": config.epochs,
            "batch_size": config.batch_size,
            "learning_rate": config.learning_rate,
            "early_stopping_patience": config.patience,
            "seed": config.seed,
            "fit_seconds": round(fit_seconds, 1),
            "parameters": int(model.count_params()),
            "history": curves,
            **arch_info,
        },
        metrics=None,
        versions=library_versions(),
        git_commit=git_commit(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    write_bundle_meta(out, meta)
    return evaluate_bundle(out, sets["test"], history=curves)


def evaluate_bundle(bundle: Path, test: WindowSet, *, history: dict | None = None) -> BundleMeta:
    """Evaluate through the serving code path and record the held-out metrics in the bundle."""
    classifier = GenreClassifier.load(bundle)
    result = evaluate(classifier, test)
    write_evaluation(Path(bundle) / "evaluation", result, history or classifier.meta.training.get("history"))
    meta = classifier.meta.model_copy(update={"metrics": Metrics(test=TestMetrics(**result.metrics()))})
    write_bundle_meta(bundle, meta)
    return meta


def reevaluate(bundle: Path, data: Path, *, workers: int | None = None) -> BundleMeta:
    """Recompute the metrics of an existing bundle on the test tracks its split recorded."""
    meta = read_bundle_meta(bundle)
    by_path = {t.relpath: t for t in discover_tracks(data)}
    missing = [p for p in meta.split.test_tracks if p not in by_path]
    if missing:
        raise ParameterError(f"{len(missing)} recorded test tracks are not under {data} (e.g. {missing[0]})")
    test = build_windows(
        [by_path[p] for p in meta.split.test_tracks], meta.features, workers=workers, desc="test windows"
    )
    return evaluate_bundle(bundle, test)
