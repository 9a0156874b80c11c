"""Gradients of one genre's probability with respect to the model's input windows.

One backward pass through the bundle's Keras model, on whichever backend it runs: TensorFlow's
``GradientTape`` on CPU hosts, ``jax.grad`` over ``stateless_call`` on JAX workers. ONNX Runtime,
which serves the forward passes on CPUs, computes no gradients, so this always uses Keras.
"""

from __future__ import annotations

import numpy as np

from musicxai.errors import BundleError


def input_gradients(model, x: np.ndarray, target: int) -> np.ndarray:
    """d p[target] / d x for each window of ``x`` [shape=(n, *model input)], float32, same shape."""
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
