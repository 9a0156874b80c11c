"""The web page in headless Chromium (Debian's build) against the real embedded service."""

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from musicxai.explain.attribution import Method
from tests.support.audio import wav_bytes
from tests.support.data import ROOT
from tests.support.services import running_api, service_env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DEMO = ROOT / "models" / "demo"
SCREENSHOT = ROOT / "docs" / "screenshot.png"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The page with the committed demo bundle, as a first-time user gets it."""
    data_dir = tmp_path_factory.mktemp("browser")
    with running_api(service_env(DEMO, data_dir), data_dir) as service:
        yield service


def classify(page, tmp_path: Path, seconds: float, *, seed: int) -> None:
    """Upload a generated clip and wait for its ten probability bars."""
    clip = tmp_path / "clip.wav"
    clip.write_bytes(wav_bytes(seconds, seed=seed))
    page.wait_for_selector("#limits:not(:empty)")  # the page has its models, as a person would see
    page.set_input_files("#file-input", str(clip))
    page.click("#predict-button")
    page.wait_for_selector("#bars li:nth-child(10)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(site.url + "/")
    yield page
    context.close()


def test_upload_predict_explain_listen_and_browse_ale(page, tmp_path):
    clip = tmp_path / "clip.wav"
    clip.write_bytes(wav_bytes(8.0, seed=5))
    page.wait_for_selector("#limits:not(:empty)")
    page.wait_for_selector("#explain-form [name=segmentation] option[value=time_frequency]", state="attached")
    assert page.locator("#explain-form [name=method] option").count() == len(Method)
    assert "MiB" in page.inner_text("#limits")
    page.set_input_files("#file-input", str(clip))
    assert page.get_attribute("#original-player", "src").startswith("blob:")
    page.click("#predict-button")
    page.wait_for_selector("#bars li:nth-child(10)")
    assert page.locator("#bars li").count() == 10
    assert page.locator("#bars li.top").count() == 1
    assert page.locator("#bars li.top .fill").bounding_box()["width"] > 0  # the bars show their values
    assert "accuracy" in page.inner_text("#model-info")
    page.wait_for_selector("#gradient-preview:not([hidden])", timeout=120_000)  # queued by the page itself
    page.wait_for_function("document.getElementById('gradient-heatmap').naturalWidth > 0")
    assert "Preview by integrated gradients" in page.inner_text("#gradient-caption")
    box, bars = page.locator("#gradient-preview").bounding_box(), page.locator("#bars").bounding_box()
    assert box["y"] > bars["y"]  # under the probabilities

    assert page.input_value("#explain-form [name=games]") == "windows"
    assert page.input_value("#explain-form [name=num_samples]") == ""  # each kind of game has its default
    page.select_option("#explain-form [name=segmentation]", "time_frequency")
    page.fill("#explain-form [name=n_bands]", "3")
    page.fill("#explain-form [name=num_samples]", "100")
    with page.expect_request(lambda r: r.url.endswith("/v1/explanations") and r.method == "POST") as request:
        page.click("#explain-button")
    sent = json.loads(request.value.post_data)
    assert (sent["segmentation"], sent["n_bands"], sent["num_samples"]) == ("time_frequency", 3, 100)
    page.wait_for_selector("#result:not([hidden])", timeout=180_000)
    page.wait_for_function("document.getElementById('heatmap').naturalWidth > 0")
    assert "window games, 100 samples each" in page.inner_text("#cost")
    assert "no random draw" in page.inner_text("#stability")  # 6 players per window: all 64 coalitions played
    for player in ("#play-evidence", "#play-complement"):
        response = page.request.get(page.eval_on_selector(player, "el => el.src"))
        assert response.ok and response.headers["content-type"] == "audio/wav"
    assert page.eval_on_selector("#play-original", "el => el.src").startswith("blob:")
    assert page.locator("#segments tbody tr").count() >= 3
    assert "random" in page.inner_text("#faithfulness")
    assert "evidence audio alone keeps" in page.inner_text("#listening") and "random area" in page.inner_text(
        "#listening"
    )

    page.wait_for_selector("#ale-plot polyline.curve")  # one genre's curve, large, from the served curves
    descriptor = page.input_value("#ale-descriptor")
    curve = page.request.get(f"{page.url.rstrip('/')}/v1/global/ale/{descriptor}.json?model=demo").json()
    assert page.locator("#ale-plot line.rug").count() == len(curve["values"])
    page.select_option("#ale-genre", "metal")
    page.wait_for_function("document.getElementById('ale-how').textContent.includes('probability of metal')")
    assert "where ticks are few" in page.inner_text("#ale-how")
    page.click("#ale-title ~ details summary")  # every genre and feature at once, folded away
    page.wait_for_selector("#ale-gallery figure img")
    page.wait_for_function(
        "[...document.querySelectorAll('#ale-gallery img')].every(i => i.complete && i.naturalWidth)"
    )
    assert page.locator("#ale-gallery figure").count() >= 8

    maps = page.request.get(f"{page.url.rstrip('/')}/v1/global/attributions?model=demo").json()
    page.wait_for_selector("#maps-band tbody tr")  # one genre's map, a cell per band and tenth of the clip
    assert page.locator("#maps-band tbody tr").count() == len(maps["rows"]["time_band"])
    assert page.locator("#maps-band tbody tr:first-child td").count() == maps["time_bins"]
    assert page.locator("#maps-source tbody tr").count() == 2
    genre = list(maps["genres"])[-1]
    page.select_option("#maps-genre", genre)
    page.wait_for_function(f"document.getElementById('maps-how').textContent.includes('the model called {genre}')")
    assert "the percussive part" in page.inner_text("#maps-how")
    colours = page.eval_on_selector_all("#maps-band td", "cells => new Set(cells.map(c => c.style.background)).size")
    assert colours > 1  # the cells are coloured by their values, not all alike
    page.click("#maps-title ~ details summary")
    page.wait_for_function(
        "[...document.querySelectorAll('#maps-gallery img')].length == 2 && "
        "[...document.querySelectorAll('#maps-gallery img')].every(i => i.complete && i.naturalWidth)"
    )
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_a_preview_shows_while_the_explanation_runs_and_gives_way_to_it(page, tmp_path):
    classify(page, tmp_path, 8.0, seed=6)
    page.fill("#explain-form [name=num_samples]", "2000")  # long enough to be seen running
    page.click("#explain-button")
    page.wait_for_selector("#preview:not([hidden])", timeout=60_000)
    page.wait_for_function("document.getElementById('preview-heatmap').naturalWidth > 0")
    assert "Preview" in page.inner_text("#preview-caption")
    page.wait_for_selector("#result:not([hidden])", timeout=180_000)
    assert page.locator("#preview").is_hidden()


def test_lime_and_shap_are_shown_side_by_side_with_how_much_they_agree(page, tmp_path):
    classify(page, tmp_path, 8.0, seed=8)
    page.select_option("#explain-form [name=segmentation]", "temporal")
    page.fill("#explain-form [name=num_samples]", "40")
    page.click("#explain-button")
    page.wait_for_selector("#result:not([hidden])", timeout=180_000)
    assert page.locator("#compare-with option").first.inner_text() == "SHAP on demo"
    with page.expect_request(lambda r: "/compare/" in r.url) as compared:
        page.click("#compare-button")
    page.wait_for_selector("#comparison:not([hidden])", timeout=180_000)
    first, second = compared.value.url.split("/v1/explanations/")[1].split("/compare/")
    assert first != second
    summary = page.inner_text("#compare-summary")
    assert "LIME on demo and SHAP on demo share" in summary and "Kendall τ" in summary
    page.wait_for_function("['compare-a', 'compare-b'].every(id => document.getElementById(id).naturalWidth > 0)")
    assert page.inner_text("#compare-a-caption") == "LIME on demo"


def test_a_clipped_clip_shows_a_warning_above_the_probabilities(page, tmp_path):
    clip = tmp_path / "loud.wav"
    samples, sr = sf.read(io.BytesIO(wav_bytes(6.0, seed=2)))
    sf.write(clip, np.clip(8 * samples, -1, 1), sr, subtype="PCM_16")
    page.set_input_files("#file-input", str(clip))
    page.click("#predict-button")
    page.wait_for_selector("#bars li:nth-child(10)")
    assert page.locator("#warnings").is_visible()
    assert "clipped" in page.inner_text("#warnings li[data-code=clipped]")
    box, bars = page.locator("#warnings").bounding_box(), page.locator("#bars").bounding_box()
    assert box["y"] < bars["y"]


def test_recorded_speech_is_said_not_to_be_music_above_the_probabilities(page):
    page.set_input_files("#file-input", str(ROOT / "tests" / "fixtures" / "speech-it.flac"))
    page.click("#predict-button")
    page.wait_for_selector("#bars li:nth-child(10)")
    assert "does not sound like music" in page.inner_text("#warnings li[data-code=not_music]")
    box, bars = page.locator("#warnings").bounding_box(), page.locator("#bars").bounding_box()
    assert box["y"] < bars["y"]


def test_a_busy_service_is_said_with_a_countdown_and_the_request_retried(page, tmp_path):
    answered = []
    busy = {"type": "about:blank", "title": "Busy", "status": 503, "code": "predictions_busy",
            "detail": "8 predictions are in progress, this process's limit; retry in 2 s."}  # fmt: skip

    def busy_once(route):
        answered.append(route.request.url)
        if len(answered) == 1:  # the bound itself is the app tests' subject; here: what the page does with it
            route.fulfill(status=503, headers={"Retry-After": "2"}, json=busy)
        else:
            route.continue_()

    page.route("**/v1/predictions*", busy_once)
    clip = tmp_path / "clip.wav"
    clip.write_bytes(wav_bytes(6.0, seed=4))
    page.set_input_files("#file-input", str(clip))
    page.click("#predict-button")
    page.wait_for_selector("#busy:not([hidden])")
    assert "Retrying in 2 s" in page.inner_text("#busy") and "in progress" in page.inner_text("#busy")
    page.wait_for_selector("#bars li:nth-child(10)")
    assert page.locator("#busy").is_hidden() and page.locator("#error").is_hidden()
    assert len(answered) == 2


def test_text_file_shows_the_415_problem_inline(page, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not music at all\n" * 50)
    page.set_input_files("#file-input", str(text))
    page.click("#predict-button")
    page.wait_for_selector("#error:not([hidden])")
    message = page.inner_text("#error")
    assert "Unsupported media type" in message and "Accepted formats" in message
    assert page.locator("#prediction").is_hidden()


def test_page_is_usable_on_a_narrow_screen(browser, site):
    context = browser.new_context(viewport={"width": 380, "height": 800})
    page = context.new_page()
    page.goto(site.url + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380
    assert (
        page.get_attribute("#file-input", "id") == "file-input" and page.locator("label[for=file-input]").count() == 1
    )
    context.close()


KEY = "mxk_browser-test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def keyed_site(tmp_path_factory):
    """The same page where the service needs an API key."""
    from musicxai.service.access import hash_key

    data_dir = tmp_path_factory.mktemp("browser-keys")
    with running_api(service_env(DEMO, data_dir, api_keys=f"visitor:{hash_key(KEY)}"), data_dir) as service:
        yield service


def test_a_service_with_keys_asks_for_one_once_and_sends_it_with_every_request(browser, keyed_site, tmp_path):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(keyed_site.url + "/")
    page.wait_for_selector("#key-form:not([hidden])")
    assert "needs an API key" in page.inner_text("#key-message")
    page.fill("#key-input", "mxk_wrong")
    page.click("#key-form button")
    page.wait_for_function("document.getElementById('key-message').textContent.includes('not valid')")
    assert page.locator("#key-form").is_visible()
    page.fill("#key-input", KEY)
    page.click("#key-form button")
    page.wait_for_selector("#limits:not(:empty)")
    assert page.locator("#key-form").is_hidden() and page.locator("#error").is_hidden()

    classify(page, tmp_path, 6.0, seed=7)
    page.fill("#explain-form [name=num_samples]", "50")
    page.click("#explain-button")
    page.wait_for_selector("#result:not([hidden])", timeout=180_000)
    page.wait_for_function("document.getElementById('heatmap').naturalWidth > 0")  # fetched with the key
    assert page.eval_on_selector("#play-evidence", "el => el.src").startswith("blob:")
    assert "10 re-fits" in page.inner_text("#stability")  # 16 players, 50 samples: a random draw
    page.reload()  # the key is kept for this tab
    page.wait_for_selector("#limits:not(:empty)")
    assert page.locator("#key-form").is_hidden()
    context.close()


def test_the_global_views_of_a_model_no_longer_chosen_never_replace_the_chosen_ones(browser, site):
    """The first model's ALE and maps answer late, after another model was chosen and shown: they are dropped."""
    from playwright.sync_api import Error

    held = []

    def first_model_global_view(url: str) -> bool:
        return url.endswith("?model=demo") and ("/v1/global/ale?" in url or "/v1/global/attributions?" in url)

    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.route(first_model_global_view, lambda route: held.append(route))  # held until the other model shows
    page.goto(site.url + "/")
    for _ in range(600):
        if len(held) == 2:
            break
        page.wait_for_timeout(50)
    assert len(held) == 2
    page.select_option("#model-select", "demo-student")
    page.wait_for_selector("#maps-band tbody tr")
    page.wait_for_selector("#ale-plot polyline.curve")
    page.wait_for_selector("#ale-gallery figure", state="attached")
    ids = ["maps-intro", "maps-genre", "ale-descriptor", "ale-gallery", "ale-how"]
    view = f"{ids}.map(id => document.getElementById(id).textContent)"
    shown = page.evaluate(view)

    for route in held:  # now the first model's answers arrive, marked so that showing them would be seen
        try:
            response = route.fetch()
            body = response.json()
            if "descriptors" in body:
                body["descriptors"] = [{**d, "label": "Stale feature"} for d in body["descriptors"][:1]]
            else:
                body["data"] = "stale clips"
            route.fulfill(response=response, json=body)
        except Error:
            pass  # the page gave up on the request already
    page.wait_for_timeout(1500)
    assert page.evaluate(view) == shown
    assert "stale" not in " ".join(shown).lower()
    assert page.input_value("#model-select") == "demo-student"
    context.close()


