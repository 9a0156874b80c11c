"""The decoder child used inside Celery's (daemonic) pool: one fresh process per clip, started ahead."""

import os
import subprocess
import sys

import numpy as np
import pytest

from musicxai.audio import sandbox
from musicxai.audio.decode import load_audio
from musicxai.errors import AudioError
from tests.support.audio import wav_bytes
from tests.support.processes import wait_until_ended

LIMITS = {"timeout_s": 30.0, "memory_bytes": 2 * 1024**3}
KWARGS = {"sr": 22050, "max_duration": 60.0, "min_duration": 1.0}
KEY = (LIMITS["memory_bytes"], int(LIMITS["timeout_s"]) + 1)


@pytest.mark.slow
def test_each_clip_gets_its_own_waiting_process():
    data = wav_bytes(2.0, sr=44100)
    first = sandbox._decode_subprocess(data, KWARGS, LIMITS["timeout_s"], LIMITS["memory_bytes"])
    np.testing.assert_allclose(first.samples, load_audio(data, **KWARGS).samples, atol=1e-6)
    waiting = sandbox._standby()._waiting[KEY]
    assert waiting.poll() is None  # started for the next clip, imports under way or done
    second = sandbox._decode_subprocess(data, KWARGS, LIMITS["timeout_s"], LIMITS["memory_bytes"])
    np.testing.assert_array_equal(second.samples, first.samples)
    assert waiting.returncode == 0  # the waiting process decoded the second clip and ended
    assert sandbox._standby()._waiting[KEY].pid != waiting.pid


def test_undecodable_bytes_are_an_audio_error_not_a_crash_of_the_caller():
    with pytest.raises(AudioError):
        sandbox._decode_subprocess(b"RIFF not really a wave file", KWARGS, 30.0, LIMITS["memory_bytes"])


def test_a_decoder_over_its_memory_limit_is_reported_as_unusable_audio():
    with pytest.raises(AudioError):
        sandbox._decode_subprocess(
            wav_bytes(2.0, sr=44100), KWARGS, 30.0, 64 * 1024**2
        )  # too little to even import numpy


@pytest.mark.slow
def test_a_waiting_decoder_ends_with_the_process_that_started_it():
    script = (
        "import multiprocessing as mp; mp.current_process().daemon = True\n"
        "from musicxai.audio import sandbox\n"
        "sandbox.prepare_decoder(timeout_s=30.0, memory_bytes=2 * 1024**3)\n"
        "print(next(iter(sandbox._standby()._waiting.values())).pid, flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=os.environ)
    assert done.returncode == 0, done.stderr
    assert wait_until_ended([int(done.stdout.split()[-1])], timeout=10)
