"""A corpus of hostile uploads and requests, each made here: every one is answered within its time
limit with a 4xx problem document (or, for odd but real audio, a prediction), never a 5xx; the
decoder's process limits keep the API's memory bounded, and the service still predicts afterwards."""

import gzip
import io
import resource
import struct
import time
import zipfile

import anyio
import numpy as np
import pytest
import soundfile as sf

from tests.support.app import app_settings, serving
from tests.support.audio import SR, encoded, tone_clip, wav_bytes
from tests.support.http import assert_problem

pytestmark = pytest.mark.anyio
TIME_LIMIT_S = 30.0  # the decoder's own wall-clock limit
MEMORY_GROWTH_LIMIT = 400 * 1024  # ru_maxrss is in KiB: the API may not grow by 400 MiB on any of these


def wav_header(*, channels: int, rate: int, bits: int, data_bytes: int, fmt_tag: int = 1) -> bytes:
    """A canonical 44-byte WAV header that may lie about its data."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block, block, bits)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes & 0xFFFFFFFF)
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + (b"data" + struct.pack("<I", data_bytes & 0xFFFFFFFF))
    )


def lying_wav(*, data_bytes: int, tail: bytes, fmt_tag: int = 1) -> bytes:
    return wav_header(channels=1, rate=SR, bits=16, data_bytes=data_bytes, fmt_tag=fmt_tag) + tail


def id3_claiming(size: int) -> bytes:
    """An ID3v2 tag header whose synchsafe size says ``size`` bytes follow."""
    synchsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x04\x00\x00" + synchsafe


def six_hour_silent_flac() -> bytes:
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", samplerate=8000, channels=1, format="FLAC", subtype="PCM_16") as f:
        block = np.zeros(8000 * 600, dtype=np.int16)
        for _ in range(36):  # 36 × 10 minutes
            f.write(block)
    return buf.getvalue()


def zip_of(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("song.wav", data)
    return buf.getvalue()


MUSIC = np.concatenate([tone_clip(g, 1, 2.0) for g in range(3)])
UPLOADS = {  # name -> (file bytes, filename); the answer must be a 4xx problem
    "empty file": (b"", "a.wav"),
    "riff header only": (b"RIFF\x24\x00\x00\x00WAVE", "a.wav"),
    "wav header, no data": (wav_header(channels=1, rate=SR, bits=16, data_bytes=0), "a.wav"),
    "wav claiming 2^31 frames": (
        wav_header(channels=1, rate=SR, bits=16, data_bytes=2**32 - 2) + b"\0" * 4000,
        "a.wav",
    ),
    "wav with 0 channels": (wav_header(channels=0, rate=SR, bits=16, data_bytes=400) + b"\0" * 400, "a.wav"),
    "wav at 0 Hz": (wav_header(channels=1, rate=0, bits=16, data_bytes=400) + b"\0" * 400, "a.wav"),
    "wav at 1 Hz": (encoded(np.zeros(30, dtype=np.float32) + 0.1, sr=1), "a.wav"),
    "wav of 7 bits": (wav_header(channels=1, rate=SR, bits=7, data_bytes=4000) + b"\x55" * 4000, "a.wav"),
    "wav, unknown codec 0x1234": (
        wav_header(channels=1, rate=SR, bits=16, data_bytes=4000, fmt_tag=0x1234) + b"\1" * 4000,
        "a.wav",
    ),
    "wav truncated mid-sample": (wav_bytes(3.0)[:-1][:5001], "a.wav"),
    "wav of NaN": (encoded(np.full(3 * SR, np.nan, dtype=np.float32), subtype="FLOAT"), "a.wav"),
    "wav of +inf": (encoded(np.full(3 * SR, np.inf, dtype=np.float32), subtype="FLOAT"), "a.wav"),
    "wav of digital silence": (encoded(np.zeros(3 * SR, dtype=np.float32)), "a.wav"),
    "wav of 0.4 s": (wav_bytes(0.4), "a.wav"),
    "mp3: ID3 tag claiming 1 GB": (id3_claiming(2**28 - 1) + b"\0" * 2000, "a.mp3"),
    "mp3: frame sync then garbage": (b"\xff\xfb\x90\x00" + bytes(range(256)) * 40, "a.mp3"),
    "ogg: capture pattern then garbage": (b"OggS\x00\x02" + b"\xab" * 5000, "a.ogg"),
    "flac: marker then garbage": (b"fLaC\x00\x00\x00\x22" + b"\x13" * 5000, "a.flac"),
    "flac truncated to its header": (encoded(MUSIC, SR, format="FLAC")[:300], "a.flac"),
    "m4a: ftyp box only": (b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00isomiso2", "a.m4a"),
    "aiff header only": (b"FORM\x00\x00\x00\x04AIFF", "a.aiff"),
    "6-hour silent flac": (six_hour_silent_flac(), "long.flac"),
    "zip holding a wav": (zip_of(wav_bytes(3.0)), "a.zip"),
    "gzip bomb (64 MB of zeros)": (gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9), "a.wav.gz"),
    "png image": (b"\x89PNG\r\n\x1a\n" + b"\0" * 2000, "a.png"),
    "gif/wav polyglot": (b"GIF89a" + wav_bytes(3.0), "a.gif"),
    "html page": (b"<!doctype html><script>alert(1)</script>" * 50, "a.wav"),
    "elf executable": (b"\x7fELF\x02\x01\x01" + b"\0" * 4000, "a.wav"),
    "json document": (b'{"audio": "' + b"A" * 5000 + b'"}', "a.json"),
}
ODD_BUT_AUDIO = {  # real audio in strange shapes, or a hostile name on a real clip: answered, never 5xx
    "192 kHz, 8 channels": (encoded(np.tile(MUSIC[: 2 * SR, None], (1, 8)) * 0.5, sr=192000), "a.wav"),
    "1e30 × full scale": (encoded(1e30 * MUSIC, subtype="FLOAT"), "a.wav"),
    "path-traversal file name": (encoded(MUSIC), "../../../../etc/passwd.wav"),
    "NUL and newlines in the file name": (encoded(MUSIC), "a\x00b\r\nc.wav"),
}


async def _post_file(api, data: bytes, filename: str):
    return await api.client.post("/v1/predictions", files={"file": (filename, data, "application/octet-stream")})


async def _timed(request) -> tuple[object, float]:
    started = time.perf_counter()
    response = await request
    return response, time.perf_counter() - started


@pytest.mark.parametrize("name", list(UPLOADS))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
async def test_a_hostile_upload_is_a_4xx_problem_in_time(api, name):
    data, filename = UPLOADS[name]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    response, seconds = await _timed(_post_file(api, data, filename))
    assert 400 <= response.status_code < 500, (name, response.status_code, response.text[:300])
    assert_problem(response, response.status_code)
    assert seconds < TIME_LIMIT_S
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < MEMORY_GROWTH_LIMIT


@pytest.mark.parametrize("name", list(ODD_BUT_AUDIO))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
async def test_odd_but_real_audio_is_answered_without_a_server_error(api, name, tmp_path):
    data, filename = ODD_BUT_AUDIO[name]
    response, seconds = await _timed(_post_file(api, data, filename))
    assert response.status_code < 500 and seconds < TIME_LIMIT_S, (name, response.text[:300])
    if response.status_code == 200:
        assert abs(sum(response.json()["probabilities"].values()) - 1) < 1e-4


HOSTILE_REQUESTS = {  # name -> (method, path, keyword arguments); each answered 4xx problem JSON
    "no file field": ("POST", "/v1/predictions", {"data": {"note": "x"}}),
    "JSON instead of multipart": ("POST", "/v1/predictions", {"json": {"file": "AAAA"}}),
    "multipart without a boundary": (
        "POST", "/v1/predictions", {"content": b"--x\r\n\r\n", "headers": {"content-type": "multipart/form-data"}}
    ),
    "a 100 kB field name": ("POST", "/v1/predictions", {"files": {"f" * 100_000: ("a.wav", b"RIFF")}}),
    "2 000 form fields": (
        "POST", "/v1/explanations", {"data": {f"k{i}": "v" for i in range(2000)}, "files": {"file": ("a.wav", b"x")}}
    ),
    "unknown model": ("POST", "/v1/predictions?model=nope", {"files": {"file": ("a.wav", wav_bytes(2.0))}}),
    "traversal as the model": ("POST", "/v1/predictions?model=..%2F..%2Fetc", {"files": {"file": ("a.wav", b"x")}}),
    "num_samples below its bound": ("POST", "/v1/predictions?explain=lime&num_samples=-1", {"data": {"a": "b"}}),
    "unknown method": ("POST", "/v1/predictions?explain=gradcam%00", {"files": {"file": ("a.wav", b"x")}}),
    "explanation of an unknown clip": ("POST", "/v1/explanations", {"json": {"prediction_id": "0" * 64}}),
    "explanation body that is a JSON list": ("POST", "/v1/explanations", {"json": [1, 2, 3]}),
    "explanation body that is not JSON": (
        "POST", "/v1/explanations", {"content": b"{not json", "headers": {"content-type": "application/json"}}
    ),
    "NaN samples count": ("POST", "/v1/explanations", {"content": b'{"prediction_id": "a", "num_samples": NaN}',
                                                       "headers": {"content-type": "application/json"}}),
    "traversal in a job id": ("GET", "/v1/explanations/..%2F..%2Fetc%2Fpasswd", {}),
    "traversal in an artifact name": ("GET", "/v1/explanations/abc/..%2F..%2Fjobs.sqlite", {}),
    "traversal in an ALE file": ("GET", "/v1/global/ale/..%2F..%2Fbundle.json", {}),
    "a method the route does not have": ("DELETE", "/v1/predictions", {}),
}  # fmt: skip


@pytest.mark.parametrize("name", list(HOSTILE_REQUESTS))
async def test_a_hostile_request_is_a_4xx_problem(api, name):
    method, path, kwargs = HOSTILE_REQUESTS[name]
    response = await api.client.request(method, path, **kwargs)
    assert 400 <= response.status_code < 500, (name, response.status_code, response.text[:300])
    assert_problem(response, response.status_code)
    if response.status_code == 405:
        assert "POST" in response.headers["allow"]


@pytest.mark.slow
async def test_the_service_still_predicts_after_the_whole_corpus(api):
    """Every hostile upload and request, in one go and in this test (so the order tests run in does
    not matter), then an ordinary clip: the service has not been left broken."""
    for data, filename in UPLOADS.values():
        await api.client.post("/v1/predictions", files={"file": (filename, data)})
    for method, path, kwargs in HOSTILE_REQUESTS.values():
        await api.client.request(method, path, **kwargs)
    response = await api.client.post("/v1/predictions", files={"file": ("a.wav", encoded(MUSIC))})
    assert response.status_code == 200 and (await api.client.get("/readyz")).status_code == 200


@pytest.mark.slow
async def test_a_body_that_trickles_in_is_408_and_frees_its_prediction_slot(tiny_bundle, tmp_path):
    settings = app_settings(tiny_bundle, tmp_path, body_timeout_s=1.0, max_inflight_predictions=1)
    async with serving(settings) as api:

        async def slowloris():
            yield b'--abc\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF'
            await anyio.sleep(3.0)
            yield b"\0" * 16

        started = time.perf_counter()
        response = await api.client.post(
            "/v1/predictions", content=slowloris(), headers={"content-type": "multipart/form-data; boundary=abc"}
        )
        assert "did not arrive within 1 s" in assert_problem(response, 408)["detail"]
        assert time.perf_counter() - started < 2.5
        assert (await api.client.post("/v1/predictions", files={"file": ("a.wav", encoded(MUSIC))})).status_code == 200