def test_a_tagger_shows_independent_tags_says_what_it_is_and_explains_the_tag_asked_about(page):
    page.wait_for_selector("#limits:not(:empty)")
    page.select_option("#model-select", "musicnn-mtt")
    info = page.inner_text("#model-info")
    assert "50 independent tags" in info and "filterbank" in info and "musicnn" in info
    page.set_input_files("#file-input", str(ROOT / "tests" / "fixtures" / "music-tuxi.flac"))
    page.click("#predict-button")
    page.wait_for_selector("#bars li:nth-child(12)")
    assert page.locator("#bars li").count() == 12  # the strongest dozen of 50
    assert "need not sum to 100 %" in page.inner_text("#prediction-summary")
    assert page.input_value("#explain-form [name=n_bands]") == "4"  # the tagger's own default
    tags = page.eval_on_selector_all("#explain-form [name=genres] option", "os => os.map(o => o.value)")
    assert len(tags) == 50
    page.select_option("#explain-form [name=genres]", tags[2])
    page.fill("#explain-form [name=n_bands]", "2")
    page.fill("#explain-form [name=num_samples]", "10")
    page.click("#explain-button")
    page.wait_for_selector("#result:not([hidden])", timeout=240_000)
    page.wait_for_function("document.getElementById('heatmap').naturalWidth > 0")
    assert tags[2] in page.inner_text("#result")


