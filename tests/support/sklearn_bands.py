"""A scikit-learn pipeline over librosa features, served as a Python callable (``tests.support.sklearn_bands:predict``).

The shape of a classic GTZAN notebook: log mel-band power of the clip, standardised, a logistic
regression; fitted once, on first use, to seeded clips of :func:`tests.support.models.band_clip`.
"""

from __future__ import annotations

from functools import cache

import librosa
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests.support.models import LABELS, RATE, band_clip


def features(y: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean log power of 32 mel bands [shape=(32,)]."""
    power = librosa.feature.melspectrogram(y=y, sr=sample_rate, n_fft=1024, hop_length=512, n_mels=32)
    return np.log(power.mean(axis=1) + 1e-8)


@cache
def pipeline():
    X, labels = [], []
    for seed in range(12):
        for label in range(len(LABELS)):
            X.append(features(band_clip(3.0, loud=label, seed=seed), RATE))
            labels.append(label)
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.05)).fit(np.stack(X), labels)


def predict(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """The callable a bundle names: one clip -> probabilities of LABELS."""
    return pipeline().predict_proba(features(waveform, sample_rate)[None])[0]
