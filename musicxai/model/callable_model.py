"""A Python function as the model: ``package.module:function(waveform, sample_rate) -> probabilities``.

For anything neither ONNX nor Keras (a scikit-learn pipeline over librosa features, a PyTorch model
where the operator installs torch). The function is trusted code: it runs inside the worker with
the worker's rights, so only an operator who installed its package can name it in a bundle; an
upload can never name one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np

from musicxai.errors import BundleError
from musicxai.model.runner import ModelRunner


def import_callable(target: str) -> Callable[[np.ndarray, int], np.ndarray]:
    """``package.module:function`` -> the function, or a :class:`BundleError` saying what is missing."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise BundleError(f"callable {target!r} must be written package.module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BundleError(
            f"cannot import {module_name!r} for callable {target!r} ({exc}); install its package where the service runs"
        ) from exc
    function = getattr(module, attr, None)
    if not callable(function):
        raise BundleError(f"{module_name!r} has no function {attr!r}")
    return function


def callable_runner(target: str, *, sample_rate: int, num_outputs: int, warm_shape: tuple[int, ...]) -> ModelRunner:
    """A runner that calls ``target`` once per waveform of a batch."""
    function = import_callable(target)

    def call(x: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(function(y, sample_rate), dtype=np.float32).reshape(-1) for y in x])

    return ModelRunner.for_call(
        call, input_shape=(None,), num_outputs=num_outputs, runtime="python", batch_size=64, warm_shape=warm_shape
    )
