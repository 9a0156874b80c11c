"""The service as the benchmarks start it, on free loopback ports, stopped when the block ends.

Embedded: one ``musicxai serve`` (it starts its own worker). Distributed: a private redis-server for
the queue and the job ledger, optionally a second one for clips and artifacts (``maxmemory`` with
``volatile-lru``, as docker-compose.yml runs it), Celery workers and the API, each its own process,
as in production. A :class:`Stack` can kill and restart any of its processes (the chaos benchmark
does). The processes' logs are printed when the block fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not come up within {timeout:.0f} s")


@dataclass
class Stack:
    """Named processes started from one environment; each can be killed and started again."""

    env: dict[str, str]
    workdir: Path
    redis_server: str = "redis-server"
    commands: dict[str, list[str]] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, command: list[str] | None = None) -> subprocess.Popen:
        """Start ``name`` with ``command`` (or the command it was first started with)."""
        self.commands[name] = command = command or self.commands[name]
        redis_lib = Path(self.redis_server).resolve().parent / "lib"  # a carried binary brings its libraries
        extra = {"LD_LIBRARY_PATH": str(redis_lib)} if command[0] == self.redis_server and redis_lib.is_dir() else {}
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - open for the process's life
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env={**self.env, **extra}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self.processes[name]

    def redis(self, name: str, *options: str) -> str:
        """A private redis-server (its data in ``workdir``); its URL."""
        port = free_port()
        folder = self.workdir / name
        folder.mkdir(exist_ok=True)
        args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder), *options]
        self.start(name, [self.redis_server, *args])
        wait_for(lambda: _pong(port), 10, name)
        return f"redis://127.0.0.1:{port}/0"

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(30)

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes.values() if p.poll() is None]

    def stop(self) -> None:
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def logs(self) -> str:
        return "".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}\n" for log in sorted(self.workdir.glob("*.log"))
        )


def _pong(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")


@contextlib.contextmanager
def started(
    env: dict[str, str],
    workdir: Path,
    *,
    redis: bool,
    redis_server: str = "redis-server",
    blob_maxmemory: str | None = None,
    persistent: bool = False,
    workers: int = 1,
    timeout: float = 300,
) -> Iterator[tuple[Stack, str]]:
    """A ready service started with ``env`` and its base URL. Distributed (``redis``): a queue Redis
    (with an append-only file when ``persistent``), with ``blob_maxmemory`` a blob Redis of that size
    with volatile-lru, and ``workers`` Celery workers beside the API."""
    stack = Stack(dict(env), workdir, redis_server)
    api_port = free_port()
    serve = [sys.executable, "-m", "cli.main", "serve", "--port", str(api_port)]
    aof = ["--appendonly", "yes", "--appendfsync", "everysec"] if persistent else ["--appendonly", "no"]
    try:
        if redis:
            stack.env["REDIS_URL"] = stack.redis("redis", *aof, "--maxmemory-policy", "noeviction")
            if blob_maxmemory is not None:
                stack.env["MUSICXAI_BLOB_REDIS_URL"] = stack.redis(
                    "blobs", *aof, "--maxmemory", blob_maxmemory, "--maxmemory-policy", "volatile-lru",
                    "--maxmemory-samples", "10",
                )  # fmt: skip
            for i in range(workers):
                stack.start(f"worker{i}", [sys.executable, "-m", "cli.main", "worker", "--hostname", f"bench{i}@%h"])
            stack.start("api", [*serve, "--no-worker"])
        else:
            stack.start("api", serve)
        base = f"http://127.0.0.1:{api_port}"
        wait_for(lambda: httpx.get(f"{base}/readyz", timeout=10).status_code == 200, timeout, "the API")
        yield stack, base
    except BaseException:
        print(stack.logs(), file=sys.stderr)
        raise
    finally:
        stack.stop()


@contextlib.contextmanager
def running_stack(
    env: dict[str, str], workdir: Path, *, redis: bool, redis_server: str = "redis-server", timeout: float = 300
) -> Iterator[str]:
    """The base URL of a ready service started with ``env`` (its logs go to ``workdir``)."""
    with started(env, workdir, redis=redis, redis_server=redis_server, timeout=timeout) as (_, base):
        yield base
