"""The one object that calls a model: batching, a compiled call, a lock, and counts of its work.

Every model call of a process goes through :meth:`ModelRunner.predict` (or, on JAX,
:meth:`ModelRunner.masked_predict`, whose windows are composed on the device), in batches of at
most ``batch_size`` windows. On the CPU that size is cut for models whose activations would pass
the memory budget; on JAX, batches are padded to a few fixed bucket sizes, all compiled by
:meth:`ModelRunner.warm_up` before the first job. The runner keeps its own totals, and a caller that
wants its own share of the work passes a :class:`CallTally`, updated under the same lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import numpy as np

from musicxai.config import DEFAULT_RUNNER, MODEL_BATCH_SIZE, RunnerOptions, Runtime
from musicxai.errors import BundleError, ParameterError
from musicxai.model.device_composition import DeviceClip, DeviceComposer
from musicxai.model.keras_model import (
    BACKENDS,
    activation_bytes,
    backend_device,
    jax_forward,
    load_keras_model,
    tensorflow_call,
)
from musicxai.model.onnx_runtime import onnx_call

log = logging.getLogger(__name__)
JAX_BUCKETS = (8, 32, 128, 512, 2048)  # few batch shapes, so few compiles; 2048 fills an H200


@dataclass
class CallTally:
    """Model calls made, windows evaluated and seconds spent: a runner's totals, or one caller's share."""

    calls: int = 0
    windows: int = 0
    seconds: float = 0.0


def host_batch_size(model, options: RunnerOptions) -> int:
    """``options.batch_size``, or fewer windows where that many would hold more than
    ``options.memory_bytes`` of activations (a VGG window holds ~4x a small CNN's)."""
    fits = max(1, options.memory_bytes // max(1, activation_bytes(model)))
    if fits < options.batch_size:
        log.info(
            "%s: %d windows a model call, to keep its activations within %d MiB",
            model.name,
            fits,
            options.memory_bytes // 2**20,
        )
    return min(options.batch_size, fits)


class ModelRunner:
    """Serves batched outputs of one model: a loaded Keras model (:meth:`load` reads ``model.keras``)
    or any batch call (:meth:`for_call`).

    Parameters
    ----------
    model : a loaded ``keras.Model`` whose input is (n_mels, frames, 1)
    batch_size : inputs per model call; larger inputs are streamed in chunks of this size.
    """

    def __init__(self, model, *, batch_size: int = MODEL_BATCH_SIZE) -> None:
        import keras

        backend = keras.backend.backend()
        if backend not in ("tensorflow", "jax"):
            raise BundleError(f"Keras backend {backend!r} is not supported; use one of {BACKENDS}")
        input_shape = tuple(model.input_shape[1:])
        self._setup(
            tensorflow_call(model) if backend == "tensorflow" else None,
            input_shape=input_shape,
            num_outputs=int(model.output_shape[-1]),
            batch_size=batch_size,
            backend=backend,
            runtime=backend,
        )
        self.model = model
        if backend == "jax":  # JAX compiles once per shape: batches are padded up to a few buckets
            forward = jax_forward(model)
            self._call = self._padded(forward)
            self.composer = DeviceComposer(forward, self.input_shape, self._bucket)

    @classmethod
    def for_call(
        cls,
        call: Callable[[np.ndarray], np.ndarray],
        *,
        input_shape: tuple[int | None, ...],
        num_outputs: int,
        runtime: str,
        batch_size: int,
        warm_shape: tuple[int, ...],
    ) -> ModelRunner:
        """A runner around any batch call (an ONNX session, a Python function): the same batching,
        lock and counts as a Keras model's. ``None`` in ``input_shape`` is an axis of any length;
        ``warm_shape`` is one input :meth:`warm_up` calls it with."""
        runner = cls.__new__(cls)
        runner._setup(
            call,
            input_shape=input_shape,
            num_outputs=num_outputs,
            batch_size=batch_size,
            backend=runtime,
            runtime=runtime,
            warm_shape=warm_shape,
        )
        return runner

    def _setup(
        self,
        call,
        *,
        input_shape: tuple[int | None, ...],
        num_outputs: int,
        batch_size: int,
        backend: str,
        runtime: str,
        warm_shape: tuple[int, ...] | None = None,
    ) -> None:
        if batch_size <= 0:
            raise ParameterError(f"batch_size={batch_size} must be positive")
        self.model = None  # the Keras model, where there is one (gradients need it)
        self._call = call
        self.input_shape = input_shape
        self.warm_shape = warm_shape or tuple(input_shape)
        self.num_outputs = num_outputs
        self.batch_size = batch_size
        self.backend = backend
        self.runtime = runtime  # what executes the model: the Keras backend, onnxruntime, or python
        self.buckets = tuple(sorted({b for b in JAX_BUCKETS if b < batch_size} | {batch_size}))
        self.totals = CallTally()
        self._lock = threading.Lock()
        self.composer: DeviceComposer | None = None  # on JAX: windows composed on the device

    @classmethod
    def load(
        cls,
        model_path: Path,
        *,
        input_shape: tuple[int, int, int],
        num_classes: int,
        options: RunnerOptions = DEFAULT_RUNNER,
    ) -> ModelRunner:
        """Load ``model_path`` (:func:`~musicxai.model.keras_model.load_keras_model` checks it).

        options.runtime : on the TensorFlow backend, ``onnxruntime`` runs the model through ONNX Runtime
            where it converts and agrees with Keras (see :mod:`musicxai.model.onnx_runtime`), else Keras.
        """
        if options.runtime not in get_args(Runtime):
            raise ParameterError(f"runtime={options.runtime!r} must be one of {get_args(Runtime)}")
        model = load_keras_model(model_path, input_shape=input_shape, num_classes=num_classes, backend=options.backend)
        on_host = backend_device(options.backend) == "cpu"  # an accelerator's memory is sized by batch_size alone
        runner = cls(model, batch_size=host_batch_size(model, options) if on_host else options.batch_size)
        if options.runtime == "onnxruntime" and runner.backend == "tensorflow":
            fast = onnx_call(model, model_path, runner._call, cache_dir=options.cache_dir, threads=options.threads)
            if fast is not None:
                runner._call, runner.runtime = fast, "onnxruntime"
        return runner

    def _padded(self, forward):
        """JAX's call: a batch padded up to its bucket, so each bucket compiles once."""

        def call(x: np.ndarray) -> np.ndarray:
            n = x.shape[0]
            bucket = self._bucket(n)
            if bucket != n:
                x = np.concatenate([x, np.zeros((bucket - n, *x.shape[1:]), dtype=x.dtype)])
            return np.asarray(forward(x))[:n]

        return call

    def _bucket(self, n: int) -> int:
        """The compiled batch size that ``n`` windows are padded up to (n <= batch_size)."""
        return next(b for b in self.buckets if b >= n)

    @property
    def device(self) -> str:
        return backend_device(self.backend)

    def _count(self, calls: int, windows: int, seconds: float, tally: CallTally | None) -> None:
        """Add one step's work to the totals and the caller's tally (the caller holds the lock)."""
        for t in (self.totals, tally) if tally is not None else (self.totals,):
            t.calls, t.windows, t.seconds = t.calls + calls, t.windows + windows, t.seconds + seconds

    def predict(self, x: np.ndarray, *, tally: CallTally | None = None) -> np.ndarray:
        """Window probabilities.

        x : np.ndarray [shape=(n, *input_shape)], float32 (normalised windows for our own models)
        tally : also told the calls, windows and seconds of this request.
        Returns np.ndarray [shape=(n, num_outputs)], what the model answers.
        """
        if x.ndim != 1 + len(self.input_shape) or any(
            want is not None and got != want for got, want in zip(x.shape[1:], self.input_shape, strict=True)
        ):
            shape = ", ".join("any" if d is None else str(d) for d in self.input_shape)
            raise ParameterError(f"model input must have shape (n, {shape}), got {x.shape}")
        if x.shape[0] == 0:
            return np.zeros((0, self.num_outputs), dtype=np.float32)
        x = np.ascontiguousarray(x, dtype=np.float32)
        if not np.isfinite(x).all():  # Keras turns NaN windows into confident-looking probabilities
            raise ParameterError("model input holds NaN or infinite values; the features must be finite")
        out = []
        with self._lock:
            started = time.perf_counter()
            for i in range(0, x.shape[0], self.batch_size):
                out.append(self._call(x[i : i + self.batch_size]))
            self._count(len(out), x.shape[0], time.perf_counter() - started, tally)
        return np.concatenate(out, axis=0).astype(np.float32)

    def masked_predict(
        self,
        clip: DeviceClip,
        rows: np.ndarray,
        starts: np.ndarray,
        *,
        max_batch: int | None = None,
        tally: CallTally | None = None,
    ) -> np.ndarray:
        """Probabilities of windows composed on the device: window i keeps segment j's cells where
        ``rows[i, j]`` and shows the baseline elsewhere, over frames ``starts[i]`` onwards.

        rows [shape=(n, k)] bool, starts [shape=(n,)] int -> [shape=(n, num_classes)]
        max_batch : at most this many windows per model call (the caller's memory cap).
        """
        if self.composer is None:
            raise ParameterError(f"the {self.backend} backend does not compose windows on the device")
        step = min(self.batch_size, max_batch or self.batch_size)
        with self._lock:
            started = time.perf_counter()
            pending = self.composer.dispatch(clip, rows, starts, step)
            out = [np.asarray(probs)[:m] for m, probs in pending]
            self._count(len(pending), rows.shape[0], time.perf_counter() - started, tally)
        if not out:
            return np.zeros((0, self.num_outputs), dtype=np.float32)
        return np.concatenate(out, axis=0).astype(np.float32)

    def warm_up(self, clip_frames: int | None = None, segments: int | None = None) -> None:
        """Compile every batch shape the runner will use before the first request pays for it; with
        ``clip_frames`` and ``segments`` (JAX), also the on-device composition for clips of that size."""
        for size in self.buckets if self.backend == "jax" else (1,):
            self._call(np.zeros((size, *self.warm_shape), dtype=np.float32))
        if self.composer is None or clip_frames is None or segments is None:
            return
        n_mels = self.input_shape[0]
        labels = np.arange(n_mels * clip_frames).reshape(n_mels, clip_frames) % segments
        clip = self.composer.put_clip(np.zeros(labels.shape), np.zeros(labels.shape), labels, np.zeros(n_mels))
        for size in self.buckets:
            self.masked_predict(clip, np.ones((size, segments), dtype=bool), np.zeros(size, dtype=np.int32))
