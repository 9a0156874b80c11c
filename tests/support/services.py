"""Real processes for the HTTP tests: a private redis-server, Celery workers, uvicorn.

Everything listens on 127.0.0.1 ports picked at random and is stopped by whoever started it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.data import ROOT
from tests.support.processes import free_port, wait_until


class RedisServer:
    """A private redis-server; ``maxmemory`` with ``volatile-lru``, as the blob store's own Redis runs."""

    def __init__(
        self, workdir: Path, *, appendonly: bool = False, port: int | None = None, maxmemory: str | None = None
    ) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        self.appendonly = appendonly
        self.maxmemory = maxmemory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(self.workdir),
        ]
        args += ["--appendonly", "yes", "--appendfsync", "always"] if self.appendonly else ["--appendonly", "no"]
        if self.maxmemory is not None:
            args += ["--maxmemory", self.maxmemory, "--maxmemory-policy", "volatile-lru", "--maxmemory-samples", "10"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._ping, timeout=10, what="redis-server")
        return self

    def _ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(10)


@dataclass
class Service:
    """An API process (and its workers) started with the given environment."""

    env: dict[str, str]
    logdir: Path
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process's life
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def start_api(self, *extra: str) -> Service:
        self._spawn("api", "serve", "--port", str(self.port), *extra)
        wait_until(lambda: httpx.get(self.url + "/healthz", timeout=2).status_code == 200, timeout=120, what="the API")
        return self

    def start_worker(self, name: str = "worker") -> subprocess.Popen:
        return self._spawn(name, "worker", "--hostname", f"{name}@%h")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def log(self, name: str) -> str:
        return (self.logdir / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(20)
            with contextlib.suppress(ProcessLookupError):  # anything the process group left behind
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def running_api(env: dict[str, str], logdir: Path) -> Iterator[Service]:
    """An API process (embedded mode starts its own worker) for the length of a ``with`` block."""
    service = Service(env, logdir)
    try:
        service.start_api()
        yield service
    finally:
        service.stop()


def service_env(tiny_bundle: Path, data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUSICXAI_") and k != "REDIS_URL"}
    env.update(
        MUSICXAI_MODELS_DIR=str(tiny_bundle.parent),
        MUSICXAI_DEFAULT_MODEL=tiny_bundle.name,
        MUSICXAI_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    env.update({k if k == "REDIS_URL" else f"MUSICXAI_{k.upper()}": v for k, v in settings.items()})
    return env


def wait_for_job(client: httpx.Client, job_id: str, *, timeout: float = 240) -> dict:
    def done():
        body = client.get(f"/v1/explanations/{job_id}").json()
        return body if body["status"] in ("succeeded", "failed") else None

    return wait_until(done, timeout=timeout, interval=0.5, what=f"job {job_id}")
