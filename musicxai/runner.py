"""The one object that calls the Keras model: batching, a compiled call, and a call counter.

Keras 3 with the TensorFlow backend runs on the CPU; the compiled call has a fixed input signature
(only the batch size is free) so it is traced once per process, never per request.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np

from musicxai.errors import BundleError, ParameterError

DEFAULT_BATCH = 256


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
    ) -> None:
        if batch_size <= 0:
            raise ParameterError(f"batch_size={batch_size} must be positive")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import keras

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
        self.calls = 0
        self.windows = 0
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._call = self._compile()

    def _compile(self):
        if self.backend != "tensorflow":
            return lambda x: np.asarray(self.model(x, training=False))
        import tensorflow as tf

        spec = tf.TensorSpec(shape=(None, *self.input_shape), dtype=tf.float32)
        fn = tf.function(lambda x: self.model(x, training=False), input_signature=[spec], reduce_retracing=True)
        return lambda x: fn(x).numpy()

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
        """Trace the compiled call before the first request pays for it."""
        self.predict(np.zeros((1, *self.input_shape), dtype=np.float32))
