"""What the clip and artifact store holds per prediction and per explanation, measured: bytes of a
stored clip per second of audio by format, and the artifacts and ledger record of one page-default
explanation of a 30 s clip. The capacity tables of the docs are computed from this JSON.

    python benchmarks/capacity.py
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from soak import CLIP, Variants

from musicxai.audio.decode import load_audio
from musicxai.config import Settings
from musicxai.explain.occlusion import occlusion_preview
from musicxai.explain.params import ExplanationParams
from musicxai.explain.pipeline import run_explanation
from musicxai.explain.result import PREVIEW_FILE
from musicxai.model.classifier import GenreClassifier
from musicxai.service.ledger import JobRecord, JobStatus

ROOT = Path(__file__).resolve().parents[1]
FORMATS = {  # name -> (channels, sample rate, soundfile format, subtype)
    "WAV, 16-bit, mono, 22.05 kHz": (1, 22050, "WAV", "PCM_16"),
    "WAV, 16-bit, stereo, 44.1 kHz (CD)": (2, 44100, "WAV", "PCM_16"),
    "FLAC, stereo, 44.1 kHz": (2, 44100, "FLAC", "PCM_16"),
    "Ogg Vorbis, stereo, 44.1 kHz": (2, 44100, "OGG", "VORBIS"),
    "MP3, stereo, 44.1 kHz": (2, 44100, "MP3", "MPEG_LAYER_III"),
}


def bytes_per_second(y: np.ndarray, sr: int) -> dict[str, float]:
    """Each format's size for ``y`` (mono at ``sr``), per second of audio."""
    out = {}
    for name, (channels, rate, fmt, subtype) in FORMATS.items():
        z = soxr.resample(y, sr, rate) if rate != sr else y
        z = np.stack([z, np.roll(z, rate // 100)], axis=1) if channels == 2 else z  # a slightly different side
        buffer = io.BytesIO()
        sf.write(buffer, z, rate, format=fmt, subtype=subtype)
        out[name] = round(len(buffer.getvalue()) / (len(z) / rate))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "models" / "demo-student")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "capacity.json")
    args = parser.parse_args()
    clip = Variants(CLIP, seed=0).next()  # a 30 s arrangement of a real recording, as the soak uploads
    y, sr = sf.read(io.BytesIO(clip), dtype="float32")
    classifier = GenreClassifier.load(args.bundle, options=Settings(_env_file=None).runner_options())
    audio = load_audio(clip, sr=classifier.features.sample_rate)
    params = ExplanationParams()
    out = run_explanation(classifier, audio, params)
    out.artifacts[PREVIEW_FILE] = occlusion_preview(classifier, audio, params)[1]
    record = JobRecord(id="0" * 32, clip="0" * 64, model=classifier.name, method=params.method, params=params)
    record = record.model_copy(update={"result": out.result, "status": JobStatus.succeeded})
    report = {
        "benchmark": "capacity",
        "clip": str(CLIP.relative_to(ROOT)),
        "clip_bytes_per_second": bytes_per_second(y, sr),
        "explanation": {
            "bundle": classifier.name,
            "clip_seconds": round(audio.duration_s, 1),
            "params": "page default: " + params.model_dump_json(exclude_none=True),
            "artifact_bytes": {name: len(data) for name, data in sorted(out.artifacts.items())},
            "ledger_record_bytes": len(record.model_dump_json()),
        },
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    report["explanation"]["artifacts_total_bytes"] = sum(report["explanation"]["artifact_bytes"].values())
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
