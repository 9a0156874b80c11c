import numpy as np
import pytest

from musicxai.errors import ParameterError
from musicxai.explain.faithfulness import curve_steps, deletion_insertion


class AdditiveGame:
    """A stand-in model whose score is the sum of the kept segments' true importances."""

    def __init__(self, importance):
        self.importance = np.asarray(importance)

    def __call__(self, Z, *, progress=None):
        score = Z.astype(float) @ self.importance
        return np.stack([score, 1 - score], axis=1)


def test_true_ranking_beats_random_orders_on_deletion_and_insertion():
    rng = np.random.default_rng(0)
    importance = rng.dirichlet(np.ones(30) * 0.3)
    curves = deletion_insertion(AdditiveGame(importance), importance, 0, n_random=6)
    assert curves.deletion[0] == 1.0 or abs(curves.deletion[0] - 1.0) < 1e-9
    assert abs(curves.deletion[-1]) < 1e-9 and abs(curves.insertion[-1] - 1.0) < 1e-9
    assert curves.deletion_auc < curves.random_deletion_auc
    assert curves.insertion_auc > curves.random_insertion_auc


def test_reversed_ranking_is_worse_than_random():
    importance = np.linspace(1, 0, 20)
    importance /= importance.sum()
    curves = deletion_insertion(AdditiveGame(importance), -importance, 0, n_random=6)
    assert curves.deletion_auc > curves.random_deletion_auc


class RecordingGame(AdditiveGame):
    """Also remembers every mask it was asked about."""

    def __init__(self, importance):
        super().__init__(importance)
        self.masks = []

    def __call__(self, Z, *, progress=None):
        self.masks += [row.tobytes() for row in np.asarray(Z, dtype=bool)]
        return super().__call__(Z, progress=progress)


@pytest.mark.parametrize(("k", "max_points"), [(160, 40), (37, 10), (7, 40), (33, 40)])
def testcurve_steps_are_symmetric_and_span_the_whole_order(k, max_points):
    steps = curve_steps(k, max_points)
    assert steps[0] == 0 and steps[-1] == k
    assert set(steps) == set(k - steps)


def test_an_order_and_its_reverse_ask_the_model_about_the_same_masks():
    k, n_random = 40, 4
    game = RecordingGame(np.random.default_rng(1).dirichlet(np.ones(k)))
    curves = deletion_insertion(game, np.arange(k, dtype=float), 0, n_random=n_random)
    # so the random insertion curve is the random deletion curve read backwards
    np.testing.assert_allclose(curves.random_insertion, curves.random_deletion[::-1], atol=1e-5)
    assert abs(curves.random_insertion_auc - curves.random_deletion_auc) < 1e-5
    points = len(curve_steps(k, 40))
    random_masks = game.masks[2 * points :]  # the ranked order's two curves come first
    assert len(random_masks) == 2 * n_random * points
    assert len(set(random_masks)) <= n_random * points  # each pair's insertion masks are its deletion masks


def test_an_odd_number_of_random_orders_is_refused():
    with pytest.raises(ParameterError, match="even"):
        deletion_insertion(AdditiveGame(np.ones(5) / 5), np.ones(5), 0, n_random=3)
