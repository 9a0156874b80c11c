"""Prometheus metrics of the API process: request latency, predictions, jobs and queue depth."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from musicxai.service.storage import StoreStats


class StoreCollector(Collector):
    """The clip and artifact store's own figures as of the last scrape: what it holds, its cap, and how
    many blobs it has evicted to make room (read from the store, which may be another process's)."""

    def __init__(self) -> None:
        self.latest: StoreStats | None = None

    def collect(self) -> Iterator[Metric]:
        stats = self.latest
        if stats is None:
            return
        yield GaugeMetricFamily("musicxai_store_bytes", "Bytes the clip and artifact store holds", stats.used_bytes)
        if stats.cap_bytes is not None:
            yield GaugeMetricFamily("musicxai_store_cap_bytes", "The store's size cap", stats.cap_bytes)
        yield CounterMetricFamily(
            "musicxai_store_evicted_keys",
            "Clips and artifacts evicted to make room (since the store, or its Redis, started)",
            stats.evicted_keys,
        )


class ApiMetrics:
    """One registry per app instance, so tests can build several apps in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "musicxai_http_request_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.predictions = Counter("musicxai_predictions_total", "Clips classified", ["model"], registry=self.registry)
        self.prediction_seconds = Histogram(
            "musicxai_prediction_seconds", "Decode + features + model for one clip", ["model"], registry=self.registry
        )
        self.predictions_in_flight = Gauge(
            "musicxai_predictions_in_flight", "Prediction requests this process works on now", registry=self.registry
        )
        self.rejected = Counter(
            "musicxai_rejected_total",
            "Requests refused at a bound (503 predictions_busy, queue_full; 429 rate_limited, key_queue_full) "
            "or without a valid key (401 missing_key, invalid_key)",
            ["route", "reason"],
            registry=self.registry,
        )
        self.key_requests = Counter(
            "musicxai_key_requests_total", "/v1 requests admitted, by API key name", ["key"], registry=self.registry
        )
        self.jobs_created = Counter(
            "musicxai_explanation_jobs_total", "Explanation jobs requested", ["method"], registry=self.registry
        )
        self.queue_depth = Gauge(
            "musicxai_jobs_unfinished", "Jobs queued or running, from the ledger", ["status"], registry=self.registry
        )
        self.jobs_finished = Counter(
            "musicxai_explanation_jobs_finished_total",
            "Jobs finished by workers",
            ["status", "method"],
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "musicxai_explanation_job_seconds",
            "Worker time of a job, decode to stored artifacts",
            ["method"],
            registry=self.registry,
            buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
        )
        self.job_stage_seconds = Histogram(
            "musicxai_explanation_stage_seconds",
            "Seconds per stage of succeeded jobs: decode, segmentation, perturbation, model, fit, faithfulness, "
            "render, store",
            ["stage", "method", "backend"],
            registry=self.registry,
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
        )
        self.job_model_calls = Counter(
            "musicxai_explanation_model_calls_total",
            "Batched model calls made by jobs",
            ["method"],
            registry=self.registry,
        )
        self.job_windows = Counter(
            "musicxai_explanation_windows_total", "Windows evaluated by jobs", ["method"], registry=self.registry
        )
        self.store = StoreCollector()
        self.registry.register(self.store)

    def observe_finished(self, summaries: list[dict]) -> None:
        """Fold in the figures workers left in the ledger since the last scrape."""
        for job in summaries:
            method = job["method"]
            self.jobs_finished.labels(job["status"], method).inc()
            self.job_seconds.labels(method).observe(job["total_s"])
            if job["status"] != "succeeded":
                continue
            for stage, seconds in job["stages_s"].items():
                if stage != "explain":  # the sum of perturbation, model and fit
                    self.job_stage_seconds.labels(stage, method, job["backend"]).observe(seconds)
            self.job_model_calls.labels(method).inc(job["model_calls"])
            self.job_windows.labels(method).inc(job["windows_evaluated"])
