import numpy as np

from musicxai.explain.faithfulness import deletion_insertion


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
    curves = deletion_insertion(AdditiveGame(importance), importance, 0, n_random=5)
    assert curves.deletion[0] == 1.0 or abs(curves.deletion[0] - 1.0) < 1e-9
    assert abs(curves.deletion[-1]) < 1e-9 and abs(curves.insertion[-1] - 1.0) < 1e-9
    assert curves.deletion_auc < curves.random_deletion_auc
    assert curves.insertion_auc > curves.random_insertion_auc


def test_reversed_ranking_is_worse_than_random():
    importance = np.linspace(1, 0, 20)
    importance /= importance.sum()
    curves = deletion_insertion(AdditiveGame(importance), -importance, 0, n_random=5)
    assert curves.deletion_auc > curves.random_deletion_auc
