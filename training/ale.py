"""Global explanations: ALE curves of the served CNN for each descriptor and genre.

The predictor handed to the ALE library maps rows of descriptor values (plus a clip-index column the
library never varies) to genre probabilities by editing that clip's log-mel so the changed
descriptor takes the asked value, then running the real model on its windows. Predictions are cached
per row, so the ten per-genre ALE runs of one descriptor pay for the model once.

Engines: PyALE (MIT; quantile bins, points per bin, 95 % confidence band) by default, effector (MIT;
equal-width bins, heterogeneity band) as the alternative. alibi's ALE is not offered: its releases
are under the Business Source License and pin numpy < 2, which this project's shap and
TensorFlow versions cannot share an environment with.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from musicxai.errors import ParameterError
from musicxai.model.bundle import ALE_DIR, AleDescriptor, AleIndex, read_bundle_meta, write_ale_index
from musicxai.model.classifier import GenreClassifier
from musicxai.model.features import FeatureSettings, frame_windows
from training.descriptors import Descriptor, build_descriptors

log = logging.getLogger(__name__)
ENGINES = ("pyale", "effector")
GENRE_COLOURS = matplotlib.colormaps["tab10"].colors


def descriptor_table(spectrograms: list[np.ndarray], descriptors: list[Descriptor]) -> np.ndarray:
    """[shape=(n_clips, n_descriptors)] the descriptors measured on each clip."""
    return np.array([[d.measure(S) for d in descriptors] for S in spectrograms])


class EditingPredictor:
    """Rows ``[descriptor values…, clip index]`` -> genre probabilities of the edited clip."""

    def __init__(
        self,
        classifier: GenreClassifier,
        spectrograms: list[np.ndarray],
        descriptors: list[Descriptor],
        table: np.ndarray,
        *,
        batch_clips: int = 16,
    ) -> None:
        self.classifier, self.spectrograms, self.descriptors = classifier, spectrograms, descriptors
        self.table = table
        self.batch_clips = batch_clips
        self.tolerance = 1e-9 * np.maximum(1.0, np.abs(table).max(axis=0))
        self._cache: dict[bytes, np.ndarray] = {}
        self.clip_evaluations = 0

    def edited(self, row: np.ndarray) -> np.ndarray:
        clip = int(row[-1])
        S = self.spectrograms[clip]
        changed = np.flatnonzero(np.abs(row[:-1] - self.table[clip]) > self.tolerance)
        for j in changed:
            S = self.descriptors[j].edit(S, float(row[j]))
        return S

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        keys = [row.tobytes() for row in X]
        first: dict[bytes, int] = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)
        pending = [key for key in first if key not in self._cache]
        for start in range(0, len(pending), self.batch_clips):
            chunk = pending[start : start + self.batch_clips]
            edited = [frame_windows(self.edited(X[first[key]]), self.classifier.features) for key in chunk]
            counts = [len(w) for w in edited]
            probs = self.classifier.window_probabilities(np.concatenate(edited))
            for key, part in zip(chunk, np.split(probs, np.cumsum(counts)[:-1]), strict=True):
                self._cache[key] = part.mean(axis=0)
            self.clip_evaluations += len(chunk)
        return np.stack([self._cache[key] for key in keys])


@dataclass
class AleCurve:
    descriptor: Descriptor
    edges: np.ndarray  # [shape=(n_bins + 1,)]
    effects: dict[str, np.ndarray]  # genre -> centred ALE at the edges
    lower: dict[str, np.ndarray]  # band (CI or heterogeneity), same shape
    upper: dict[str, np.ndarray]
    counts: np.ndarray  # [shape=(n_bins,)] clips per bin
    values: np.ndarray  # the descriptor on each held-out clip (the data distribution)
    band: str

    def as_dict(self) -> dict:
        return {
            **self.descriptor.as_dict(),
            "edges": self.edges.round(6).tolist(),
            "counts": self.counts.astype(int).tolist(),
            "effects": {g: v.round(6).tolist() for g, v in self.effects.items()},
            "lower": {g: v.round(6).tolist() for g, v in self.lower.items()},
            "upper": {g: v.round(6).tolist() for g, v in self.upper.items()},
            "band": self.band,
            "values": self.values.round(6).tolist(),
        }


def ale_pyale(predict_genre, X: pd.DataFrame, column: str, bins: int):
    import PyALE

    class Model:
        def predict(self, frame):
            return predict_genre(np.asarray(frame, dtype=np.float64))

    frame = PyALE.ale(
        X, Model(), [column], feature_type="continuous", grid_size=bins, include_CI=True, C=0.95, plot=False
    )
    edges = frame.index.to_numpy(dtype=float)
    eff = frame["eff"].to_numpy(dtype=float)
    lower = frame["lowerCI_95%"].fillna(frame["eff"]).to_numpy(dtype=float)
    upper = frame["upperCI_95%"].fillna(frame["eff"]).to_numpy(dtype=float)
    return edges, eff, lower, upper, frame["size"].to_numpy()[1:]


def ale_effector(predict_genre, X: pd.DataFrame, column: str, bins: int):
    import effector

    j = list(X.columns).index(column)
    ale = effector.ALE(X.to_numpy(dtype=float), predict_genre, nof_instances="all")
    ale.fit([j], binning_method=effector.axis_partitioning.Fixed(nof_bins=bins))
    payload = ale.payload(j)
    edges = np.asarray(payload["limits"], dtype=float)
    eff = ale.eval(j, edges)
    spread = np.sqrt(np.maximum(ale.eval_heter(j, edges), 0.0))
    return edges, eff, eff - spread, eff + spread, np.asarray(payload["points_per_bin"])


def compute_ale(
    classifier: GenreClassifier,
    spectrograms: list[np.ndarray],
    *,
    bins: int = 10,
    engine: str = "pyale",
    descriptors: list[Descriptor] | None = None,
) -> tuple[list[AleCurve], EditingPredictor]:
    if engine not in ENGINES:
        raise ParameterError(f"ale engine={engine!r} must be one of {ENGINES}")
    descriptors = descriptors or build_descriptors(classifier.features)
    table = descriptor_table(spectrograms, descriptors)
    predictor = EditingPredictor(classifier, spectrograms, descriptors, table)
    names = [d.name for d in descriptors]
    X = pd.DataFrame(np.column_stack([table, np.arange(len(spectrograms))]), columns=[*names, "clip"])
    run = ale_pyale if engine == "pyale" else ale_effector
    curves = []
    for j, descriptor in enumerate(descriptors):
        started = time.perf_counter()
        effects, lower, upper = {}, {}, {}
        for g, genre in enumerate(classifier.genres):
            edges, eff, lo, hi, counts = run(lambda rows, g=g: predictor(rows)[:, g], X, descriptor.name, bins)
            effects[genre], lower[genre], upper[genre] = eff, lo, hi
        band = "95% confidence interval" if engine == "pyale" else "±1 std of local effects"
        curves.append(AleCurve(descriptor, edges, effects, lower, upper, counts, table[:, j], band))
        log.info(
            "ALE %s: %.1f s, %d clip evaluations so far",
            descriptor.name,
            time.perf_counter() - started,
            predictor.clip_evaluations,
        )
    return curves, predictor


def plot_ale(curve: AleCurve, *, ax=None):
    """Ten genre curves with their bands, and a rug of the held-out clips' values."""
    ax = ax or Figure().subplots()
    lines = []
    for colour, (genre, effect) in zip(GENRE_COLOURS, curve.effects.items(), strict=False):
        lines.append(ax.plot(curve.edges, effect, color=colour, label=genre, lw=1.6)[0])
        ax.fill_between(curve.edges, curve.lower[genre], curve.upper[genre], color=colour, alpha=0.12, lw=0)
    ax.plot(
        curve.values,
        np.full_like(curve.values, 0.0),
        "|",
        color="black",
        ms=12,
        alpha=0.5,
        transform=ax.get_xaxis_transform(),
    )
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xlabel(f"{curve.descriptor.label} ({curve.descriptor.unit})")
    ax.set_ylabel("ALE: change in genre probability")
    ax.grid(alpha=0.3)
    return lines


