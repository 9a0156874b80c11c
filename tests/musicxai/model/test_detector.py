"""The served music detector: which windows it reads, its refusal of a broken folder, and its answer
on generated noise and tones (not music) next to the threshold it was fitted with."""

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from musicxai.audio.decode import load_audio
from musicxai.errors import BundleError
from musicxai.model.bundle import MODEL_FILE
from musicxai.model.detector import DETECTOR_FILE, DetectorMeta, MusicDetector, clip_music_probability, spread_windows
from musicxai.model.features import Normalisation, clip_log_mel
from tests.support.audio import SR, tone_clip
from training.detector import clip_windows_of, pooled_clips
from training.detector_distil import build_student, embed_clips

DETECTOR = "models/detector"


def test_windows_are_spread_from_first_to_last_and_capped():
    windows = np.arange(19)[:, None, None]
    assert spread_windows(windows, 10)[:, 0, 0].tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert len(spread_windows(windows[:4], 10)) == 4


def test_probability_is_the_logistic_of_the_pooled_embedding():
    embeddings = np.array([[1.0, 0.0], [3.0, 0.0]])  # mean (2, 0), std (1, 0)
    assert clip_music_probability(embeddings, [1.0, 0.0, -1.0, 0.0], 0.0) == pytest.approx(1 / (1 + np.exp(-1.0)))


def test_a_folder_without_its_files_or_with_a_bad_document_is_refused(tmp_path):
    with pytest.raises(BundleError, match="not a music detector"):
        MusicDetector.load(tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(DETECTOR, broken)
    meta = json.loads((broken / DETECTOR_FILE).read_text())
    meta["threshold"] = 2.0
    (broken / DETECTOR_FILE).write_text(json.dumps(meta))
    with pytest.raises(BundleError, match="threshold"):
        MusicDetector.load(broken)


@pytest.mark.slow
@pytest.mark.parametrize("folder", [DETECTOR, "models/detector-distilled"])
def test_generated_noise_and_a_steady_tone_are_not_music(folder):
    detector = MusicDetector.load(folder)
    t = np.arange(10 * SR) / SR
    noise = 0.1 * np.random.default_rng(0).standard_normal(t.size).astype(np.float32)
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for y in (noise, tone):
        assert not detector.is_music(detector.music_probability(y, SR))


@pytest.mark.slow
def test_a_log_mel_in_its_own_features_gives_the_same_answer_as_the_samples():
    detector = MusicDetector.load(DETECTOR)
    features = detector.meta.features
    y = np.concatenate([tone_clip(g, 0, 2.0, features.sample_rate) for g in range(4)]).astype(np.float32)
    from_samples = detector.music_probability(y, features.sample_rate)
    S = clip_log_mel(y, features)
    assert detector.music_probability(y, features.sample_rate, log_mel=(S, features)) == pytest.approx(from_samples)
    other = features.model_copy(update={"n_mels": 64})  # not its features: computed from the samples again
    assert detector.music_probability(y, features.sample_rate, log_mel=(S[:64], other)) == pytest.approx(from_samples)


@pytest.mark.slow
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
