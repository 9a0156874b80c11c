"""Perturbed windows built on the accelerator, inside the model's own jitted call (JAX workers).

The clip, its baseline and its segment map go to the device once (:meth:`DeviceComposer.put_clip`);
afterwards each batch sends only mask rows and window starts, and one jitted function gathers the
window's cells (``where(row[labels], S, baseline)``) and runs the model on them. JAX compiles once
per shape, so clips are padded to a multiple of ``FRAME_STEP`` frames, mask rows to a power of two
of at least ``MIN_SEGMENTS`` segments, and batches to the runner's bucket sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

FRAME_STEP = 512  # device clips are padded to a multiple of this many frames (one compile per length class)
MIN_SEGMENTS = 64  # mask rows are padded to a power of two of at least this many segments


def _round_up(n: int, step: int) -> int:
    return -(-n // step) * step


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


class DeviceComposer:
    """Composes windows from mask rows on the device and runs ``forward`` on them in one jitted call.

    forward : the jitted model call (:func:`musicxai.model.keras_model.jax_forward`)
    input_shape : the model's window (n_mels, frames, 1)
    bucket : the padded batch size for ``n`` windows (the runner's compiled sizes)
    """

    def __init__(self, forward, input_shape: tuple[int, ...], bucket: Callable[[int], int]) -> None:
        import jax
        import jax.numpy as jnp

        self.input_shape = input_shape
        self.bucket = bucket
        n_mels, width = input_shape[:2]

        def compose(S, baseline, labels, row, start):
            cut = lambda a: jax.lax.dynamic_slice(a, (0, start), (n_mels, width))  # noqa: E731
            return jnp.where(row[cut(labels)], cut(S), cut(baseline))

        @jax.jit
        def masked(S, baseline, labels, rows, starts):
            x = jax.vmap(compose, in_axes=(None, None, None, 0, 0))(S, baseline, labels, rows, starts)
            return forward(x[..., None])

        self._masked = masked

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

    def dispatch(self, clip: DeviceClip, rows: np.ndarray, starts: np.ndarray, step: int) -> list[tuple[int, object]]:
        """Send every batch of at most ``step`` windows; dispatch is asynchronous, so the device works
        while the host pads the next batch. Returns (windows, pending outputs) per model call."""
        width = segment_bucket(clip.k)
        pending = []
        for i in range(0, rows.shape[0], step):
            chunk = rows[i : i + step]
            size = self.bucket(chunk.shape[0])
            padded_rows = np.zeros((size, width), dtype=bool)
            padded_rows[: chunk.shape[0], : clip.k] = chunk
            padded_starts = np.zeros(size, dtype=np.int32)
            padded_starts[: chunk.shape[0]] = starts[i : i + step]
            pending.append(
                (chunk.shape[0], self._masked(clip.S, clip.baseline, clip.labels, padded_rows, padded_starts))
            )
        return pending
