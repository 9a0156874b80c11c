"""How stable are the page's default explanations, and do LIME and SHAP agree? Over held-out clips.

For each clip and method (the page's defaults: one game per model window, 64 samples each, the
1.5 s × 8-band grid) the explanation's own stability (bootstrap re-fits of its samples, as every
job reports it) is set beside what it estimates: a second explanation with another seed on a fresh
engine (top-k overlap and Kendall τ between the two draws). LIME and SHAP on the same clip are
compared the same way.

    python benchmarks/stability.py --bundle models/demo-student \\
        --clips data/demo-corpus/genres_original/{classical/classical.00000,rock/rock.00000}.wav
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np
from held_out import clip_parser, held_out_clips, load_classifier, write_report
from scipy.stats import spearmanr

from musicxai.explain.attribution import Method
from musicxai.explain.methods import attribute
from musicxai.explain.params import ExplanationParams
from musicxai.explain.pipeline import build_engine
from musicxai.explain.stability import TOP_K, rank_correlation, summarize, top_segments

SAMPLED = (Method.lime, Method.shap)  # the gradient method draws nothing: it has no stability to measure


def top_overlap(a: np.ndarray, b: np.ndarray, k: int = TOP_K) -> float:
    return len(top_segments(a, k) & top_segments(b, k)) / k


def explain(classifier, audio, params: ExplanationParams, target: int, seed: int) -> tuple[np.ndarray, dict, float]:
    engine = build_engine(classifier, audio, params.engine_spec())
    started = time.perf_counter()
    attribution = attribute(params.method, engine, [target], num_samples=params.samples, seed=seed, games=params.games)
    seconds = time.perf_counter() - started
    replicates = None if attribution.replicates is None else attribution.replicates[target]
    stability = summarize(attribution.weights[target], replicates).model_dump()
    return attribution.weights[target], stability | {"seconds_fit": attribution.seconds_fit}, seconds


def main() -> None:
    parser = clip_parser(__doc__.splitlines()[0], bundle="models/demo-student", out="benchmarks/results/stability.json")
    args = parser.parse_args()

    classifier = load_classifier(args.bundle)
    rows = []
    for relative, audio in held_out_clips(classifier, args.clips):
        target = int(np.argmax(classifier.classify(audio.samples).probabilities))
        row, weights = {"clip": relative, "explained_genre": classifier.genres[target]}, {}
        for method in SAMPLED:
            params = ExplanationParams(method=method, seed=args.seed)
            first, stability, seconds = explain(classifier, audio, params, target, args.seed)
            second, _, _ = explain(classifier, audio, params, target, args.seed + 1)
            weights[method] = first
            row[method.value] = {
                "bootstrap": stability,
                "explain_seconds": round(seconds, 3),
                "second_draw": {
                    "top_k_overlap": top_overlap(first, second),
                    "kendall_tau": round(rank_correlation(first, second), 4),
                },
            }
        row["lime_vs_shap"] = {
            "top_k_overlap": top_overlap(weights[Method.lime], weights[Method.shap]),
            "kendall_tau": round(rank_correlation(weights[Method.lime], weights[Method.shap]), 4),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)

    def mean(values) -> float:
        return round(statistics.mean(values), 3)

    summary = {
        m.value: {
            "bootstrap_top_k_same_share": mean(
                r[m]["bootstrap"]["top_k_same"] / r[m]["bootstrap"]["refits"] for r in rows
            ),
            "bootstrap_top_k_overlap": mean(r[m]["bootstrap"]["top_k_overlap"] for r in rows),
            "bootstrap_kendall_tau": mean(r[m]["bootstrap"]["kendall_tau"] for r in rows),
            "second_draw_top_k_overlap": mean(r[m]["second_draw"]["top_k_overlap"] for r in rows),
            "second_draw_kendall_tau": mean(r[m]["second_draw"]["kendall_tau"] for r in rows),
            "seconds_fit_with_refits": mean(r[m]["bootstrap"]["seconds_fit"] for r in rows),
            "explain_seconds": mean(r[m]["explain_seconds"] for r in rows),
        }
        for m in SAMPLED
    }
    summary["lime_vs_shap"] = {k: mean(r["lime_vs_shap"][k] for r in rows) for k in ("top_k_overlap", "kendall_tau")}
    pairs = [(r[m]["bootstrap"]["kendall_tau"], r[m]["second_draw"]["kendall_tau"]) for r in rows for m in SAMPLED]
    # does the cheap estimate order the explanations as a real second draw does?
    summary["bootstrap_vs_second_draw_spearman"] = round(float(spearmanr(*zip(*pairs, strict=True)).statistic), 3)
    head = {
        "bundle": str(args.bundle),
        "params": ExplanationParams(seed=args.seed).model_dump(mode="json", exclude={"method"}),
        "top_k": TOP_K,
        "runtime": classifier.runner.runtime,
    }
    write_report(args.out, head, summary, rows)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
