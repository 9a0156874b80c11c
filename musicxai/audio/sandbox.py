"""Decoding untrusted uploads in a separate, resource-limited process.

Crafted audio files have crashed libsndfile and ffmpeg's decoders before. A crash, a runaway
allocation or an endless decode here ends a short-lived child process, not the API or a worker:
the caller gets an :class:`~musicxai.errors.AudioError` instead.

The API forks the child from a forkserver that already imported the decoder (~50 ms a clip).
Celery's pool processes are daemonic and may not fork children of their own, so there the child is
a fresh interpreter (``python -m musicxai.audio.sandbox``). Starting one costs ~250 ms, more than a whole
GPU explanation, so the next child is started as soon as the previous one is taken and waits, its
imports done, for the next clip: every upload still gets a process of its own.
"""

from __future__ import annotations

import functools
import json
import multiprocessing as mp
import resource
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext

import numpy as np

from musicxai import errors
from musicxai.audio.decode import DecodedAudio, load_audio
from musicxai.config import DECODE_MEMORY_BYTES, DECODE_TIMEOUT_S


@functools.cache
def _forkserver() -> ForkServerContext:
    """The forkserver, told on first use to import the decoder once for all its children."""
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["musicxai.audio.decode"])
    return context


def _cpu_seconds(timeout_s: float) -> int:
    """The child's CPU-time limit: just past the wall-clock timeout the parent enforces."""
    return int(timeout_s) + 1


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def _decode(data: bytes, kwargs: dict) -> tuple[str, tuple]:
    try:
        audio = load_audio(data, **kwargs)
        return "ok", (audio.samples, audio.sample_rate, audio.source_duration_s)
    except errors.MusicXAIError as exc:
        return "error", (type(exc).__name__, exc.detail)
    except MemoryError:
        return "error", ("AudioError", "Decoding this file needed more memory than allowed.")


def _forked_child(conn: Connection, data: bytes, kwargs: dict, memory_bytes: int, cpu_seconds: int) -> None:
    _limit(memory_bytes, cpu_seconds)
    try:
        conn.send(_decode(data, kwargs))
    finally:
        conn.close()


def _result(status: str, payload: tuple) -> DecodedAudio:
    if status == "ok":
        samples, rate, source_duration = payload
        return DecodedAudio(samples, rate, source_duration)
    name, detail = payload
    raise getattr(errors, name, errors.AudioError)(detail)


def _timeout_error(timeout_s: float) -> errors.AudioError:
    return errors.AudioError(f"Decoding took longer than {timeout_s:.0f} s and was stopped.")


CRASHED = "The decoder crashed on this file; it is not usable audio."


def _decode_forked(data: bytes, kwargs: dict, timeout_s: float, memory_bytes: int) -> DecodedAudio:
    context = _forkserver()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_forked_child, args=(sender, data, kwargs, memory_bytes, _cpu_seconds(timeout_s)), daemon=True
    )
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            raise _timeout_error(timeout_s)
        status, payload = receiver.recv()
    except EOFError:
        raise errors.AudioError(CRASHED) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(timeout=5)
    return _result(status, payload)


class _Standby:
    """One decoder interpreter started ahead of need, per process and per set of limits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[tuple[int, int], subprocess.Popen] = {}

    @staticmethod
    def _spawn(memory_bytes: int, cpu_seconds: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "musicxai.audio.sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: _limit(memory_bytes, cpu_seconds),
        )

    def prepare(self, memory_bytes: int, cpu_seconds: int) -> None:
        """Start a waiting decoder for these limits unless one is already waiting."""
        key = (memory_bytes, cpu_seconds)
        with self._lock:
            child = self._waiting.get(key)
            if child is None or child.poll() is not None:
                self._waiting[key] = self._spawn(memory_bytes, cpu_seconds)

    def take(self, memory_bytes: int, cpu_seconds: int) -> subprocess.Popen:
        """A decoder for one clip (the waiting one if alive), and a new one started for the next clip."""
        key = (memory_bytes, cpu_seconds)
        with self._lock:
            child = self._waiting.pop(key, None)
        if child is None or child.poll() is not None:
            child = self._spawn(memory_bytes, cpu_seconds)
        self.prepare(memory_bytes, cpu_seconds)
        return child


@functools.cache
def _standby() -> _Standby:
    """This process's waiting decoder, made when a daemonic process first needs one."""
    return _Standby()


def prepare_decoder(
    *, timeout_s: float = DECODE_TIMEOUT_S, memory_bytes: int = DECODE_MEMORY_BYTES, **_limits: float
) -> None:
    """Start the waiting decoder process now (worker start-up), so the first job does not wait for it.
    Takes the same limits as :func:`decode_isolated`; only daemonic processes (Celery's pool) use it."""
    if mp.current_process().daemon:
        _standby().prepare(memory_bytes, _cpu_seconds(timeout_s))


def _decode_subprocess(data: bytes, kwargs: dict, timeout_s: float, memory_bytes: int) -> DecodedAudio:
    child = _standby().take(memory_bytes, _cpu_seconds(timeout_s))
    try:
        stdout, _ = child.communicate(json.dumps(kwargs).encode() + b"\n" + data, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise _timeout_error(timeout_s) from None
    header, _, body = stdout.partition(b"\n")
    if child.returncode != 0 or not header:
        raise errors.AudioError(CRASHED)
    meta = json.loads(header)
    if meta["status"] != "ok":
        return _result("error", (meta["error"], meta["detail"]))
    samples = np.frombuffer(body, dtype="<f4").copy()
    return DecodedAudio(samples, meta["sample_rate"], meta["source_duration_s"])


def decode_isolated(
    data: bytes,
    *,
    sr: int,
    max_duration: float | None,
    min_duration: float,
    timeout_s: float = 30.0,
    memory_bytes: int = 2 * 1024**3,
) -> DecodedAudio:
    """:func:`~musicxai.audio.load_audio` on ``data`` in a child process with memory and time limits."""
    kwargs = {"sr": sr, "max_duration": max_duration, "min_duration": min_duration}
    decode = _decode_subprocess if mp.current_process().daemon else _decode_forked
    return decode(data, kwargs, timeout_s, memory_bytes)


def _main() -> None:
    """Child entry point: one JSON line of arguments, then the audio bytes, on stdin -> one JSON line,
    then float32 samples, on stdout. Waits on stdin with the decoder imported; a parent that dies
    closes the pipe, and the child exits."""
    stdin = sys.stdin.buffer
    kwargs = json.loads(stdin.readline() or b"{}")
    status, payload = _decode(stdin.read(), kwargs)
    out = sys.stdout.buffer
    if status == "ok":
        samples, rate, source_duration = payload
        meta = {"status": "ok", "sample_rate": rate, "source_duration_s": source_duration}
        out.write(json.dumps(meta).encode() + b"\n" + samples.astype("<f4").tobytes())
    else:
        out.write(json.dumps({"status": "error", "error": payload[0], "detail": payload[1]}).encode() + b"\n")
    out.flush()


if __name__ == "__main__":
    _main()
