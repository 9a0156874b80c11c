"""The bundles a process can serve, each loaded once and kept for the life of the process."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from musicxai.bundle import MODEL_FILE, BundleMeta, list_bundles, read_bundle_meta
from musicxai.classifier import GenreClassifier
from musicxai.errors import BundleError, NotFoundError


class ModelRegistry:
    def __init__(
        self,
        models_dir: Path,
        *,
        default: str,
        batch_size: int = 256,
        backend: str | None = None,
        warm_explanations: bool = False,
    ) -> None:
        """``warm_explanations``: compile what explanation jobs need too when a model loads (workers)."""
        self.models_dir = Path(models_dir)
        self.warm_explanations = warm_explanations
        self.default = default
        self.batch_size = batch_size
        self.backend = backend
        self._metas: dict[str, BundleMeta] = {}
        self._ids: dict[str, str] = {}
        for path in list_bundles(self.models_dir):
            self._metas[path.name] = read_bundle_meta(path)
        if default not in self._metas:
            raise BundleError(
                f"default model {default!r} not found in {self.models_dir} (bundles: {sorted(self._metas) or 'none'})"
            )
        self._loaded: dict[str, GenreClassifier] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return sorted(self._metas)

    def resolve(self, name: str | None) -> str:
        name = name or self.default
        if name not in self._metas:
            raise NotFoundError(f"No model bundle named {name!r}; available: {', '.join(self.names())}.")
        return name

    def meta(self, name: str | None = None) -> BundleMeta:
        return self._metas[self.resolve(name)]

    def path(self, name: str | None = None) -> Path:
        return self.models_dir / self.resolve(name)

    def bundle_id(self, name: str | None = None) -> str:
        """``name@<sha256 of model.keras, 12 hex>``: changes whenever the weights change."""
        name = self.resolve(name)
        if name not in self._ids:
            digest = hashlib.sha256((self.path(name) / MODEL_FILE).read_bytes()).hexdigest()[:12]
            self._ids[name] = f"{name}@{digest}"
        return self._ids[name]

    def is_loaded(self, name: str | None = None) -> bool:
        return self.resolve(name) in self._loaded

    def get(self, name: str | None = None) -> GenreClassifier:
        name = self.resolve(name)
        with self._lock:
            if name not in self._loaded:
                classifier = GenreClassifier(self.path(name), batch_size=self.batch_size, backend=self.backend)
                classifier.warm_up(explanations=self.warm_explanations)
                self._loaded[name] = classifier
            return self._loaded[name]
