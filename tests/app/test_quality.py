"""What a prediction says about the clip itself: silence refused with a code, warnings otherwise."""

from pathlib import Path

import numpy as np
import pytest

from tests.support.audio import SR, encoded, tone_clip
from tests.support.http import assert_problem

pytestmark = pytest.mark.anyio


async def _post(api, data: bytes):
    return await api.client.post("/v1/predictions", files={"file": ("clip.wav", data, "audio/wav")})


@pytest.mark.parametrize("level", [0.0, 0.25], ids=["digital-silence", "constant-level"])
async def test_a_silent_or_constant_clip_is_422_with_code_silent(api, level):
    body = assert_problem(await _post(api, encoded(np.full(10 * SR, level, dtype=np.float32), subtype="FLOAT")), 422)
    assert body["code"] == "silent" and "silent" in body["detail"]


async def test_music_has_no_warnings(api):
    body = (await _post(api, encoded(np.concatenate([tone_clip(g, 1, 2.0) for g in range(3)])))).json()
    assert body["warnings"] == []


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")  # 1e30²
async def test_samples_far_beyond_full_scale_are_classified_with_a_clipped_warning(api):
    huge = 1e30 * np.concatenate([tone_clip(g, 1, 2.0) for g in range(3)])
    response = await _post(api, encoded(huge, subtype="FLOAT"))
    assert response.status_code == 200, response.text
    body = response.json()
    clipped = [w for w in body["warnings"] if w["code"] == "clipped"]
    assert clipped and "times full scale" in clipped[0]["detail"]
    assert abs(sum(body["probabilities"].values()) - 1.0) < 1e-4


async def test_a_cut_upload_is_warned_about(api):
    body = (await api.predict(16.0)).json()
    assert body["truncated"] and [w["code"] for w in body["warnings"]] == ["truncated"]


FIXTURES = Path(__file__).parents[1] / "fixtures"


async def test_recorded_speech_gets_a_genre_and_a_not_music_warning(api):
    """An Italian telephone prompt (Asterisk's prompts, CC-BY-3.0; the real-audio set's report part)."""
    response = await api.client.post(
        "/v1/predictions", files={"file": ("speech.flac", (FIXTURES / "speech-it.flac").read_bytes(), "audio/flac")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    codes = [w["code"] for w in body["warnings"]]
    assert "not_music" in codes and abs(sum(body["probabilities"].values()) - 1.0) < 1e-4
    detail = next(w["detail"] for w in body["warnings"] if w["code"] == "not_music")
    assert "does not sound like music" in detail


async def test_recorded_music_is_not_called_not_music(api):
    """Ten seconds of tuxmath's public-domain music (the real-audio set's report part)."""
    response = await api.client.post(
        "/v1/predictions", files={"file": ("music.flac", (FIXTURES / "music-tuxi.flac").read_bytes(), "audio/flac")}
    )
    assert response.status_code == 200, response.text
    assert "not_music" not in [w["code"] for w in response.json()["warnings"]]


async def test_without_a_detector_no_not_music_check_is_made(tiny_bundle, tmp_path):
    from tests.support.app import app_settings, serving

    async with serving(app_settings(tiny_bundle, tmp_path, detector_dir=None)) as bare:
        response = await bare.client.post(
            "/v1/predictions", files={"file": ("speech.flac", (FIXTURES / "speech-it.flac").read_bytes(), "audio/flac")}
        )
    assert response.status_code == 200 and "not_music" not in [w["code"] for w in response.json()["warnings"]]
