"""Two checks of a bundle's explanation methods, run offline and stored in the bundle: do the maps
depend on what the model learned, and do they hold when the audio barely changes?

- **Cascading model randomisation** (Adebayo et al. 2018): the model's weights are randomised from
  the output layer down (:mod:`musicxai.model.randomise`) and each method explains the same label of
  the same clips again; the curve of Spearman's ρ between the trained model's segment weights and the
  randomised ones', and the SSIM of the two maps, should fall towards zero. A method whose maps keep
  ρ ≥ ``SURVIVAL_RHO`` once every layer is random shows the input, not the model: it is flagged.
- **Input-noise sensitivity**: white noise ``NOISE_SNR_DB`` below the clip's level, drawn a few
  times; where the prediction stays the same, how far the ranking moves (ρ and the top-k overlap).

Explanations here are attributions only (no faithfulness curves): what is compared is the map.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import spearmanr
from skimage.metrics import structural_similarity

from musicxai.audio.decode import DecodedAudio
from musicxai.errors import BundleError
from musicxai.explain.attribution import Method
from musicxai.explain.methods import attribute_as
from musicxai.explain.params import ExplanationParams
from musicxai.explain.pipeline import build_engine
from musicxai.explain.stability import TOP_K, top_segments
from musicxai.model.classifier import GenreClassifier
from musicxai.model.randomise import randomised_copies

SURVIVAL_RHO = 0.5  # median ρ with the trained model's weights once every layer is random
NOISE_SNR_DB = 30.0
NOISE_DRAWS = 2


class RandomisationStep(BaseModel):
    """The maps once the top ``layers`` weight layers are random (medians over the clips)."""

    layers: int
    of: int
    deepest: str = Field(description="the lowest layer randomised at this step")
    spearman: float = Field(description="Spearman's ρ between the segment weights and the trained model's")
    ssim: float = Field(description="structural similarity of the two maps, each scaled to [0, 1]")


class NoiseSensitivity(BaseModel):
    snr_db: float
    kept_prediction: int = Field(description="noisy copies whose top label stayed the trained one")
    copies: int
    spearman: float | None = Field(description="median ρ with the clean clip's weights, over the kept copies")
    top_k_overlap: float | None = Field(description="median share of the clean top-k segments among the noisy top k")


class MethodChecks(BaseModel):
    randomisation: list[RandomisationStep] | None = Field(description="null where the weights cannot be reached")
    survives_randomisation: bool | None = Field(
        description=f"the maps keep median ρ ≥ {SURVIVAL_RHO} with every layer random: they do not show the model"
    )
    noise: NoiseSensitivity


class SanityChecks(BaseModel):
    """The checks of one bundle, as stored in its ``bundle.json``."""

    clips: list[str]
    clip_seconds: float
    params: ExplanationParams = Field(description="the explanation each check ran: the bundle's defaults, per method")
    methods: dict[str, MethodChecks]
    not_randomised: str | None = Field(None, description="why the randomisation test could not run")
    seconds: float


def _median(values: list[float]) -> float | None:
    return round(float(np.median(values)), 4) if values else None


def rho(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's ρ; 0 where either weighting is constant (it ranks nothing)."""
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def map_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two maps, each scaled to [0, 1] (a constant map is all zeros)."""

    def scaled(m: np.ndarray) -> np.ndarray:
        span = m.max() - m.min()
        return (m - m.min()) / span if span > 0 else np.zeros_like(m)

    return float(structural_similarity(scaled(a), scaled(b), data_range=1.0))


def explain_weights(
    classifier: GenreClassifier, audio: DecodedAudio, params: ExplanationParams, target: int
) -> tuple[np.ndarray, np.ndarray]:
    """Segment weights for label ``target`` and their map over the clip's log-mel grid."""
    engine = build_engine(classifier, audio, params.engine_spec())
    weights = attribute_as(params, engine, [target]).weights[target]
    return weights, engine.segmentation.weight_map(weights)


