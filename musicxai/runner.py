"""The one object that calls the Keras model: batching, a compiled call, and a call counter.

The same ``model.keras`` runs on two Keras 3 backends. TensorFlow (the CPU default): one
``tf.function`` with a fixed input signature (only the batch size is free), traced once per process.
JAX (GPU workers, where TensorFlow is not installed): ``jax.jit`` over ``model.stateless_call``; JAX
compiles once per input shape, so batches are padded to a few fixed bucket sizes, all compiled by
:meth:`ModelRunner.warm_up` before the first job.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np

from musicxai.errors import BundleError, ParameterError

DEFAULT_BATCH = 256
BACKENDS = ("tensorflow", "jax")


class ModelRunner:
    """Loads ``model.keras`` once and serves batched window probabilities.

    Parameters
    ----------
    model_path : the bundle's ``model.keras``
    input_shape : (n_mels, frames, 1) the bundle's features promise; the model must agree.
    num_classes : number of genres the bundle lists; the model's output must agree.
    batch_size : windows per model call; larger inputs are streamed in chunks of this size.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        input_shape: tuple[int, int, int],
        num_classes: int,
        batch_size: int = DEFAULT_BATCH,
        backend: str | None = None,
    ) -> None:
        if batch_size <= 0:
            raise ParameterError(f"batch_size={batch_size} must be positive")
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

        try:
            self.model = keras.saving.load_model(model_path, compile=False)
        except Exception as exc:  # Keras raises many types for a broken file
            raise BundleError(f"{model_path} could not be loaded by Keras: {exc}") from exc
        model_in = tuple(self.model.input_shape[1:])
        model_out = self.model.output_shape[-1]
        if model_in != tuple(input_shape):
            raise BundleError(
                f"{model_path} takes input {model_in} but the bundle's features give {tuple(input_shape)}"
            )
        if model_out != num_classes:
            raise BundleError(f"{model_path} outputs {model_out} classes but the bundle lists {num_classes}")
        self.input_shape = tuple(input_shape)
        self.batch_size = batch_size
        self.backend = keras.backend.backend()
        self.buckets = tuple(sorted({b for b in (1, 8, 32, 128) if b < batch_size} | {batch_size}))
        self.calls = 0
        self.windows = 0
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._call = self._compile()

    def _compile(self):
        if self.backend == "tensorflow":
            import tensorflow as tf

            spec = tf.TensorSpec(shape=(None, *self.input_shape), dtype=tf.float32)
            fn = tf.function(lambda x: self.model(x, training=False), input_signature=[spec], reduce_retracing=True)
            return lambda x: fn(x).numpy()
        if self.backend == "jax":
            return self._compile_jax()
        raise BundleError(f"Keras backend {self.backend!r} is not supported; use one of {BACKENDS}")

    def _compile_jax(self):
        import jax

        model = self.model
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        @jax.jit
        def forward(x):
            outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return outputs

        def call(x: np.ndarray) -> np.ndarray:
            n = x.shape[0]
            bucket = next(b for b in self.buckets if b >= n)
            if bucket != n:
                x = np.concatenate([x, np.zeros((bucket - n, *x.shape[1:]), dtype=x.dtype)])
            return np.asarray(forward(x))[:n]

        return call

    @property
    def device(self) -> str:
        if self.backend == "jax":
            import jax

            return str(jax.devices()[0].platform)
        return "cpu"

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Window probabilities.

        x : np.ndarray [shape=(n, n_mels, frames, 1)], normalised float32
        Returns np.ndarray [shape=(n, num_classes)], rows sum to 1.
        """
        if x.ndim != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ParameterError(f"model input must have shape (n, {self.input_shape}), got {x.shape}")
        if x.shape[0] == 0:
            return np.zeros((0, self.model.output_shape[-1]), dtype=np.float32)
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = []
        start = time.perf_counter()
        with self._lock:
            for i in range(0, x.shape[0], self.batch_size):
                out.append(self._call(x[i : i + self.batch_size]))
                self.calls += 1
            self.windows += x.shape[0]
            self.seconds += time.perf_counter() - start
        return np.concatenate(out, axis=0).astype(np.float32)

    def warm_up(self) -> None:
        """Compile every batch shape the runner will use before the first request pays for it."""
        for size in self.buckets if self.backend == "jax" else (1,):
            self._call(np.zeros((size, *self.input_shape), dtype=np.float32))