def test_a_method_whose_maps_survive_randomised_weights_is_marked_where_it_is_offered(browser, site):
    """The page reads each model's stored sanity checks from /v1/models; here the answer is edited on its
    way so that the default model's checks flag SHAP and clear LIME."""

    def flag_shap(route):
        answer = route.fetch().json()
        for model in answer["models"]:
            step = {"layers": 1, "of": 1, "deepest": "dense", "spearman": 0.8, "ssim": 0.9}
            noise = {"snr_db": 30, "kept_prediction": 1, "copies": 1, "spearman": 0.9, "top_k_overlap": 1}
            model["sanity_checks"] = {
                "clips": ["a.flac"], "clip_seconds": 15, "params": {}, "not_randomised": None, "seconds": 1,
                "methods": {
                    "lime": {"randomisation": [{**step, "spearman": 0.1}], "survives_randomisation": False,
                             "noise": noise},
                    "shap": {"randomisation": [step], "survives_randomisation": True, "noise": noise},
                },
            }  # fmt: skip
        route.fulfill(response=route.fetch(), json=answer)

    context = browser.new_context()
    page = context.new_page()
    page.route("**/v1/models", flag_shap)
    page.goto(site.url + "/")
    page.wait_for_selector("#limits:not(:empty)")
    labels = dict(page.eval_on_selector_all(
        "#explain-form [name=method] option", "os => os.map(o => [o.value, o.textContent])"
    ))  # fmt: skip
    assert "survive randomised weights" in labels["shap"]
    assert "survive" not in labels["lime"] and "survive" not in labels["gradient"]
    context.close()


def test_lime_drawn_in_rounds_says_when_it_stopped(page, tmp_path):
    """A costly model's bundle defaults draw LIME in rounds; here the page's request asks for it on its way
    out (the form offers no such field), and the real service's result says when sampling stopped."""

    def in_rounds(route):
        body = json.loads(route.request.post_data or "{}")
        route.continue_(post_data=json.dumps({**body, "paired": True, "stop_when_stable": 0.6}))

    page.route("**/v1/explanations", in_rounds)
    classify(page, tmp_path, 6.0, seed=12)
    page.fill("#explain-form [name=num_samples]", "40")
    page.click("#explain-button")
    page.wait_for_selector("#result:not([hidden])", timeout=180_000)
    text = page.inner_text("#stability")
    assert "Paired masks were drawn in" in text and "of 40 samples a game" in text
