"""Fit the music detector (``models/detector``) on the real-audio set's train part.

A clip is described by the mean and the standard deviation over time of a music tagger's 256-d window
embedding (MagnaTagATune's tagger: in a cross-validation on the train part it caught more not-music
at the same false-alarm rate than the Million Song Dataset's, both together, or the tags, and
mean + std beat the mean alone). A logistic regression separates music (the part's music clips, and
clips of the synthetic corpus's train split, so renders are not called noise) from recorded speech,
effects, ambience, noise and tones. Its regularisation and the threshold come from out-of-fold answers
of a cross-validation grouped by package on the train part; the report part is never looked at here.
With ``embedder="distilled"`` a small CNN taught the tagger's embedding (``training/detector_distil.py``)
takes its place, ~14 times cheaper a window, and the regression is fitted on its embeddings the same way.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from musicxai.audio.decode import load_audio
from musicxai.model.bundle import MODEL_FILE
from musicxai.model.detector import DETECTOR_FILE, DetectorMeta, pooled, spread_windows
from musicxai.model.features import FeatureSettings, Normalisation, clip_windows
from training.architectures import build_music_embedder
from training.detector_distil import cached_teacher, distil, embed_clips
from training.pretrained import FEATURE_LAYER
from training.realset import Part, excerpts
from training.train import MUSIC_VGG_FEATURES, TrainConfig, split_tracks

log = logging.getLogger(__name__)

TAGGER = "MTT_vgg"  # whose 256-d embedding describes a window
SYNTHETIC_CLIPS = 200  # synthetic train-split clips added as music
MAX_WINDOWS = 10  # 10 evenly spaced 3 s windows: a 30 s clip in full, a long one sampled
STRENGTHS = (0.01, 0.1, 1.0)  # inverse L2 strengths tried (sklearn's C)
MAX_FALSE_ALARM = 0.04  # the threshold keeps out-of-fold false alarms on music at or under this
FOLDS = 5
EMBEDDERS = ("tagger", "distilled")


@dataclass
class ClipFeatures:
    """Pooled embeddings of clips, with each clip's label (1 = music) and package (the CV group)."""

    features: np.ndarray  # [shape=(n_clips, 2 * dim)]
    is_music: np.ndarray  # [shape=(n_clips,)] 0/1
    groups: np.ndarray  # [shape=(n_clips,)] package name


def _fit(data: ClipFeatures, clips: np.ndarray, C: float) -> tuple[LogisticRegression, StandardScaler]:
    X, y = data.features[clips], data.is_music[clips]
    scaler = StandardScaler().fit(X)
    # classes weighted so that music and not-music count alike whatever their numbers
    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(scaler.transform(X), y), scaler


def out_of_fold(data: ClipFeatures, C: float) -> np.ndarray:
    """Each clip's music probability from a model that never saw its package."""
    clips = np.arange(len(data.is_music))
    scores = np.empty(len(clips))
    for train, test in GroupKFold(FOLDS).split(clips, groups=data.groups):
        model, scaler = _fit(data, clips[train], C)
        scores[test] = model.predict_proba(scaler.transform(data.features[test]))[:, 1]
    return scores


def rates(scores: np.ndarray, is_music: np.ndarray, threshold: float) -> dict[str, float]:
    said_not_music = scores < threshold
    return {
        "detection_rate": float(said_not_music[is_music == 0].mean()),  # not-music clips called not music
        "false_alarm_rate": float(said_not_music[is_music == 1].mean()),  # music clips called not music
    }


def choose_threshold(scores: np.ndarray, is_music: np.ndarray, max_false_alarm: float = MAX_FALSE_ALARM) -> float:
    """The highest threshold (most not-music caught) whose false-alarm rate on music stays within bounds."""
    music = np.sort(scores[is_music == 1])
    allowed = int(np.floor(max_false_alarm * len(music)))
    # a clip is called not music when its score < threshold: at most ``allowed`` music clips lie below
    return float(np.clip(music[allowed], 1e-3, 1 - 1e-3))


def fit_detector(data: ClipFeatures) -> tuple[LogisticRegression, StandardScaler, dict]:
    """Choose C and the threshold by grouped cross-validation, then fit on the whole train part."""
    tried = {}
    for C in STRENGTHS:
        scores = out_of_fold(data, C)
        threshold = choose_threshold(scores, data.is_music)
        tried[C] = {"threshold": threshold, **rates(scores, data.is_music, threshold)}
        log.info("C=%g: %s", C, tried[C])
    best = max(STRENGTHS, key=lambda c: (tried[c]["detection_rate"], -tried[c]["false_alarm_rate"]))
    model, scaler = _fit(data, np.arange(len(data.is_music)), best)
    report = {
        "C": best,
        "threshold": tried[best]["threshold"],
        "cross_validation": {str(c): v for c, v in tried.items()},
        "folds": FOLDS,
        "grouped_by": "package",
        "max_false_alarm": MAX_FALSE_ALARM,
    }
    return model, scaler, report


