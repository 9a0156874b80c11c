"""The bundles a process can serve, each loaded once and kept for the life of the process."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

from musicxai.config import Settings
from musicxai.errors import BundleError, NotFoundError
from musicxai.model.bundle import BUNDLE_FILE, BundleMeta, list_bundles, read_bundle_meta
from musicxai.model.classifier import GenreClassifier
from musicxai.model.detector import MusicDetector

WarmUp = Callable[[GenreClassifier], None]


def warm_for_predictions(classifier: GenreClassifier) -> None:
    classifier.warm_up()


class ModelRegistry:
    """Bundles under ``settings.models_dir``; ``warm_up`` runs on each model as it loads (workers
    pass one that also compiles what explanation jobs need)."""

    def __init__(self, settings: Settings, *, warm_up: WarmUp = warm_for_predictions) -> None:
        self.models_dir = Path(settings.models_dir)
        self.default = settings.default_model
        self.runner_options = settings.runner_options()
        self.warm_up = warm_up
        self._metas: dict[str, BundleMeta] = {
            path.name: read_bundle_meta(path) for path in list_bundles(self.models_dir)
        }
        if self.default not in self._metas:
            raise BundleError(
                f"default model {self.default!r} not found in {self.models_dir} "
                f"(bundles: {sorted(self._metas) or 'none'})"
            )
        self.detector_dir = settings.detector_dir
        if self.detector_dir is not None and not Path(self.detector_dir).is_dir():
            raise BundleError(
                f"music detector {self.detector_dir} not found (set MUSICXAI_DETECTOR_DIR= to serve without one)"
            )
        self._detector: MusicDetector | None = None
        self._ids: dict[str, str] = {}
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
        """``name@<sha256 of the model file, 12 hex>`` (of ``bundle.json`` for a callable): changes
        whenever the weights change."""
        name = self.resolve(name)
        if name not in self._ids:
            runtime = self.meta(name).runtime
            source = self.path(name) / (BUNDLE_FILE if runtime.kind == "callable" else runtime.target)
            digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
            self._ids[name] = f"{name}@{digest}"
        return self._ids[name]

    def is_loaded(self, name: str | None = None) -> bool:
        return self.resolve(name) in self._loaded

    def loaded(self, name: str | None = None) -> GenreClassifier | None:
        """The model if this process has loaded it, without loading it."""
        return self._loaded.get(self.resolve(name))

    def get(self, name: str | None = None) -> GenreClassifier:
        name = self.resolve(name)
        with self._lock:
            if name not in self._loaded:
                classifier = GenreClassifier.load(self.path(name), options=self.runner_options)
                self.warm_up(classifier)
                self._loaded[name] = classifier
            return self._loaded[name]

    def detector(self) -> MusicDetector | None:
        """The music detector every bundle's answers are checked with (loaded once); None when switched off."""
        if self.detector_dir is None:
            return None
        with self._lock:
            if self._detector is None:
                self._detector = MusicDetector.load(self.detector_dir, options=self.runner_options)
                self._detector.runner.warm_up()
            return self._detector
