import json

import numpy as np
import pandas as pd
import pytest

from training.ale import ale_effector, ale_pyale


@pytest.fixture(scope="module")
def toy():
    """A predictor with a known linear effect of `a`, a known quadratic effect of `b`, none of `c`."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(-1, 1, (400, 3)), columns=["a", "b", "c"])

    def predict(rows):
        rows = np.asarray(rows, dtype=float)
        return 0.5 * rows[:, 0] + rows[:, 1] ** 2 + 0.0 * rows[:, 2]

    return X, predict


def centred(values, grid, data):
    return values - np.mean(np.interp(data, grid, values))


@pytest.mark.parametrize("engine", [ale_pyale, ale_effector])
def test_ale_recovers_known_linear_and_quadratic_effects(toy, engine):
    X, predict = toy
    for column, truth in (("a", lambda x: 0.5 * x), ("b", lambda x: x**2)):
        edges, effect, lower, upper, counts = engine(predict, X, column, 10)
        expected = centred(truth(edges), edges, X[column].to_numpy())
        assert np.max(np.abs(effect - expected)) < 0.05
        assert np.all(lower <= effect + 1e-9) and np.all(upper >= effect - 1e-9)
        assert counts.sum() == len(X)
    edges, effect, *_ = engine(predict, X, "c", 10)
    assert np.max(np.abs(effect)) < 1e-9


def test_bundle_ale_artifacts_cover_every_genre(tiny_bundle):
    index = json.loads((tiny_bundle / "ale" / "index.json").read_text())
    assert {d["name"] for d in index["descriptors"]} == {"band1_level", "centroid", "mfcc1", "flatness"}
    curve = json.loads((tiny_bundle / "ale" / "centroid.json").read_text())
    assert len(curve["effects"]) == 10 and curve["unit"] == "Hz"
    assert len(curve["counts"]) == len(curve["edges"]) - 1
    assert sum(curve["counts"]) == len(curve["values"]) == 10  # the tiny bundle's held-out tracks
    assert (tiny_bundle / "ale" / "centroid.png").read_bytes()[:4] == b"\x89PNG"
