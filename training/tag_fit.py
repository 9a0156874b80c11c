"""Fitting the tag head: ``softmax(tags @ (scale * prior + delta) + bias)`` with ``delta`` pulled to
zero, and the choice of how hard it is pulled, made on the train parts only.

The pull (``strength``) is chosen by the mean of two accuracies: clips of the synthetic corpus's
validation split, and the real-audio set's labelled train clips, each answered by a head fitted
without that clip's package (leave one package out). The real-audio report part is never used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax

from musicxai.audio.decode import load_audio
from musicxai.model.features import FeatureSettings, Normalisation, clip_windows, normalise
from training.dataset import WindowSet
from training.genres import GTZAN_GENRES
from training.realset import Part, excerpts
from training.tags import (
    TAG_PRIOR,
    TAGGERS,
    build_tag_extractor,
    build_tag_genre_model,
    load_taggers,
    prior_matrix,
    tag_names,
)

STRENGTHS = (1e-4, 1e-3, 1e-2, 1e-1)
REAL_CLIP_WEIGHT = 5.0  # one labelled real clip counts as much as this many synthetic clips


@dataclass(frozen=True)
class LabelledTags:
    """Windows' tag vectors with their genre index and the clip each came from."""

    tags: np.ndarray  # [shape=(n, n_tags)]
    labels: np.ndarray  # [shape=(n,)]
    clips: np.ndarray  # [shape=(n,)] clip index (a track id, or a real clip's number)
    groups: np.ndarray | None = None  # [shape=(n,)] package of each window (real clips only)

    def where(self, mask: np.ndarray) -> LabelledTags:
        groups = None if self.groups is None else self.groups[mask]
        return LabelledTags(self.tags[mask], self.labels[mask], self.clips[mask], groups)


def real_labelled_tags(realset: Path, settings: FeatureSettings, tags_of: Callable[[np.ndarray], np.ndarray]):
    """The labelled music of the real-audio set's train part, as the head's features per window."""
    chunks, labels, clips, groups = [], [], [], []
    for number, (entry, path) in enumerate(e for e in excerpts(realset, Part.train) if e[0].label):
        windows = clip_windows(load_audio(path, sr=settings.sample_rate, max_duration=30.0).samples, settings)
        chunks.append(tags_of(windows))
        labels += [GTZAN_GENRES.index(entry.label)] * len(windows)
        clips += [number] * len(windows)
        groups += [entry.package] * len(windows)
    return LabelledTags(np.concatenate(chunks), np.array(labels), np.array(clips), np.array(groups))


