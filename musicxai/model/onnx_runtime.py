"""ONNX Runtime for ``model.keras`` on the CPU: converted once per model file, cached, checked against Keras.

On a 2-core CPU ONNX Runtime runs the bundles' models faster than TensorFlow's ``tf.function``
(``benchmarks/runtime_speed.py``). The conversion (Keras' own ``export(format="onnx")``, tf2onnx
underneath) costs seconds, so its result is cached under the sha256 of the model file and the
converter's version. A session must agree with Keras on a probe batch (within ``PARITY_ATOL``, the
same top class in every row) before it serves; a conversion or session that fails, or disagrees, is
logged and the runner keeps calling Keras: a wrong attribution is never the price of speed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PARITY_ATOL = 1e-4  # largest output difference to Keras allowed on the probe batch
PROBE_WINDOWS = 8  # windows in the parity probe

ModelCall = Callable[[np.ndarray], np.ndarray]


def onnx_bytes(model, model_path: Path, cache_dir: Path) -> bytes:
    """The ONNX form of ``model`` (as loaded from ``model_path``): from ``cache_dir``, or converted now
    and written there atomically (a temporary file renamed), so two processes never read half a file."""
    import tf2onnx

    digest = hashlib.sha256(Path(model_path).read_bytes()).hexdigest()[:32]
    target = Path(cache_dir) / f"{digest}-tf2onnx{tf2onnx.__version__}.onnx"
    if target.is_file():
        return target.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        exported = Path(tmp) / "model.onnx"
        model.export(str(exported), format="onnx", verbose=False)
        data = exported.read_bytes()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        partial.write_bytes(data)
        os.replace(partial, target)
    except OSError as exc:
        log.warning("ONNX cache %s is not writable (%s): the conversion is kept in memory only", cache_dir, exc)
    return data


def probe_batch(input_shape: tuple[int, ...]) -> np.ndarray:
    """Fixed standard-normal windows, the scale of normalised log-mel windows."""
    return np.random.default_rng(0).standard_normal((PROBE_WINDOWS, *input_shape)).astype(np.float32)


def parity_gap(got: np.ndarray, want: np.ndarray) -> tuple[float, bool]:
    """Largest difference of ``got`` to ``want`` [shape=(n, classes)], and whether both rank the same
    class first in every row."""
    return float(np.abs(got - want).max()), bool((got.argmax(axis=1) == want.argmax(axis=1)).all())


def onnx_call(model, model_path: Path, reference: ModelCall, *, cache_dir: Path, threads: int) -> ModelCall | None:
    """ONNX Runtime's call of ``model`` when it converts, loads and agrees with ``reference`` (the
    Keras call); otherwise None, with the reason logged.

    threads : ONNX Runtime's intra-op threads; 0 lets it take one per physical core.
    """
    probe = probe_batch(tuple(model.input_shape[1:]))
    want = reference(probe)  # also builds the model, which Keras' export needs
    try:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            onnx_bytes(model, model_path, cache_dir), options, providers=["CPUExecutionProvider"]
        )
        name = session.get_inputs()[0].name

        call: ModelCall = lambda x: session.run(None, {name: x})[0]  # noqa: E731
        gap, same_top = parity_gap(call(probe), want)
    except Exception as exc:  # tf2onnx and onnxruntime raise many types for a model they cannot take
        log.warning("%s: ONNX Runtime cannot run it (%s: %s); Keras runs it", model_path, type(exc).__name__, exc)
        return None
    if gap > PARITY_ATOL or not same_top:
        log.warning(
            "%s: ONNX Runtime differs from Keras by %.2g (limit %.0e), same top class: %s; Keras runs it",
            model_path,
            gap,
            PARITY_ATOL,
            same_top,
        )
        return None
    return call
