import json
import shutil

import pytest

from musicxai.errors import BundleError
from musicxai.model.bundle import read_bundle_meta
from musicxai.model.classifier import GenreClassifier


def _edited_copy(src, dst, edit):
    shutil.copytree(src, dst)
    meta = json.loads((dst / "bundle.json").read_text())
    edit(meta)
    (dst / "bundle.json").write_text(json.dumps(meta))
    return dst


def test_bundle_with_unknown_feature_extractor_version_is_refused(tiny_bundle, tmp_path):
    bundle = _edited_copy(tiny_bundle, tmp_path / "b", lambda m: m["features"].update(extractor_version=9))
    with pytest.raises(BundleError, match="extractor_version"):
        read_bundle_meta(bundle)


def test_bundle_whose_features_disagree_with_its_model_is_refused(tiny_bundle, tmp_path):
    def edit(meta):
        meta["features"]["hop_length"] = 256  # the model was trained on 130-frame windows
        meta["features"]["window_seconds"] = 3.0

    with pytest.raises(BundleError, match="takes input"):
        GenreClassifier.load(_edited_copy(tiny_bundle, tmp_path / "b", edit))


def test_bundle_with_unknown_keys_or_wrong_band_count_is_refused(tiny_bundle, tmp_path):
    extra = _edited_copy(tiny_bundle, tmp_path / "extra", lambda m: m["features"].update(center=False))
    with pytest.raises(BundleError, match="center"):
        read_bundle_meta(extra)
    bands = _edited_copy(tiny_bundle, tmp_path / "bands", lambda m: m["features"].update(n_mels=64))
    with pytest.raises(BundleError, match="bands"):
        read_bundle_meta(bands)


def test_folder_without_bundle_files_is_refused(tmp_path):
    with pytest.raises(BundleError, match="not a model bundle"):
        read_bundle_meta(tmp_path)
