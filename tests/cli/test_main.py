"""``musicxai`` commands run in this process: ``explain FILE`` offline, and its choices."""

import json

import pytest

from cli.main import build_parser, main
from musicxai.explain.attribution import Method
from musicxai.explain.result import ARTIFACT_FILES
from musicxai.explain.segmentation import SegmentationKind
from tests.support.audio import wav_bytes


@pytest.fixture
def served(tiny_bundle, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    for name in ("MUSICXAI_MODELS_DIR", "MUSICXAI_DEFAULT_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MUSICXAI_MODELS_DIR", str(tiny_bundle.parent))
    monkeypatch.setenv("MUSICXAI_DEFAULT_MODEL", tiny_bundle.name)
    return tmp_path


@pytest.mark.slow
def test_explain_writes_every_artifact_and_prints_a_summary(served, capsys):
    clip = served / "clip.wav"
    clip.write_bytes(wav_bytes(6.0, seed=1))
    code = main(["explain", str(clip), "--out", str(served / "out"), "--method", "shap", "--num-samples", "40",
                 "--segmentation", "temporal"])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in (served / "out").iterdir()) == sorted(ARTIFACT_FILES.values())
    assert summary["explained"][0] in summary["probabilities"] and summary["windows_evaluated"] > 0
    attributions = json.loads((served / "out" / "attributions.json").read_text())
    assert attributions["method"] == "shap" and attributions["params"]["segmentation"] == "temporal"


def test_a_clip_too_short_is_reported_not_raised(served, capsys):
    clip = served / "short.wav"
    clip.write_bytes(wav_bytes(0.4))
    assert main(["explain", str(clip), "--out", str(served / "out")]) == 2
    assert "at least" in capsys.readouterr().err


def test_explain_offers_the_core_choices_and_refuses_others(capsys):
    parser = build_parser()
    explain = parser._subparsers._group_actions[0].choices["explain"]
    options = {a.dest: a for a in explain._actions}
    assert list(options["method"].choices) == [m.value for m in Method]
    assert list(options["segmentation"].choices) == [s.value for s in SegmentationKind]
    with pytest.raises(SystemExit):
        parser.parse_args(["explain", "x.wav", "--out", "o", "--method", "anchors"])
    assert "invalid choice" in capsys.readouterr().err