@dataclass(frozen=True)
class Standardiser:
    """Per-feature mean/std of the training windows, folded into the head's weights for serving."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Standardiser:
        x = np.asarray(x, dtype=np.float64)
        return cls(x.mean(axis=0), np.maximum(x.std(axis=0), 1e-6))

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.mean) / self.std

    def fold(self, weights: np.ndarray, bias: np.ndarray, *, first: int) -> tuple[np.ndarray, np.ndarray]:
        """Weights and bias on the raw features, where rows ``first:`` were fitted on standardised ones."""
        raw = weights.copy()
        raw[first:] = weights[first:] / self.std[:, None]
        return raw, bias - (self.mean / self.std) @ weights[first:]


@dataclass(frozen=True)
class TagHead:
    """``delta`` is what the data changed in the prior."""

    scale: float
    delta: np.ndarray  # [shape=(n_tags, n_genres)]
    bias: np.ndarray  # [shape=(n_genres,)]
    prior: np.ndarray

    @property
    def weights(self) -> np.ndarray:
        return self.scale * self.prior + self.delta

    def probabilities(self, tags: np.ndarray) -> np.ndarray:
        return np.exp(log_softmax(tags @ self.weights + self.bias, axis=1))

    def clip_accuracy(self, data: LabelledTags) -> float:
        p = self.probabilities(data.tags)
        clips = np.unique(data.clips)
        right = [np.argmax(p[data.clips == c].mean(axis=0)) == data.labels[data.clips == c][0] for c in clips]
        return float(np.mean(right))


def head_objective(
    theta: np.ndarray, data: LabelledTags, prior: np.ndarray, weight: np.ndarray, strength: float, fit_delta: bool
) -> tuple[float, np.ndarray]:
    """Weighted cross-entropy + ``strength * ||delta||^2`` and its gradient, at ``theta`` =
    [scale, bias (n_genres), delta (n_tags * n_genres, when fitted)]; ``weight`` sums to 1."""
    n_tags, n_genres = prior.shape
    scale, bias = theta[0], theta[1 : 1 + n_genres]
    delta = theta[1 + n_genres :].reshape(n_tags, n_genres) if fit_delta else 0.0
    onehot = np.eye(n_genres)[data.labels]
    logp = log_softmax(data.tags @ (scale * prior + delta) + bias, axis=1)
    loss = -np.sum(weight * np.sum(onehot * logp, axis=1)) + strength * np.sum(delta**2)
    g_logits = weight[:, None] * (np.exp(logp) - onehot)  # d loss / d logits
    g_weights = data.tags.T @ g_logits
    grad = [np.array([np.sum(g_weights * prior)]), g_logits.sum(axis=0)]
    if fit_delta:
        grad.append((g_weights + 2 * strength * delta).ravel())
    return float(loss), np.concatenate(grad)


def fit_tag_head(
    data: LabelledTags,
    prior: np.ndarray,
    *,
    strength: float,
    sample_weight: np.ndarray | None = None,
    fit_delta: bool = True,
) -> TagHead:
    """Minimise :func:`head_objective` by L-BFGS (convex in ``delta`` and ``bias``).

    ``fit_delta=False`` fits only the prior's scale and the genre biases: the prior as it was written.
    """
    n_tags, n_genres = prior.shape
    w = np.ones(len(data.tags)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    theta0 = np.concatenate([[1.0], np.zeros(n_genres), np.zeros(n_tags * n_genres if fit_delta else 0)])
    args = (data, prior, w / w.sum(), strength, fit_delta)
    theta = minimize(head_objective, theta0, args=args, jac=True, method="L-BFGS-B", options={"maxiter": 3000}).x
    delta = theta[1 + n_genres :].reshape(n_tags, n_genres) if fit_delta else np.zeros_like(prior)
    return TagHead(float(theta[0]), delta, theta[1 : 1 + n_genres], prior)


def _join(synthetic: LabelledTags, real: LabelledTags | None) -> tuple[LabelledTags, np.ndarray]:
    """Synthetic and real windows in one set, weighted so a real clip counts REAL_CLIP_WEIGHT synthetic ones."""
    if real is None or len(real.tags) == 0:
        return synthetic, np.ones(len(synthetic.tags))
    offset = synthetic.clips.max() + 1
    joined = LabelledTags(
        np.concatenate([synthetic.tags, real.tags]),
        np.concatenate([synthetic.labels, real.labels]),
        np.concatenate([synthetic.clips, real.clips + offset]),
    )
    synthetic_per_clip = len(synthetic.tags) / len(np.unique(synthetic.clips))
    real_per_clip = len(real.tags) / len(np.unique(real.clips))
    weight = np.concatenate(
        [np.ones(len(synthetic.tags)), np.full(len(real.tags), REAL_CLIP_WEIGHT * synthetic_per_clip / real_per_clip)]
    )
    return joined, weight


def leave_one_package_out(synthetic: LabelledTags, real: LabelledTags, prior: np.ndarray, **fit) -> float:
    """Accuracy on the real clips, each answered by a head that never saw its package."""
    right, total = 0, 0
    for package in np.unique(real.groups):
        held = real.groups == package
        data, weight = _join(synthetic, real.where(~held))
        head = fit_tag_head(data, prior, sample_weight=weight, **fit)
        n = len(np.unique(real.clips[held]))
        right += round(head.clip_accuracy(real.where(held)) * n)
        total += n
    return right / total


def choose_tag_head(
    synthetic: dict[str, LabelledTags], real: LabelledTags | None, prior: np.ndarray, *, prior_only: bool = False
) -> tuple[TagHead, dict]:
    """Fit one head per strength (or the prior alone) and keep the best by the module's rule."""
    options = [{"fit_delta": False, "strength": 0.0}] if prior_only else [{"strength": s} for s in STRENGTHS]
    tried = []
    for fit in options:
        data, weight = _join(synthetic["train"], real)
        head = fit_tag_head(data, prior, sample_weight=weight, **fit)
        row = {**fit, "synthetic_valid_clip_accuracy": head.clip_accuracy(synthetic["valid"])}
        if real is not None:
            row["real_train_leave_one_package_out"] = leave_one_package_out(synthetic["train"], real, prior, **fit)
        row["score"] = float(np.mean([v for k, v in row.items() if "accuracy" in k or "leave_one" in k]))
        tried.append((row, head))
    best_row, best_head = max(tried, key=lambda t: (t[0]["score"], t[0]["strength"]))
    selection = {
        "rule": "mean of synthetic valid clip accuracy and real train leave-one-package-out accuracy",
        "real_clip_weight": REAL_CLIP_WEIGHT,
        "tried": [row for row, _ in tried],
        "chosen": best_row,
    }
    return best_head, selection


