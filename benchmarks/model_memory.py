"""Peak memory and time of one page-default explanation per bundle, with model calls sized to the
memory budget (``MUSICXAI_MODEL_MEMORY_BYTES``) and with every call at the full batch size, side by
side in one run. Each case runs in a fresh process (peak RSS is per process): it loads the bundle,
explains the clip once to warm up, then again to time it.

    python benchmarks/model_memory.py --bundles models/demo-student models/demo-transfer \\
        --clip data/demo-corpus/genres_original/jazz/jazz.00004.wav
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from musicxai.config import MODEL_MEMORY_BYTES, Settings

UNBOUNDED = 2**50  # a budget no batch reaches: every call takes the full batch size


def explain_once(bundle: Path, clip: Path) -> dict:
    """One case, in this process: a window's activations, batch size, seconds of the second
    explanation, peak RSS."""
    from musicxai.model.memory import activation_bytes

    from musicxai.audio.decode import load_audio
    from musicxai.explain.params import ExplanationParams
    from musicxai.explain.pipeline import run_explanation
    from musicxai.model.classifier import GenreClassifier

    classifier = GenreClassifier.load(bundle, options=Settings().runner_options())
    classifier.warm_up()
    audio = load_audio(clip, sr=classifier.features.sample_rate)
    params = ExplanationParams()  # the page's defaults
    run_explanation(classifier, audio, params)
    started = time.perf_counter()
    result = run_explanation(classifier, audio, params).result
    return {
        "activation_mib_per_window": round(activation_bytes(classifier.runner.model) / 2**20, 1),
        "batch_size": classifier.runner.batch_size,
        "explanation_s": round(time.perf_counter() - started, 2),
        "model_s": result.timings_s["model"],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundles", nargs="+", type=Path, default=[Path("models/demo-student")])
    parser.add_argument("--clip", type=Path, required=True)
    parser.add_argument("--budgets", nargs="+", type=int, default=[MODEL_MEMORY_BYTES, UNBOUNDED])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/model_memory.json"))
    parser.add_argument("--case", type=Path, help=argparse.SUPPRESS)  # one bundle, explained in this process
    args = parser.parse_args()
    if args.case:
        print(json.dumps(explain_once(args.case, args.clip)))
        return
    rows = []
    for bundle in args.bundles:
        for budget in args.budgets:
            env = {**os.environ, "MUSICXAI_MODEL_MEMORY_BYTES": str(budget)}
            done = subprocess.run(
                [sys.executable, __file__, "--case", str(bundle), "--clip", str(args.clip)],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            row = {"bundle": bundle.name, "memory_budget": None if budget == UNBOUNDED else budget}
            rows.append({**row, **json.loads(done.stdout.strip().splitlines()[-1])})
            print(json.dumps(rows[-1]), flush=True)
    document = {
        "clip": str(args.clip),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "batch_size_setting": Settings().model_batch_size,
        "explanation": "the page's defaults (LIME, time x frequency grid, window games), faithfulness curves included",
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main()
