"""``model.keras`` loaded on the chosen Keras backend and checked against what its bundle promises."""

from __future__ import annotations

import os
from pathlib import Path
from typing import get_args

from musicxai.config import Backend
from musicxai.errors import BundleError, ParameterError

BACKENDS: tuple[Backend, ...] = get_args(Backend)


def import_keras(backend: Backend | None):
    """Keras, started on ``backend``: Keras reads ``KERAS_BACKEND`` once, at its first import."""
    if backend is not None and backend not in BACKENDS:
        raise ParameterError(f"backend={backend!r} must be one of {BACKENDS}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    if backend is not None:
        os.environ.setdefault("KERAS_BACKEND", backend)
    import keras

    if backend is not None and keras.backend.backend() != backend:
        raise ParameterError(
            f"backend={backend!r} was asked for, but Keras was already started with "
            f"{keras.backend.backend()!r} in this process (set KERAS_BACKEND before start-up)"
        )
    return keras


def read_keras_model(model_path: Path, *, backend: Backend | None = None):
    """The ``keras.Model`` in ``model_path``, unchecked; a file Keras cannot read is a :class:`BundleError`."""
    keras = import_keras(backend)
    try:
        return keras.saving.load_model(model_path, compile=False)
    except Exception as exc:  # Keras raises many types for a broken file
        raise BundleError(f"{model_path} could not be loaded by Keras: {exc}") from exc


def load_keras_model(
    model_path: Path, *, input_shape: tuple[int, int, int], num_classes: int, backend: Backend | None = None
):
    """The ``keras.Model`` in ``model_path``.

    input_shape : (n_mels, frames, 1) the bundle's features give; the model must agree.
    num_classes : number of genres the bundle lists; the model's output must agree.
    """
    model = read_keras_model(model_path, backend=backend)
    model_in = tuple(model.input_shape[1:])
    model_out = model.output_shape[-1]
    if model_in != tuple(input_shape):
        raise BundleError(f"{model_path} takes input {model_in} but the bundle's features give {tuple(input_shape)}")
    if model_out != num_classes:
        raise BundleError(f"{model_path} outputs {model_out} classes but the bundle lists {num_classes}")
    return model
