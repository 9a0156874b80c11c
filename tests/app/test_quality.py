"""What a prediction says about the clip itself: silence refused with a code, warnings otherwise."""

import io

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import SR, assert_problem, tone_clip

pytestmark = pytest.mark.anyio


def wav(y: np.ndarray, *, subtype: str = "PCM_16", sr: int = SR) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype=subtype)
    return buffer.getvalue()


async def _post(api, data: bytes):
    return await api.client.post("/v1/predictions", files={"file": ("clip.wav", data, "audio/wav")})


@pytest.mark.parametrize("level", [0.0, 0.25], ids=["digital-silence", "constant-level"])
async def test_a_silent_or_constant_clip_is_422_with_code_silent(api, level):
    body = assert_problem(await _post(api, wav(np.full(10 * SR, level, dtype=np.float32), subtype="FLOAT")), 422)
    assert body["code"] == "silent" and "silent" in body["detail"]


async def test_music_has_no_warnings(api):
    body = (await _post(api, wav(np.concatenate([tone_clip(g, 1, 2.0) for g in range(3)])))).json()
    assert body["warnings"] == []


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")  # 1e30²
async def test_samples_far_beyond_full_scale_are_classified_with_a_clipped_warning(api):
    huge = 1e30 * np.concatenate([tone_clip(g, 1, 2.0) for g in range(3)])
    response = await _post(api, wav(huge, subtype="FLOAT"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [w["code"] for w in body["warnings"]] == ["clipped"] and "times full scale" in body["warnings"][0]["detail"]
    assert abs(sum(body["probabilities"].values()) - 1.0) < 1e-4


async def test_a_cut_upload_is_warned_about(api):
    body = (await api.predict(16.0)).json()
    assert body["truncated"] and [w["code"] for w in body["warnings"]] == ["truncated"]
