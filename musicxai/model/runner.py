"""The one object that calls the Keras model: batching, a compiled call, and a call counter.

The same ``model.keras`` runs on two Keras 3 backends. TensorFlow (the CPU default): one
``tf.function`` with a fixed input signature (only the batch size is free), traced once per process.
JAX (GPU workers, where TensorFlow is not installed): ``jax.jit`` over ``model.stateless_call``; JAX
compiles once per input shape, so batches are padded to a few fixed bucket sizes, all compiled by
:meth:`ModelRunner.warm_up` before the first job. On JAX the runner can also build perturbed windows
itself (:meth:`ModelRunner.masked_predict`): the clip and its segment map go to the device once, and
each batch only sends mask rows and window starts, composed in the same jitted call as the model.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import numpy as np

from musicxai.config import DEFAULT_RUNNER, MODEL_BATCH_SIZE, RunnerOptions, Runtime
from musicxai.errors import BundleError, ParameterError
from musicxai.model.keras_model import BACKENDS, load_keras_model
from musicxai.model.memory import host_batch_size
from musicxai.model.onnx_runtime import onnx_call

JAX_BUCKETS = (8, 32, 128, 512, 2048)  # few batch shapes, so few compiles; 2048 fills an H200
FRAME_STEP = 512  # device clips are padded to a multiple of this many frames (one compile per length class)
MIN_SEGMENTS = 64  # mask rows are padded to a power of two of at least this many segments


def _round_up(n: int, step: int) -> int:
    return -(-n // step) * step


def backend_device(backend: str | None) -> str:
    """Where a model on ``backend`` (None: Keras's own) runs: the CPU, or JAX's first device."""
    import keras

    if (backend or keras.backend.backend()) == "jax":
        import jax

        return str(jax.devices()[0].platform)
    return "cpu"


def segment_bucket(k: int) -> int:
    """Padded mask width for k segments: few distinct shapes, so few compiles."""
    return max(MIN_SEGMENTS, 1 << (k - 1).bit_length())


@dataclass(frozen=True)
class DeviceClip:
    """A clip resident on the accelerator: normalised log-mel, baseline and segment labels,
    padded past the last window with the features' floor level."""

    S: object  # jax.Array [shape=(n_mels, frames_padded)] float32, normalised
    baseline: object  # jax.Array, same shape
    labels: object  # jax.Array, int32, same shape
    k: int


class ModelRunner:
    """Serves batched window probabilities of one loaded Keras model; :meth:`load` reads ``model.keras``.

    Parameters
    ----------
    model : a loaded ``keras.Model`` whose input is (n_mels, frames, 1)
    batch_size : windows per model call; larger inputs are streamed in chunks of this size.
    """

    def __init__(self, model, *, batch_size: int = MODEL_BATCH_SIZE) -> None:
        if batch_size <= 0:
            raise ParameterError(f"batch_size={batch_size} must be positive")
        self.model = model
        self.input_shape = tuple(model.input_shape[1:])
        self.batch_size = batch_size
        import keras

        self.backend = keras.backend.backend()
        self.runtime = self.backend  # what executes the model: the Keras backend, or onnxruntime
        # JAX compiles once per shape: batches are padded up to 8, 32, 128, 512, 2048 or batch_size
        self.buckets = tuple(sorted({b for b in JAX_BUCKETS if b < batch_size} | {batch_size}))
        self.calls = 0
        self.windows = 0
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._masked = None
        self._forward = None
        self._call = self._compile()

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
        if options.batch_size <= 0:
            raise ParameterError(f"batch_size={options.batch_size} must be positive")
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

        import jax.numpy as jnp

        n_mels, width = self.input_shape[:2]

        @jax.jit
        def forward(x):
            outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return outputs

        def compose(S, baseline, labels, row, start):
            cut = lambda a: jax.lax.dynamic_slice(a, (0, start), (n_mels, width))  # noqa: E731
            return jnp.where(row[cut(labels)], cut(S), cut(baseline))

        @jax.jit
        def masked(S, baseline, labels, rows, starts):
            x = jax.vmap(compose, in_axes=(None, None, None, 0, 0))(S, baseline, labels, rows, starts)
            return forward(x[..., None])

        self._masked = masked
        self._forward = forward

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
    def composes_on_device(self) -> bool:
        """Whether :meth:`masked_predict` is available (the JAX backend)."""
        return self._masked is not None

    def put_clip(self, S: np.ndarray, baseline: np.ndarray, labels: np.ndarray, floor: np.ndarray) -> DeviceClip:
        """Copy one clip to the device, once per explanation engine.

        S, baseline : normalised log-mels [shape=(n_mels, t)]; labels : segment of each cell, 0..k-1;
        floor : the normalised silence level per band [shape=(n_mels,)], shown past the clip's end.
        """
        import jax

        n_mels, t = S.shape
        frames = _round_up(t + self.input_shape[1], FRAME_STEP)
        tail = np.repeat(np.asarray(floor, dtype=np.float32).reshape(n_mels, 1), frames - t, axis=1)
        return DeviceClip(
            S=jax.device_put(np.concatenate([S.astype(np.float32), tail], axis=1)),
            baseline=jax.device_put(np.concatenate([baseline.astype(np.float32), tail], axis=1)),
            labels=jax.device_put(np.pad(labels.astype(np.int32), ((0, 0), (0, frames - t)))),
            k=int(labels.max()) + 1,
        )

    def masked_predict(
        self, clip: DeviceClip, rows: np.ndarray, starts: np.ndarray, *, max_batch: int | None = None
    ) -> np.ndarray:
        """Probabilities of windows composed on the device: window i keeps segment j's cells where
        ``rows[i, j]`` and shows the baseline elsewhere, over frames ``starts[i]`` onwards.

        rows [shape=(n, k)] bool, starts [shape=(n,)] int -> [shape=(n, num_classes)]
        max_batch : at most this many windows per model call (the caller's memory cap).
        """
        if self._masked is None:
            raise ParameterError(f"the {self.backend} backend does not compose windows on the device")
        n = rows.shape[0]
        step = min(self.batch_size, max_batch or self.batch_size)
        width = segment_bucket(clip.k)
        started = time.perf_counter()
        pending = []
        with self._lock:
            for i in range(0, n, step):
                chunk = rows[i : i + step]
                bucket = self._bucket(chunk.shape[0])
                padded_rows = np.zeros((bucket, width), dtype=bool)
                padded_rows[: chunk.shape[0], : clip.k] = chunk
                padded_starts = np.zeros(bucket, dtype=np.int32)
                padded_starts[: chunk.shape[0]] = starts[i : i + step]
                # dispatch is asynchronous: the device works while the host prepares the next batch
                probs = self._masked(clip.S, clip.baseline, clip.labels, padded_rows, padded_starts)
                pending.append((chunk.shape[0], probs))
                self.calls += 1
            out = [np.asarray(probs)[:m] for m, probs in pending]
            self.windows += n
            self.seconds += time.perf_counter() - started
        if not out:
            return np.zeros((0, self.model.output_shape[-1]), dtype=np.float32)
        return np.concatenate(out, axis=0).astype(np.float32)

    def resident_windows_per_s(self, repeats: int = 3) -> float:
        """Windows/s of the bare model on one full batch already in device memory (best of
        ``repeats``): the ceiling for anything that feeds it, the engine included. On TensorFlow,
        where host and device memory are one, the plain call."""
        x = np.zeros((self.batch_size, *self.input_shape), dtype=np.float32)
        if self._forward is None:
            run = lambda: self._call(x)  # noqa: E731
        else:
            import jax

            x = jax.device_put(x)
            run = lambda: self._forward(x).block_until_ready()  # noqa: E731
        run()
        best = np.inf
        for _ in range(repeats):
            started = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - started)
        return self.batch_size / best

    @property
    def device(self) -> str:
        return backend_device(self.backend)

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
        if not np.isfinite(x).all():  # Keras turns NaN windows into confident-looking probabilities
            raise ParameterError("model input holds NaN or infinite values; the features must be finite")
        out = []
        start = time.perf_counter()
        with self._lock:
            for i in range(0, x.shape[0], self.batch_size):
                out.append(self._call(x[i : i + self.batch_size]))
                self.calls += 1
            self.windows += x.shape[0]
            self.seconds += time.perf_counter() - start
        return np.concatenate(out, axis=0).astype(np.float32)

    def warm_up(self, clip_frames: int | None = None, segments: int | None = None) -> None:
        """Compile every batch shape the runner will use before the first request pays for it; with
        ``clip_frames`` and ``segments`` (JAX), also the on-device composition for clips of that size."""
        for size in self.buckets if self.backend == "jax" else (1,):
            self._call(np.zeros((size, *self.input_shape), dtype=np.float32))
        if self._masked is None or clip_frames is None or segments is None:
            return
        n_mels = self.input_shape[0]
        labels = np.arange(n_mels * clip_frames).reshape(n_mels, clip_frames) % segments
        clip = self.put_clip(np.zeros(labels.shape), np.zeros(labels.shape), labels, np.zeros(n_mels))
        for size in self.buckets:
            self.masked_predict(clip, np.ones((size, segments), dtype=bool), np.zeros(size, dtype=np.int32))
