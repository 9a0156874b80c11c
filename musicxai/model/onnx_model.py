"""Any ONNX model (a PyTorch, Hugging Face Optimum, TensorFlow or JAX export) behind a runner, checked before it serves.

ONNX is the exchange format every training framework writes, and ONNX Runtime runs it without the
framework: the service never needs torch to explain a torch model. Two things make a file unsafe or
unservable and are refused with the fix named: operators from a custom domain (they need a library
the service does not load) and external weights outside the bundle's folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from musicxai.errors import BundleError
from musicxai.model.runner import ModelRunner

STANDARD_DOMAINS = {"", "ai.onnx", "ai.onnx.ml", "com.microsoft"}  # what onnxruntime runs out of the box


def check_onnx(path: Path) -> None:
    """Refuse a graph with custom operators or with external data outside its own folder."""
    import onnx
    from onnx.external_data_helper import uses_external_data

    path = Path(path)
    try:
        graph = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError and others for a file that is not a model
        raise BundleError(f"{path.name} is not an ONNX model: {exc}") from exc
    custom = sorted({f"{n.domain}::{n.op_type}" for n in graph.graph.node if n.domain not in STANDARD_DOMAINS})
    if custom:
        raise BundleError(
            f"{path.name} uses custom operators {custom}, which need a library this service does not load; "
            "export with standard operators only (torch.onnx.export without custom_opsets)."
        )
    folder = path.parent.resolve()
    for tensor in graph.graph.initializer:
        if not uses_external_data(tensor):
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        target = (folder / location).resolve()
        if not target.is_relative_to(folder) or not target.is_file():
            raise BundleError(
                f"{path.name} keeps weights in {location!r}, outside its folder or missing; put the external "
                "data file beside the model (or export with the weights inside, under 2 GB)."
            )


def onnx_runner(path: Path, *, threads: int, batch_size: int, warm_shape: tuple[int, ...]) -> ModelRunner:
    """A runner calling ``path`` through ONNX Runtime on the CPU; its first input takes the batch."""
    import onnxruntime as ort

    check_onnx(path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise BundleError(f"ONNX Runtime cannot load {Path(path).name}: {exc}") from exc
    inputs = session.get_inputs()
    if len(inputs) != 1:
        names = [i.name for i in inputs]
        raise BundleError(
            f"{Path(path).name} takes {len(inputs)} inputs {names}; the service feeds one (the audio or its features)"
        )
    name = inputs[0].name
    input_shape = tuple(d if isinstance(d, int) else None for d in inputs[0].shape[1:])
    out_dim = session.get_outputs()[0].shape[-1]

    def call(x: np.ndarray) -> np.ndarray:
        return session.run(None, {name: x})[0]

    if not isinstance(out_dim, int):  # a symbolic label axis: ask the model once
        out_dim = int(call(np.zeros((1, *warm_shape), dtype=np.float32)).shape[-1])
    return ModelRunner.for_call(
        call,
        input_shape=input_shape,
        num_outputs=out_dim,
        runtime="onnxruntime",
        batch_size=batch_size,
        warm_shape=warm_shape,
    )
