"""How many windows one model call may take on the CPU: a VGG window leaves about four times the
activations of a small CNN's, and 256 of them held most of a worker's memory."""

from __future__ import annotations

import logging

import numpy as np

from musicxai.config import RunnerOptions

log = logging.getLogger(__name__)


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


def host_batch_size(model, options: RunnerOptions) -> int:
    """``options.batch_size``, or fewer windows where that many would hold more than
    ``options.memory_bytes`` of activations (a VGG window holds ~4x a small CNN's)."""
    fits = max(1, options.memory_bytes // max(1, activation_bytes(model)))
    if fits < options.batch_size:
        log.info("%s: %d windows a model call, to keep its activations within %d MiB", model.name, fits,
                 options.memory_bytes // 2**20)  # fmt: skip
    return min(options.batch_size, fits)
