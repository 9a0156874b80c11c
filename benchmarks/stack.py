"""The service as the benchmarks start it, on free loopback ports, stopped when the block ends.

Embedded: one ``musicxai serve`` (it starts its own worker). Distributed: a private redis-server,
one Celery worker and the API, each its own process, as in production. The processes' logs are
printed when the block fails.
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


@contextlib.contextmanager
def running_stack(
    env: dict[str, str], workdir: Path, *, redis: bool, redis_server: str = "redis-server", timeout: float = 300
) -> Iterator[str]:
    """The base URL of a ready service started with ``env`` (its logs go to ``workdir``)."""
    env = dict(env)
    api_port = free_port()
    processes: list[subprocess.Popen] = []

    def spawn(name: str, command: list[str], extra_env: dict[str, str] | None = None) -> None:
        log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 - open for the process's life
        processes.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env={**env, **(extra_env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    serve = [sys.executable, "-m", "cli.main", "serve", "--port", str(api_port)]
    try:
        if redis:
            redis_port = free_port()
            env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
            redis_lib = Path(redis_server).resolve().parent / "lib"  # a carried binary brings its libraries
            spawn(
                "redis",
                [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                {"LD_LIBRARY_PATH": str(redis_lib)} if redis_lib.is_dir() else None,
            )
            spawn("worker", [sys.executable, "-m", "cli.main", "worker", "--hostname", "bench@%h"])
            spawn("api", [*serve, "--no-worker"])
        else:
            spawn("api", serve)
        base = f"http://127.0.0.1:{api_port}"
        wait_for(lambda: httpx.get(f"{base}/readyz", timeout=10).status_code == 200, timeout, "the API")
        yield base
    except BaseException:
        for log in sorted(workdir.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
        raise
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
