"""Copies of a bundle whose weights are randomised layer by layer from the output down: the cascading
model-randomisation test of Adebayo et al. (2018, "Sanity checks for saliency maps").

An explanation that still looks the same once the model's weights are noise did not come from what the
model learned. Each copy shuffles the values of every weight tensor of the top ``n`` weight layers (a
permutation keeps each tensor's distribution of values, as Quantus does for PyTorch models, so no
layer's scale changes) and is written as a bundle the serving code loads like any other. Keras files
are randomised through Keras, ONNX graphs through their initializers (the float tensors a node reads,
in the graph's topological order); a Python callable's weights are not ours to reach.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicxai.errors import BundleError
from musicxai.model.bundle import read_bundle_meta


@dataclass(frozen=True)
class RandomisedCopy:
    """A bundle copy with its top ``layers`` of ``of`` weight layers randomised; ``deepest`` names the
    lowest of them."""

    path: Path
    layers: int
    of: int
    deepest: str


def cut_points(n_layers: int, steps: int) -> list[int]:
    """How many top layers each copy randomises: ``steps`` counts spread from 1 to all, cumulative."""
    return sorted({round(float(x)) for x in np.linspace(1, n_layers, min(steps, n_layers))})


def _shuffle(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(values.ravel()).reshape(values.shape).astype(values.dtype, copy=False)


def _keras_weight_layers(model) -> list:
    """Leaf layers that hold weights, input to output; nested models (a frozen backbone) are opened."""
    found = []
    for layer in model.layers:
        inner = getattr(layer, "layers", None)
        if inner:
            found.extend(_keras_weight_layers(layer))
        elif layer.weights:
            found.append(layer)
    return found


Layer = tuple[str, Callable[[np.random.Generator], None]]  # a weight layer's name, and how to shuffle it


def _keras_layers(path: Path) -> tuple[list[Layer], Callable[[Path], None]]:
    """The weight layers of a Keras file, top down, and how to save the model as it then is."""
    from musicxai.model.keras_model import read_keras_model

    model = read_keras_model(path)

    def shuffle(layer) -> Callable[[np.random.Generator], None]:
        return lambda rng: layer.set_weights([_shuffle(np.asarray(w), rng) for w in layer.get_weights()])

    return [(layer.name, shuffle(layer)) for layer in _keras_weight_layers(model)[::-1]], model.save


def _onnx_layers(path: Path) -> tuple[list[Layer], Callable[[Path], None]]:
    """The nodes of an ONNX graph that read float tensors of more than one value, top down, and how to
    save the graph as it then is."""
    import onnx
    from onnx import numpy_helper

    graph_model = onnx.load(str(path))
    initializers = {t.name: t for t in graph_model.graph.initializer}

    def shuffle(names: list[str]) -> Callable[[np.random.Generator], None]:
        def apply(rng: np.random.Generator) -> None:
            for name in names:
                shuffled = _shuffle(numpy_helper.to_array(initializers[name]), rng)
                initializers[name].CopyFrom(numpy_helper.from_array(shuffled, name))

        return apply

    layers: list[Layer] = []  # input to output, reversed below
    claimed: set[str] = set()
    for node in graph_model.graph.node:
        weights = []
        for name in node.input:
            tensor = initializers.get(name)
            if tensor is None or name in claimed:
                continue
            values = numpy_helper.to_array(tensor)
            if values.dtype.kind == "f" and values.size > 1:
                weights.append(name)
        if weights:
            claimed.update(weights)
            layers.append((node.name or node.op_type, shuffle(weights)))
    return layers[::-1], lambda target: onnx.save(graph_model, str(target))


def _bundle_copy(bundle: Path, path: Path) -> Path:
    """A folder with the bundle's own ``bundle.json`` (and nothing else yet): the model file follows."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy2(bundle / "bundle.json", path / "bundle.json")
    return path


def randomised_copies(bundle: Path, work: Path, *, steps: int = 6, seed: int = 0) -> Iterator[RandomisedCopy]:
    """Bundle copies under ``work`` with ever more top layers randomised, ending with all of them."""
    meta = read_bundle_meta(bundle)
    if meta.runtime.kind == "callable":
        raise BundleError(f"{meta.name} is a Python callable: its weights cannot be reached to randomise")
    target = meta.runtime.target
    reader = _keras_layers if meta.runtime.kind == "keras" else _onnx_layers
    layers, save = reader(Path(bundle) / target)
    rng = np.random.default_rng(seed)
    done = 0
    for n in cut_points(len(layers), steps):
        for _, shuffle in layers[done:n]:
            shuffle(rng)
        done = n
        path = _bundle_copy(Path(bundle), Path(work) / f"top-{n}")
        save(path / target)
        yield RandomisedCopy(path, n, len(layers), layers[n - 1][0])
