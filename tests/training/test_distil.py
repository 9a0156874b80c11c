"""The student: it reads its teacher's features, learns the teacher's answers (mixed with the truth on
labelled windows), and is refused a teacher whose features it cannot read."""

import numpy as np
import pytest

from musicxai.errors import ParameterError
from musicxai.model.bundle import read_bundle_meta
from musicxai.model.classifier import GenreClassifier
from tests.support.data import train_tiny
from training.distil import LABEL_SHARE, soft_targets


@pytest.mark.slow
def test_targets_mix_the_truth_into_the_teachers_answers(tiny_transfer_bundle):
    teacher = GenreClassifier.load(tiny_transfer_bundle)
    windows = np.random.default_rng(0).uniform(0, 2, (5, teacher.features.n_mels, teacher.features.frames_per_window))
    said = teacher.window_probabilities(windows)
    np.testing.assert_allclose(soft_targets(teacher, windows, None), said)
    mixed = soft_targets(teacher, windows, np.array([0, 1, 2, 3, 4]))
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(mixed[2, 2], LABEL_SHARE + (1 - LABEL_SHARE) * said[2, 2], atol=1e-6)


@pytest.mark.slow
def test_a_student_reads_its_teachers_features_and_records_it(tiny_gtzan, tiny_transfer_bundle, tmp_path):
    out = train_tiny(tiny_gtzan, tmp_path / "student", arch="cnn-student", teacher=tiny_transfer_bundle, epochs=1)
    meta = read_bundle_meta(out)
    assert meta.features == read_bundle_meta(tiny_transfer_bundle).features
    assert meta.training["teacher"] == tiny_transfer_bundle.name and meta.metrics is not None
    with pytest.raises(ParameterError, match="teacher"):
        train_tiny(tiny_gtzan, tmp_path / "orphan", arch="cnn-student", epochs=1)
