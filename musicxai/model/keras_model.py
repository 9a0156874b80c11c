"""``model.keras`` on the chosen Keras backend: loaded and checked against its bundle, compiled into
one batch call, differentiated, and sized.

The same file runs on two Keras 3 backends. TensorFlow (CPU hosts): one ``tf.function`` with a fixed
input signature (only the batch size is free), traced once per process; gradients by
``GradientTape``. JAX (GPU workers, where TensorFlow is not installed): ``jax.jit`` over
``model.stateless_call``, compiled once per input shape; gradients by ``jax.grad``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import numpy as np

from musicxai.config import Backend
from musicxai.errors import BundleError, ParameterError

BACKENDS: tuple[Backend, ...] = get_args(Backend)

ModelCall = Callable[[np.ndarray], np.ndarray]


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
        if "safe_mode" in str(exc):
            raise BundleError(
                f"{model_path} holds code (a Lambda layer or a custom object) that Keras will only load with "
                "safe_mode=False, which would run whatever the file says; replace it with a built-in or registered "
                "layer, or export the model to ONNX and wrap it with --onnx"
            ) from exc
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


def backend_device(backend: str | None) -> str:
    """Where a model on ``backend`` (None: Keras's own) runs: the CPU, or JAX's first device."""
    import keras

    if (backend or keras.backend.backend()) == "jax":
        import jax

        return str(jax.devices()[0].platform)
    return "cpu"


def tensorflow_call(model) -> ModelCall:
    """One ``tf.function`` over ``model`` with only the batch size free: traced once."""
    import tensorflow as tf

    spec = tf.TensorSpec(shape=(None, *model.input_shape[1:]), dtype=tf.float32)
    fn = tf.function(lambda x: model(x, training=False), input_signature=[spec], reduce_retracing=True)
    return lambda x: fn(x).numpy()


def jax_forward(model):
    """``jax.jit`` over ``model.stateless_call`` with the weights as they are: x -> outputs (a jax.Array)."""
    import jax

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]

    @jax.jit
    def forward(x):
        outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
        return outputs

    return forward


def input_gradients(model, x: np.ndarray, target: int) -> np.ndarray:
    """d p[target] / d x for each window of ``x`` [shape=(n, *model input)], float32, same shape.

    Always through Keras: ONNX Runtime, which serves forward passes on CPUs, computes no gradients."""
    import keras

    backend = keras.backend.backend()
    x = np.ascontiguousarray(x, dtype=np.float32)
    if backend == "tensorflow":
        import tensorflow as tf

        inputs = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            total = tf.reduce_sum(model(inputs, training=False)[:, target])
        return tape.gradient(total, inputs).numpy()
    if backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        def total(inputs):
            outputs, _ = model.stateless_call(trainable, non_trainable, inputs, training=False)
            return outputs[:, target].sum()

        return np.asarray(jax.grad(total)(x), dtype=np.float32)
    raise BundleError(f"gradients need the tensorflow or jax backend, not {backend!r}")


def activation_bytes(model) -> int:
    """Bytes of float32 activations one window leaves behind in ``model`` (every layer's output, those
    of nested models included): an upper bound of what a runtime that frees nothing early holds."""
    import keras

    def outputs(m) -> int:
        total = 0
        for layer in m.layers:
            if isinstance(layer, keras.Model):
                total += outputs(layer)
            elif not isinstance(layer, keras.layers.InputLayer):
                total += int(np.prod([d for d in layer.output.shape[1:] if d is not None]))
        return total

    return 4 * outputs(model)