def fit_tags(
    sets: dict[str, WindowSet],
    norm: Normalisation,
    settings: FeatureSettings,
    *,
    pretrained_dir: Path,
    realset: Path | None,
    head: str,
) -> tuple[keras.Model, dict]:
    """Describe every window by the taggers' 100 tags (and, with ``head="tags+embeddings"``, their
    two 256-d embeddings, standardised), then fit the prior-centred head on the
    synthetic train split plus the real-audio set's labelled train clips."""
    taggers = load_taggers(pretrained_dir)
    extractor = build_tag_extractor(settings.input_shape, taggers)
    with_embeddings = head == "tags+embeddings"
    outputs = {
        part: extractor.predict(normalise(s.windows, norm), batch_size=64, verbose=0)
        for part, s in sets.items()
        if part != "test"
    }
    scaler = Standardiser.fit(outputs["train"][1]) if with_embeddings else None

    def features_of(tags: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        tags = tags.astype(np.float64)
        return np.hstack([tags, scaler.apply(embeddings)]) if scaler is not None else tags

    def windows_features(windows: np.ndarray) -> np.ndarray:
        return features_of(*extractor.predict(normalise(windows, norm), batch_size=64, verbose=0))

    synthetic = {
        part: LabelledTags(features_of(*outputs[part]), s.labels, s.track_ids)
        for part, s in sets.items()
        if part != "test"
    }
    real = real_labelled_tags(realset, settings, windows_features) if realset else None
    names = tag_names(pretrained_dir)
    prior = prior_matrix(names)
    if scaler is not None:  # no prior on the embeddings: their weights start at zero and are pulled there
        prior = np.vstack([prior, np.zeros((len(scaler.mean), prior.shape[1]))])
    fitted, selection = choose_tag_head(synthetic, real, prior, prior_only=head == "prior")
    weights, bias = fitted.weights, fitted.bias
    if scaler is not None:
        weights, bias = scaler.fold(weights, bias, first=len(names))
    model = build_tag_genre_model(settings.input_shape, taggers, weights, bias, embeddings=with_embeddings)
    info = {
        "taggers": list(TAGGERS),
        "tag_prior": TAG_PRIOR,
        "tag_head": head,
        "prior_scale": round(fitted.scale, 4),
        "selection": selection,
        "real_train_clips": 0 if real is None else len(np.unique(real.clips)),
    }
    return model, info