def folded(model: LogisticRegression, scaler: StandardScaler) -> tuple[np.ndarray, float]:
    """The regression's weights and bias on unstandardised features."""
    weights = model.coef_[0] / scaler.scale_
    return weights, float(model.intercept_[0] - np.sum(weights * scaler.mean_))


def clip_windows_of(paths: list[Path], features: FeatureSettings) -> list[np.ndarray]:
    """Every window of each clip, un-normalised, framed as the service frames it."""
    return [clip_windows(load_audio(path, sr=features.sample_rate).samples, features) for path in paths]


def pooled_clips(embeddings: list[np.ndarray], max_windows: int = MAX_WINDOWS) -> np.ndarray:
    """Each clip's pooled embedding over ``max_windows`` of its windows, evenly spaced (the service's)."""
    return np.array([pooled(spread_windows(e, max_windows)) for e in embeddings])


def cross_validated(data: ClipFeatures) -> dict:
    """The fitting report's out-of-fold figures at its chosen C (for comparing embedders)."""
    report = fit_detector(data)[2]
    return {"C": report["C"], **report["cross_validation"][str(report["C"])]}


def build_music_detector(
    realset: Path,
    corpus: Path | None,
    out: Path,
    *,
    pretrained_dir: Path,
    embedder: str = "tagger",
    epochs: int = 12,
    cache: Path | None = None,
    tagger: str = TAGGER,
    seed: int = 0,
) -> dict:
    """Fit on the real-audio train part (plus the synthetic corpus's train split as music) and write
    ``out``; returns the fitting report. ``embedder``: ``tagger`` (the MTT tagger itself) or
    ``distilled`` (the small CNN taught the tagger's embedding on these same clips)."""
    if embedder not in EMBEDDERS:
        raise ValueError(f"embedder must be one of {EMBEDDERS}, not {embedder!r}")
    features = MUSIC_VGG_FEATURES
    backbone = keras.saving.load_model(Path(pretrained_dir) / tagger / "backbone.keras", compile=False)
    teacher = build_music_embedder(features.input_shape, backbone, name="music_detector")
    train = excerpts(realset, Part.train)
    paths = [path for _, path in train]
    is_music = [int(entry.is_music) for entry, _ in train]
    groups = [entry.package for entry, _ in train]
    if corpus is not None:
        synthetic = split_tracks(TrainConfig(data=corpus, out=out, seed=seed))[0]["train"]  # the bundles' split
        chosen = np.random.default_rng(seed).permutation(len(synthetic))[:SYNTHETIC_CLIPS]
        paths += [synthetic[i].path for i in chosen]
        is_music += [1] * len(chosen)
        groups += [f"synthetic:{synthetic[i].genre}" for i in chosen]
    clips = clip_windows_of(paths, features)
    keys = [str(path) for path in paths]
    said = cached_teacher(teacher, clips, keys, cache)
    labels, packages = np.array(is_music), np.array(groups)
    tagger_data = ClipFeatures(pooled_clips(said), labels, packages)
    training = {
        "tagger": tagger,
        "layer": FEATURE_LAYER,
        "embedder": embedder,
        "pooling": f"mean and standard deviation over up to {MAX_WINDOWS} evenly spaced windows",
        "data": "real-audio set train part"
        + (f" + {len(paths) - len(train)} synthetic train-split clips as music" if corpus else ""),
        "clips": {"music": int(labels.sum()), "not_music": int((1 - labels).sum())},
        # out of fold on the train part, each embedder at its own chosen C and threshold
        "candidates": {
            f"tagger, {n} windows": cross_validated(ClipFeatures(pooled_clips(said, n), labels, packages))
            for n in (MAX_WINDOWS, 5, 3)
        },
    }
    norm = Normalisation(mean=[0.0] * features.n_mels, std=[1.0] * features.n_mels)  # the tagger's own input BN
    served, data = teacher, tagger_data
    if embedder == "distilled":
        served, norm, training["distillation"] = distil(clips, said, packages, epochs=epochs, seed=seed)
        read = [spread_windows(c, MAX_WINDOWS) for c in clips]  # what the service will read of each clip
        data = ClipFeatures(pooled_clips(embed_clips(served, read, norm)), labels, packages)
        training["candidates"][f"distilled, {MAX_WINDOWS} windows"] = cross_validated(data)
    model, scaler, report = fit_detector(data)
    weights, bias = folded(model, scaler)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    served.save(out / MODEL_FILE)
    meta = DetectorMeta(
        features=features,
        normalisation=norm,
        max_windows=MAX_WINDOWS,
        weights=weights.tolist(),
        bias=bias,
        threshold=report["threshold"],
        training={**training, **report},
    )
    (out / DETECTOR_FILE).write_text(json.dumps(meta.model_dump(mode="json"), indent=2) + "\n")
    return {**training, **report}
