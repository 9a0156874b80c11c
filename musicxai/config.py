"""All configuration, from environment variables (``MUSICXAI_*``, plus ``REDIS_URL``) or ``.env``.

Every default a process can change lives here, once: functions of the core that take one of these
values as a keyword default the constant below, so a script, a test and the service agree unless
someone changes a setting. Settings are created by the process entry points (app factory, worker
start, CLI), never at import.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["tensorflow", "jax"]
Runtime = Literal["onnxruntime", "keras"]  # on the TensorFlow backend: what executes model.keras

RUNTIME: Runtime = "onnxruntime"  # faster than Keras on the CPU (benchmarks/predict_speed.py), parity-checked
RUNTIME_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "musicxai" / "onnx"
MODEL_THREADS = 0  # ONNX Runtime's intra-op threads; 0: one per physical core
MODEL_BATCH_SIZE = 256  # windows per model call on the CPU: the bare CNN's throughput is flat above it
MODEL_MEMORY_BYTES = 2 * 1024**3  # on the CPU, activations one model call may hold: fewer windows for big models
ENGINE_MAX_BATCH_WINDOWS = 1024  # perturbed windows held before a model step (66 kB each: ~68 MB)
# audio one model call takes: one 30 s clip at 16 kHz (a DistilHuBERT-sized model is no faster a clip in batches)
AUDIO_BATCH_SAMPLES = 480_000
ENGINE_MAX_AUDIO_SAMPLES = 16_000_000  # perturbed audio held before a model step (64 MB: 33 clips of 30 s at 16 kHz)
ENGINE_CACHE_SIZE = 4  # explanation engines a worker keeps (each holds a clip's evaluated windows)
MAX_INFLIGHT_PREDICTIONS = 8  # on 2 cores a prediction takes ~0.5 s: 8 in flight answer within ~4 s
MAX_QUEUED_JOBS = 100  # ~8 minutes of page-default jobs for one CPU worker
MAX_QUEUED_JOBS_PER_KEY = 10  # with keys on: one client can hold a tenth of the queue
MAX_BATCH_CLIPS = 24  # clips of one per-genre batch job: two jobs each, half the queue's bound
RATE_LIMIT = "600/minute"  # per key, every /v1 call: the page polls a job twice a second
UPLOAD_RATE_LIMIT = "30/minute"  # per key, on top, for calls that send a clip (~0.6 s of CPU each here)
MIN_DURATION_S = 1.0  # shorter than one second is too little for a 3 s-window classifier to say anything
MAX_DURATION_S = 60.0
SAMPLE_RATE_RANGE = (2000, 768000)  # Hz: below, nothing above 1 kHz is there to hear; above, no real recorder
DECODE_TIMEOUT_S = 30.0
DECODE_MEMORY_BYTES = 2 * 1024**3
# input quality (musicxai.model.quality); physical levels, not fitted to any data set
QUALITY_SILENCE_RMS = 1e-4  # -80 dBFS around the clip's own mean: digital silence or a constant (DC) level
QUALITY_CLIPPED_FRACTION = 0.01  # over 1 % of the samples at full scale: heavy, audible clipping
QUALITY_BAND_FLOOR = 1e-6  # the model's upper half-band holding under -60 dB of the power: a narrow recording
REDIS_CONNECT_TIMEOUT_S = 2.0
REDIS_SOCKET_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class RunnerOptions:
    """How a process runs its models (:meth:`musicxai.model.runner.ModelRunner.load` reads them)."""

    batch_size: int = MODEL_BATCH_SIZE
    backend: Backend | None = None  # None: the backend Keras was started with (KERAS_BACKEND)
    runtime: Runtime = RUNTIME
    cache_dir: Path = RUNTIME_CACHE_DIR
    threads: int = MODEL_THREADS
    memory_bytes: int = MODEL_MEMORY_BYTES


DEFAULT_RUNNER = RunnerOptions()


@dataclass(frozen=True)
class QualityLimits:
    """The thresholds of the input checks (:func:`musicxai.model.quality.assess` reads them)."""

    silence_rms: float = QUALITY_SILENCE_RMS
    clipped_fraction: float = QUALITY_CLIPPED_FRACTION
    band_floor: float = QUALITY_BAND_FLOOR
    not_music_threshold: float | None = None  # None: the detector's own, chosen on the real-audio train part


DEFAULT_QUALITY = QualityLimits()


KEY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def parse_api_keys(entries: str) -> dict[str, str]:
    """``name:sha256,name:sha256`` (spaces ignored) -> {sha256: name}; an empty string means keys are off."""
    names_by_hash: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in entries.split(","))):
        name, _, digest = entry.partition(":")
        if not KEY_NAME.match(name) or not SHA256_HEX.match(digest.lower()):
            raise ValueError(
                f"API key entry {entry[:80]!r} is not NAME:SHA256 (NAME of letters, digits, _ or -; "
                "SHA256 as 64 hex digits, printed by `musicxai api-key NAME`)"
            )
        if name in names_by_hash.values():
            raise ValueError(f"API key name {name!r} appears twice")
        names_by_hash[digest.lower()] = name
    return names_by_hash


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MUSICXAI_", env_file=".env", extra="ignore")

    models_dir: Path = Field(Path("models"), description="folder of model bundles")
    default_model: str = Field(
        "demo-student", description="bundle served when a request names none (the best on the real-audio report part)"
    )
    redis_url: str | None = Field(
        None,
        validation_alias=AliasChoices("REDIS_URL", "MUSICXAI_REDIS_URL"),
        description="Redis for broker, results, job ledger and blobs; unset = embedded single-machine mode",
    )
    redis_connect_timeout_s: float = Field(REDIS_CONNECT_TIMEOUT_S, gt=0)
    redis_socket_timeout_s: float = Field(REDIS_SOCKET_TIMEOUT_S, gt=0, description="a hung Redis fails a call")
    data_dir: Path = Field(Path("var"), description="embedded mode: broker folder, SQLite files, blobs")

    max_upload_bytes: int = Field(25 * 1024 * 1024, gt=0)
    body_timeout_s: float = Field(60.0, gt=0, description="a request body must have arrived this long after its start")
    max_duration_s: float = Field(MAX_DURATION_S, gt=0, description="longer clips are analysed up to this length")
    min_duration_s: float = Field(MIN_DURATION_S, gt=0)
    decode_timeout_s: float = Field(DECODE_TIMEOUT_S, gt=0, description="wall clock for one decode, ffmpeg included")
    decode_memory_bytes: int = Field(DECODE_MEMORY_BYTES, gt=0, description="address-space cap of the decoder process")
    max_num_samples: int = Field(5000, ge=10)
    quality_silence_rms: float = Field(QUALITY_SILENCE_RMS, ge=0, description="quieter clips are refused (422)")
    quality_clipped_fraction: float = Field(QUALITY_CLIPPED_FRACTION, gt=0, le=1)
    quality_band_floor: float = Field(QUALITY_BAND_FLOOR, ge=0, description="power share that counts as empty")
    quality_not_music_threshold: float | None = Field(
        None, gt=0, lt=1, description="music probability below which not_music is warned; unset: the detector's own"
    )
    detector_dir: Path | None = Field(Path("models/detector"), description="music detector; empty: no not_music check")

    max_inflight_predictions: int = Field(
        MAX_INFLIGHT_PREDICTIONS, ge=1, description="predictions one API process works on at once; more get 503"
    )
    prediction_retry_after_s: int = Field(2, ge=1, description="Retry-After of a prediction refused as busy")
    max_queued_jobs: int = Field(
        MAX_QUEUED_JOBS, ge=1, description="explanation jobs queued or running; a new one past this gets 503"
    )
    max_batch_clips: int = Field(
        MAX_BATCH_CLIPS, ge=2, description="clips one per-genre attribution batch may name (two jobs each)"
    )
    queue_retry_after_s: int = Field(15, ge=1, description="Retry-After of a job refused because the queue is full")
    api_keys: str = Field(
        "",
        description="NAME:SHA256 of each accepted bearer key, comma-separated (`musicxai api-key NAME` makes one); "
        "empty: no key needed",
    )
    rate_limit: str = Field(RATE_LIMIT, description="with keys: requests per key, in `limits` notation")
    upload_rate_limit: str = Field(UPLOAD_RATE_LIMIT, description="with keys: clip uploads per key, on top")
    max_queued_jobs_per_key: int = Field(
        MAX_QUEUED_JOBS_PER_KEY, ge=1, description="with keys: unfinished jobs per key; a new one past it gets 429"
    )
    blob_redis_url: str | None = Field(
        None,
        description="distributed mode: the Redis holding clips and artifacts, its own instance with "
        "maxmemory-policy volatile-lru so a flood of uploads evicts old results and never refuses a queue "
        "message or a ledger write; unset: the REDIS_URL instance",
    )
    blob_ttl_s: int = Field(
        7 * 24 * 3600, gt=0, description="an unpinned clip or artifact is dropped this long after its last use"
    )
    max_store_bytes: int = Field(
        10 * 1024**3,
        gt=0,
        description="embedded mode: size cap of the local clip and artifact cache; past it the least recently "
        "used blobs that no unfinished job needs are evicted",
    )
    record_ttl_s: int = Field(
        7 * 24 * 3600, gt=0, description="finished jobs' and per-genre batches' records are kept this long"
    )
    explain_queue: str = "explain"
    job_soft_time_limit_s: int = Field(600, gt=0)
    job_time_limit_s: int = Field(660, gt=0)
    job_max_attempts: int = Field(3, ge=1, description="a job whose worker dies this often is failed")
    job_stale_after_s: float = Field(90.0, gt=0, description="running job without heartbeat this long is re-queued")
    job_requeue_after_s: float = Field(900.0, gt=0, description="queued job not started this long is re-sent")
    sweep_interval_s: float = Field(10.0, gt=0)
    worker_concurrency: int = Field(1, ge=1)
    model_batch_size: int = Field(MODEL_BATCH_SIZE, ge=1)
    model_memory_bytes: int = Field(
        MODEL_MEMORY_BYTES,
        gt=0,
        description="on the CPU: activations one model call may hold; a model with large windows gets fewer a call",
    )
    backend: Backend = Field("tensorflow", description="Keras backend: tensorflow on CPU hosts, jax on GPU workers")
    runtime: Runtime = Field(
        RUNTIME, description="TensorFlow backend: onnxruntime (converted once, checked against Keras) or keras"
    )
    runtime_cache_dir: Path = Field(RUNTIME_CACHE_DIR, description="where converted models are kept")
    model_threads: int = Field(MODEL_THREADS, ge=0, description="ONNX Runtime threads per model; 0: per core")
    engine_max_batch_windows: int = Field(ENGINE_MAX_BATCH_WINDOWS, ge=1)
    engine_cache_size: int = Field(ENGINE_CACHE_SIZE, ge=1, description="engines a worker keeps between jobs")

    @field_validator("api_keys")
    @classmethod
    def _keys_parse(cls, value: str) -> str:
        parse_api_keys(value)
        return value

    @field_validator("rate_limit", "upload_rate_limit")
    @classmethod
    def _limit_parses(cls, value: str) -> str:
        from limits import parse_many

        parse_many(value)
        return value

    def api_key_hashes(self) -> dict[str, str]:
        """The accepted keys: {sha256: name}."""
        return parse_api_keys(self.api_keys)

    def decode_limits(self) -> dict[str, float | int]:
        """The keyword arguments of :func:`musicxai.audio.sandbox.decode_isolated` that these settings fix."""
        return {
            "max_duration": self.max_duration_s,
            "min_duration": self.min_duration_s,
            "timeout_s": self.decode_timeout_s,
            "memory_bytes": self.decode_memory_bytes,
        }

    def runner_options(self) -> RunnerOptions:
        return RunnerOptions(
            batch_size=self.model_batch_size,
            backend=self.backend,
            runtime=self.runtime,
            cache_dir=self.runtime_cache_dir,
            threads=self.model_threads,
            memory_bytes=self.model_memory_bytes,
        )

    def quality_limits(self) -> QualityLimits:
        return QualityLimits(
            silence_rms=self.quality_silence_rms,
            clipped_fraction=self.quality_clipped_fraction,
            band_floor=self.quality_band_floor,
            not_music_threshold=self.quality_not_music_threshold,
        )

    @property
    def embedded(self) -> bool:
        return not self.redis_url
