"""A bundle around a model trained elsewhere (Keras, ONNX, a Python callable), so the service serves and explains it.

The model takes what its bundle declares (our log-mel windows, a waveform, a filterbank) and
answers one value per label. Each way it can fail to fit is refused before anything is written,
with what to change: the input shape against the settings (and the flags that would match it),
the number of outputs against the labels, outputs that are not probabilities of the declared kind
(logits without their activation, sigmoid tags declared exclusive), custom ONNX operators,
external weights outside the folder, Keras files that need unsafe deserialisation. With
``eval_data`` (``DIR/<genre>/<clip>``, any audio format) the held-out metrics are computed
through the serving code path and recorded, as for our own models.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from musicxai.audio.decode import load_audio
from musicxai.audio.sniff import sniff_audio
from musicxai.errors import BundleError, ParameterError, UnsupportedMediaError
from musicxai.explain.params import ExplanationParams
from musicxai.model.bundle import (
    FORMAT_VERSION,
    MODEL_FILE,
    ONNX_FILE,
    BundleMeta,
    Metrics,
    RuntimeSpec,
    SplitInfo,
    TestMetrics,
    TrainingData,
    write_bundle_meta,
)
from musicxai.model.classifier import GenreClassifier
from musicxai.model.features import FeatureSettings, Normalisation
from musicxai.model.inputs import LogMelWindows, ModelInput
from musicxai.model.keras_model import read_keras_model
from musicxai.model.outputs import Output
from training.dataset import build_windows
from training.gtzan import Track
from training.provenance import git_commit, library_versions
from training.train import evaluate_bundle

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
    """Refuse a Keras model whose input does not fit these log-mel windows or whose outputs are not one
    per genre, saying what to change (its answers are checked by :func:`probe`)."""
    model_in = tuple(model.input_shape[1:])
    if model_in != features.input_shape:
        raise BundleError(
            f"the model takes input {model_in}, but {features.n_mels} mel bands and windows of "
            f"{features.frames_per_window} frames give {features.input_shape}: {_fit_hint(model_in, features)}"
        )
    outputs = model.output_shape[-1]
    if outputs != len(genres):
        raise BundleError(f"the model has {outputs} outputs but {len(genres)} genres were given ({', '.join(genres)})")


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


def runtime_of(model: str | Path) -> RuntimeSpec:
    """``FILE.keras``, ``FILE.onnx`` or ``package.module:function`` -> what runs it."""
    path = Path(model)
    if path.suffix == ".onnx":
        return RuntimeSpec(kind="onnx", target=ONNX_FILE)
    if path.suffix == ".keras":
        return RuntimeSpec(kind="keras", target=MODEL_FILE)
    if ":" in str(model) and not path.exists():
        return RuntimeSpec(kind="callable", target=str(model))
    raise ParameterError(f"{model}: give a .keras or .onnx file, or a callable as package.module:function")


def create_bundle(
    model: str | Path,
    out: Path,
    *,
    genres: list[str],
    model_input: ModelInput | None = None,
    output: Output | None = None,
    features: FeatureSettings | None = None,
    normalisation: Normalisation | None = None,
    eval_data: Path | None = None,
    description: str = NOT_RECORDED,
    provenance: dict | None = None,
    explanation_defaults: dict | None = None,
) -> BundleMeta:
    """Check ``model`` against what it is declared to take and answer, then write the bundle ``out``.

    model : a ``.keras`` or ``.onnx`` file (copied into the bundle), or ``package.module:function``.
    model_input : our log-mel windows (default), a waveform or a filterbank.
    features : the log-mel windows' settings; for audio inputs, default: the input's own grid.
    normalisation : per-band mean and std of log-mel windows; ``None``: taken as they are.
    The bundle is written to a draft folder, loaded through the serving code (every check it makes:
    ONNX operators and external data, input shapes, output count) and probed with noise, whose answer
    must be probabilities of the declared ``output`` kind; only then is the draft renamed to ``out``.
    """
    out = Path(out)
    if out.exists():
        raise ParameterError(f"{out} exists already; choose a new bundle folder")
    runtime = runtime_of(model)
    model_input = model_input or LogMelWindows()
    output = output or Output()
    takes_audio = model_input.kind != "logmel_windows"
    architecture = f"own: {Path(model).name if runtime.kind != 'callable' else model}"
    training = {"source": str(model)}
    if runtime.kind == "keras":
        keras_model = read_keras_model(Path(model))
        if not takes_audio:
            check_model(keras_model, genres, features or FeatureSettings())
        architecture, training["parameters"] = f"own: {keras_model.name}", int(keras_model.count_params())
    if takes_audio:
        features = features or model_input.grid()
    features = features or FeatureSettings()
    if not takes_audio and normalisation is None:
        normalisation = Normalisation(mean=[0.0] * features.n_mels, std=[1.0] * features.n_mels)
    tracks = eval_tracks(eval_data, genres) if eval_data is not None else []
    meta = BundleMeta(
        format_version=FORMAT_VERSION,
        name=out.name,
        architecture=architecture,
        genres=genres,
        features=features,
        normalisation=normalisation,
        input=model_input,
        output=output,
        runtime=runtime,
        provenance={"description": description, **(provenance or {})},
        explanation_defaults=ExplanationParams(**(explanation_defaults or {})).model_dump(
            mode="json", include=set(explanation_defaults or {})
        ),
        split=SplitInfo(
            source=f"eval-data: {eval_data}", tracks={"test": len(tracks)}, test_tracks=[t.relpath for t in tracks]
        )
        if tracks
        else None,
        training_data=TrainingData(description=description, dataset="external", tracks=0, windows={}),
        training=training,
        versions=library_versions(),
        git_commit=git_commit(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    draft = out.with_name(f".{out.name}.draft")
    shutil.rmtree(draft, ignore_errors=True)
    draft.mkdir(parents=True)
    try:
        if runtime.kind != "callable":
            shutil.copyfile(model, draft / runtime.target)
        write_bundle_meta(draft, meta.model_copy(update={"name": out.name}))
        probe(GenreClassifier.load(draft))
        draft.rename(out)
    finally:
        shutil.rmtree(draft, ignore_errors=True)
    if not tracks:
        return meta
    if takes_audio:
        return evaluate_audio_bundle(out, tracks)
    test = build_windows(tracks, features, workers=1, desc="held-out windows", genres=tuple(genres))
    return evaluate_bundle(out, test)


def probe(classifier: GenreClassifier) -> None:
    """Feed the loaded model seeded noise as the service would; refuse it, saying what to change, when
    its input does not fit or its answers are not probabilities of the declared kind."""
    noise = np.random.default_rng(0).standard_normal(3 * classifier.features.sample_rate).astype(np.float32) * 0.1
    try:
        probs = classifier.classify(noise).window_probabilities
    except ParameterError as exc:
        raise BundleError(
            f"the model does not take the declared input ({exc.detail}); declare the input it was exported "
            "with: --input waveform (samples), --input filterbank with its --fbank-* settings, or log-mel windows"
        ) from exc
    problem = classifier.meta.output.problem(probs)
    if problem is not None:
        raise BundleError(
            f"the model's answers to a probe clip are not {classifier.meta.output.kind} probabilities: {problem}"
        )


def evaluate_audio_bundle(bundle: Path, tracks: list[Track]) -> BundleMeta:
    """Held-out metrics of a model that takes audio, each clip decoded and classified as the service does."""
    classifier = GenreClassifier.load(bundle)
    rate, genres = classifier.features.sample_rate, list(classifier.genres)
    right = pieces_right = pieces = 0
    for track in tracks:
        audio = load_audio(Path(track.path), sr=rate)
        prediction = classifier.classify(audio.samples)
        label = genres.index(track.genre)
        right += int(np.argmax(prediction.probabilities) == label)
        pieces_right += int((prediction.window_probabilities.argmax(axis=1) == label).sum())
        pieces += len(prediction.window_probabilities)
    metrics = TestMetrics(clip_accuracy=right / len(tracks), window_accuracy=pieces_right / pieces, tracks=len(tracks))
    meta = classifier.meta.model_copy(update={"metrics": Metrics(test=metrics)})
    write_bundle_meta(bundle, meta)
    return meta
