"""The served music detector: which windows it reads, its refusal of a broken folder, and its answer
on generated noise and tones (not music) next to the threshold it was fitted with."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from musicxai.audio.decode import load_audio
from musicxai.errors import BundleError
from musicxai.model.bundle import MODEL_FILE
from musicxai.model.detector import (
    DETECTOR_FILE,
    SCREEN_DIR,
    DetectorMeta,
    MusicDetector,
    clip_music_probability,
    spread_windows,
)
from musicxai.model.features import Normalisation, clip_log_mel
from tests.conftest import SR, tone_clip
from training.detector import clip_windows_of, pooled_clips
from training.detector_distil import build_student, embed_clips

DETECTOR = "models/detector"
DISTILLED = "models/detector-distilled"


def test_windows_are_spread_from_first_to_last_and_capped():
    windows = np.arange(19)[:, None, None]
    assert spread_windows(windows, 10)[:, 0, 0].tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert len(spread_windows(windows[:4], 10)) == 4


def test_probability_is_the_logistic_of_the_pooled_embedding():
    embeddings = np.array([[1.0, 0.0], [3.0, 0.0]])  # mean (2, 0), std (1, 0)
    assert clip_music_probability(embeddings, [1.0, 0.0, -1.0, 0.0], 0.0) == pytest.approx(1 / (1 + np.exp(-1.0)))


def changed_copy(folder: str, to: Path, **changes) -> Path:
    """A copy of a detector folder with some fields of its document changed."""
    shutil.copytree(folder, to, ignore=shutil.ignore_patterns(SCREEN_DIR))
    meta = json.loads((to / DETECTOR_FILE).read_text())
    (to / DETECTOR_FILE).write_text(json.dumps({**meta, **changes}))
    return to


def test_a_folder_without_its_files_or_with_a_bad_document_is_refused(tmp_path):
    with pytest.raises(BundleError, match="not a music detector"):
        MusicDetector.load(tmp_path)
    with pytest.raises(BundleError, match="threshold"):
        MusicDetector.load(changed_copy(DETECTOR, tmp_path / "broken", threshold=2.0))


@pytest.mark.parametrize("folder", [DETECTOR, DISTILLED])
def test_generated_noise_and_a_steady_tone_are_not_music(folder):
    detector = MusicDetector.load(folder)
    t = np.arange(10 * SR) / SR
    noise = 0.1 * np.random.default_rng(0).standard_normal(t.size).astype(np.float32)
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for y in (noise, tone):
        assert not detector.verdict(y, SR).is_music


def test_a_log_mel_in_its_own_features_gives_the_same_answer_as_the_samples():
    detector = MusicDetector.load(DETECTOR)
    features = detector.meta.features
    y = np.concatenate([tone_clip(g, 0, 2.0, features.sample_rate) for g in range(4)]).astype(np.float32)
    from_samples = detector.music_probability(y, features.sample_rate)
    S = clip_log_mel(y, features)
    assert detector.music_probability(y, features.sample_rate, log_mel=(S, features)) == pytest.approx(from_samples)
    other = features.model_copy(update={"n_mels": 64})  # not its features: computed from the samples again
    assert detector.music_probability(y, features.sample_rate, log_mel=(S[:64], other)) == pytest.approx(from_samples)


def test_a_distilled_folder_serves_what_training_computed(tmp_path):
    features = MusicDetector.load(DETECTOR).meta.features
    student = build_student(features.input_shape, 4)
    rng = np.random.default_rng(0)
    norm = Normalisation(mean=rng.uniform(-3, -1, features.n_mels).tolist(), std=rng.uniform(0.5, 2, 96).tolist())
    weights, bias = rng.standard_normal(8), 0.3
    meta = DetectorMeta(
        features=features, normalisation=norm, max_windows=10, weights=weights.tolist(), bias=bias, threshold=0.5
    )
    student.save(tmp_path / MODEL_FILE)
    (tmp_path / DETECTOR_FILE).write_text(meta.model_dump_json())
    clip = tmp_path / "clip.wav"
    y = np.concatenate([tone_clip(g, 0, 2.0, SR) for g in range(12)]).astype(np.float32)  # 24 s: 15 windows
    sf.write(clip, y, SR)
    embedded = embed_clips(student, clip_windows_of([clip], features), norm)
    assert embedded[0].shape == (15, 4)  # every window; the pooling reads 10 of them, as the service does
    trained = 1 / (1 + np.exp(-(pooled_clips(embedded)[0] @ weights + bias)))
    served = MusicDetector.load(tmp_path)
    audio = load_audio(clip, sr=features.sample_rate)
    assert served.music_probability(audio.samples, audio.sample_rate) == pytest.approx(trained, abs=1e-5)


def screened(tmp_path: Path, not_music_below: float, music_above: float, screen: str = DISTILLED) -> MusicDetector:
    """The tagger detector with ``screen`` in its folder answering outside the given band."""
    band = {"not_music_below": not_music_below, "music_above": music_above}
    folder = changed_copy(DETECTOR, tmp_path / "screened", screen=band)
    shutil.copytree(screen, folder / SCREEN_DIR)
    return MusicDetector.load(folder)


def test_the_screen_answers_outside_its_band_and_the_main_model_inside(tmp_path):
    y = np.concatenate([tone_clip(g, 0, 2.0, SR) for g in range(6)]).astype(np.float32)
    main, screen = MusicDetector.load(DETECTOR), MusicDetector.load(DISTILLED)
    always = screened(tmp_path / "a", 0.0, 0.0).verdict(y, SR)  # every probability is >= 0: the screen says music
    assert (always.by, always.is_music) == ("screen", True)
    assert always.probability == pytest.approx(screen.music_probability(y, SR), abs=1e-6)
    unsure = screened(tmp_path / "b", 0.0, 1.0)  # nothing is surely anything: the main model answers
    verdict = unsure.verdict(y, SR)
    assert verdict.by == "model"
    assert verdict.probability == pytest.approx(main.music_probability(y, SR), abs=1e-6)
    assert verdict.is_music == (verdict.probability >= main.meta.threshold)
    # a threshold of the caller's own is one for the main model: the screen is not asked
    sure = screened(tmp_path / "c", 0.0, 0.0)
    assert sure.verdict(y, SR, threshold=0.999).by == "model"
    assert not sure.verdict(y, SR, threshold=0.999).is_music


def test_a_screen_reading_other_windows_or_an_upside_down_band_is_refused(tmp_path):
    other = changed_copy(DISTILLED, tmp_path / "other", max_windows=3)
    with pytest.raises(BundleError, match="same windows"):
        screened(tmp_path / "a", 0.1, 0.9, screen=other)
    with pytest.raises(BundleError, match="lies above"):
        screened(tmp_path / "b", 0.9, 0.1)