def write_ale(bundle: Path, curves: list[AleCurve], *, meta: dict) -> Path:
    """Each curve's PNG and JSON in ``bundle/ale/``, then the index the service reads."""
    out_dir = Path(bundle) / ALE_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for curve in curves:
        name = curve.descriptor.name
        (out_dir / f"{name}.json").write_text(json.dumps({**curve.as_dict(), **meta}) + "\n")
        fig = Figure(figsize=(8, 4.6), layout="constrained")
        ax = fig.subplots()
        plot_ale(curve, ax=ax)
        ax.set_title(f"ALE · {curve.descriptor.label} · n = {len(curve.values)} held-out clips")
        ax.legend(ncols=5, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16))
        fig.savefig(out_dir / f"{name}.png", dpi=100)
        entries.append(AleDescriptor(**curve.descriptor.as_dict(), png=f"{name}.png", json_file=f"{name}.json"))
    write_ale_index(bundle, AleIndex(**meta, descriptors=entries))
    return out_dir


def held_out_spectrograms(bundle: Path, data: Path, *, max_clips: int | None, seed: int = 0) -> list[np.ndarray]:
    """Whole-clip log-mels of the bundle's recorded test tracks (never its training tracks)."""
    from musicxai.audio.decode import load_audio
    from musicxai.model.features import clip_log_mel
    from training.gtzan import bundle_test_tracks

    meta = read_bundle_meta(bundle)
    by_path = {t.relpath: t for t in bundle_test_tracks(bundle, data)}
    paths = list(by_path)
    if max_clips is not None and len(paths) > max_clips:
        rng = np.random.default_rng(seed)
        paths = sorted(rng.choice(paths, size=max_clips, replace=False).tolist())
    settings: FeatureSettings = meta.features
    return [
        clip_log_mel(load_audio(by_path[p].path, sr=settings.sample_rate, max_duration=30.0).samples, settings)
        for p in paths
    ]


def build_ale(bundle: Path, data: Path, *, bins: int = 10, engine: str = "pyale", max_clips: int | None = 150) -> Path:
    """``musicxai ale``: compute every descriptor's curves on held-out tracks and store them in the bundle."""
    classifier = GenreClassifier.load(bundle)
    spectrograms = held_out_spectrograms(bundle, data, max_clips=max_clips)
    started = time.perf_counter()
    curves, predictor = compute_ale(classifier, spectrograms, bins=bins, engine=engine)
    meta = {
        "bundle": classifier.name,
        "engine": engine,
        "bins": bins,
        "clips": len(spectrograms),
        "data": "held-out test tracks of the bundle's split",
        "clip_evaluations": predictor.clip_evaluations,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return write_ale(bundle, curves, meta=meta)