def with_noise(audio: DecodedAudio, snr_db: float, rng: np.random.Generator) -> DecodedAudio:
    level = np.sqrt(np.mean(audio.samples**2)) / 10 ** (snr_db / 20)
    noisy = (audio.samples + rng.normal(0, level, audio.samples.shape)).astype(np.float32)
    return DecodedAudio(noisy, audio.sample_rate, audio.source_duration_s)


def methods_for(classifier: GenreClassifier) -> list[Method]:
    return [m for m in Method if m is not Method.gradient or classifier.meta.has_gradients]


def check_bundle(
    bundle: Path,
    clips: dict[str, DecodedAudio],
    *,
    steps: int = 6,
    seed: int = 0,
    noise_draws: int = NOISE_DRAWS,
) -> SanityChecks:
    """Both checks for every method the bundle offers, on ``clips`` (name -> audio at its rate)."""
    started = time.perf_counter()
    classifier = GenreClassifier.load(bundle)
    methods = methods_for(classifier)
    params = {m: ExplanationParams(method=m).with_defaults(classifier.meta.explanation_defaults) for m in methods}
    targets = {name: int(np.argmax(classifier.classify(a.samples).probabilities)) for name, a in clips.items()}
    trained = {(m, n): explain_weights(classifier, a, params[m], targets[n]) for m in methods for n, a in clips.items()}
    noise = {m: _noise(classifier, clips, targets, params[m], trained, noise_draws, seed) for m in methods}
    steps_of: dict[Method, list[RandomisationStep]] = {m: [] for m in methods}
    reason = None
    try:
        with tempfile.TemporaryDirectory(prefix="randomised-") as work:
            for copy in randomised_copies(bundle, Path(work), steps=steps, seed=seed):
                random_model = GenreClassifier.load(copy.path)
                for m in methods:
                    rhos, ssims = [], []
                    for n, a in clips.items():
                        weights, heat = explain_weights(random_model, a, params[m], targets[n])
                        rhos.append(rho(trained[m, n][0], weights))
                        ssims.append(map_similarity(trained[m, n][1], heat))
                    steps_of[m].append(
                        RandomisationStep(
                            layers=copy.layers, of=copy.of, deepest=copy.deepest, spearman=_median(rhos),
                            ssim=_median(ssims),
                        )
                    )  # fmt: skip
    except BundleError as exc:
        reason = str(exc)
    checks = {
        m.value: MethodChecks(
            randomisation=steps_of[m] if reason is None else None,
            survives_randomisation=None if reason is not None else steps_of[m][-1].spearman >= SURVIVAL_RHO,
            noise=noise[m],
        )
        for m in methods
    }
    return SanityChecks(
        clips=list(clips),
        clip_seconds=round(float(np.mean([a.duration_s for a in clips.values()])), 2),
        params=params[methods[0]],
        methods=checks,
        not_randomised=reason,
        seconds=round(time.perf_counter() - started, 1),
    )


def _noise(
    classifier: GenreClassifier,
    clips: dict[str, DecodedAudio],
    targets: dict[str, int],
    params: ExplanationParams,
    trained: dict,
    draws: int,
    seed: int,
) -> NoiseSensitivity:
    rng = np.random.default_rng([seed, 0x9015E])
    rhos, overlaps, kept, copies = [], [], 0, 0
    k = params.top_k or TOP_K
    for name, audio in clips.items():
        clean = trained[params.method, name][0]
        for _ in range(draws):
            noisy = with_noise(audio, NOISE_SNR_DB, rng)
            copies += 1
            if int(np.argmax(classifier.classify(noisy.samples).probabilities)) != targets[name]:
                continue
            kept += 1
            weights, _ = explain_weights(classifier, noisy, params, targets[name])
            rhos.append(rho(clean, weights))
            overlaps.append(len(top_segments(clean, k) & top_segments(weights, k)) / k)
    return NoiseSensitivity(
        snr_db=NOISE_SNR_DB, kept_prediction=kept, copies=copies, spearman=_median(rhos),
        top_k_overlap=_median(overlaps),
    )  # fmt: skip
