"""Explanation engines a worker keeps between jobs, so a second explanation of one clip reuses the
first one's model calls."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from musicxai.config import ENGINE_CACHE_SIZE
from musicxai.explain.engine import PerturbationEngine


class EngineCache:
    """Engines kept between jobs (least recently used dropped first).

    A second explanation of the same clip with the same model, segmentation and baseline (SHAP
    after LIME, another seed, more samples) reuses every window the first one evaluated and skips
    the segmentation.
    """

    def __init__(self, max_engines: int = ENGINE_CACHE_SIZE) -> None:
        self.max_engines = max_engines
        self._engines: OrderedDict[Hashable, PerturbationEngine] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], PerturbationEngine]) -> PerturbationEngine:
        with self._lock:
            if key in self._engines:
                self._engines.move_to_end(key)
                return self._engines[key]
        engine = build()
        with self._lock:
            self._engines[key] = engine
            while len(self._engines) > self.max_engines:
                self._engines.popitem(last=False)
        return engine
