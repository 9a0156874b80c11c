"""``musicxai bundle check``: run the explanation sanity checks of :mod:`musicxai.explain.sanity` on a
bundle and store them in its ``bundle.json``, where ``/v1/models`` and the page read them."""

from __future__ import annotations

from pathlib import Path

from musicxai.audio.decode import DecodedAudio, load_audio
from musicxai.errors import ParameterError
from musicxai.explain.sanity import SanityChecks, check_bundle
from musicxai.model.bundle import read_bundle_meta, write_bundle_meta

CHECK_SECONDS = 15.0  # of each clip: the checks explain every clip a dozen times per method


def record_sanity_checks(
    bundle: Path, clips: list[Path], *, seconds: float = CHECK_SECONDS, steps: int = 6
) -> SanityChecks:
    """Check ``bundle`` on the first ``seconds`` of each clip and write the result into it."""
    if not clips:
        raise ParameterError("give the clips to check on: real recordings the model was not trained on")
    meta = read_bundle_meta(bundle)
    rate = meta.features.sample_rate
    audio = {}
    for path in clips:
        decoded = load_audio(path, sr=rate)
        keep = min(len(decoded.samples), int(seconds * rate))
        audio[path.name] = DecodedAudio(decoded.samples[:keep], rate, decoded.source_duration_s)
    checks = check_bundle(bundle, audio, steps=steps)
    write_bundle_meta(bundle, meta.model_copy(update={"sanity_checks": checks.model_dump(mode="json")}))
    return checks
