"""Which explanation should the page run by default? Seconds and faithfulness over held-out clips.

For each clip: the original recipe (lime_image, quickshift, 1 000 samples) and each asked run of
ours, written METHOD:GAMES:SAMPLES:BANDS (LIME or SHAP; one game per model window or the one clip
game; samples per game; mel bands of the 1.5 s time × mel grid; ``gradient:windows:0:BANDS`` for
integrated gradients, which play no game). Every ranking is scored with the
same deletion / insertion curves on a fresh engine, so no run is helped by another's memory. Time
slices of 1.5 s line up with the 3 s / 1.5 s model windows, so a window game has 2 × BANDS players.

    python benchmarks/default_grid.py --bundle models/demo-student --runs lime:windows:64:8 lime:clip:1000:8 \\
        --clips data/demo-corpus/genres_original/{classical/classical.00000,rock/rock.00000}.wav
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass

from explain_speed import faithfulness, label_segmentation, recipe
from held_out import clip_parser, held_out_clips, load_classifier, write_report

from musicxai.explain.attribution import NUM_SAMPLES, Games, Method
from musicxai.explain.baseline import baseline_fill
from musicxai.explain.engine import PerturbationEngine
from musicxai.explain.integrated_gradients import GRADIENT_STEPS
from musicxai.explain.methods import attribute
from musicxai.explain.segmenters import SegmentationParams, segment_clip
from musicxai.model.features import clip_log_mel


@dataclass(frozen=True)
class Run:
    method: Method
    games: Games
    samples: int
    bands: int

    @classmethod
    def parse(cls, text: str) -> Run:
        method, games, samples, bands = text.split(":")
        return cls(Method(method), Games(games), int(samples), int(bands))

    @property
    def name(self) -> str:
        if self.method is Method.gradient:  # no game, no samples
            return f"integrated gradients, {GRADIENT_STEPS} steps, {self.bands} bands"
        per = "per window" if self.games is Games.windows else "on the clip"
        return (
            f"{self.method.value.upper()}, {self.games.value} games, {self.samples} samples {per}, {self.bands} bands"
        )


def main() -> None:
    parser = clip_parser(__doc__.splitlines()[0], bundle="models/demo", out="benchmarks/results/default_grid.json")
    parser.add_argument("--runs", type=Run.parse, nargs="+", default=[Run.parse("lime:windows:64:8")])
    parser.add_argument("--recipe-samples", type=int, default=NUM_SAMPLES)
    args = parser.parse_args()

    classifier = load_classifier(args.bundle)
    rows = []
    for relative, audio in held_out_clips(classifier, args.clips):
        S = clip_log_mel(audio.samples, classifier.features)
        baseline = baseline_fill(S, "min")
        r = recipe(classifier, S, num_samples=args.recipe_samples, seed=args.seed)
        target = r["target"]
        methods = {"recipe": {"seconds": r["seconds"], "windows_evaluated": r["windows_evaluated"]}}
        methods["recipe"] |= faithfulness(
            classifier, label_segmentation(S, baseline, r["labels"]), r["weights"], target, args.seed
        )
        for run in args.runs:
            segmentation = segment_clip(
                audio.samples, S, baseline, classifier.features, SegmentationParams("time_frequency", 1.5, run.bands)
            )
            engine = PerturbationEngine(classifier, segmentation)
            started = time.perf_counter()
            attribution = attribute(
                run.method, engine, [target], num_samples=run.samples, seed=args.seed, games=run.games
            )
            seconds = time.perf_counter() - started
            methods[run.name] = {
                "seconds": seconds,
                "speedup_vs_recipe": r["seconds"] / seconds,
                "windows_evaluated": engine.stats.windows_evaluated,
                **faithfulness(classifier, segmentation, attribution.weights[target], target, args.seed),
            }
        rows.append({"clip": relative, "explained_genre": classifier.genres[target], "methods": methods})
        print(json.dumps(rows[-1]), flush=True)
    names = list(rows[0]["methods"])
    summary = {
        name: {
            key: round(statistics.mean(row["methods"][name][key] for row in rows), 4)
            for key in ("seconds", "windows_evaluated", "deletion_auc", "insertion_auc")
        }
        | {"min_speedup_vs_recipe": round(min(row["methods"][name].get("speedup_vs_recipe", 1.0) for row in rows), 2)}
        for name in names
    }
    for name in names:
        summary[name]["deletion_no_worse_than_recipe"] = sum(
            row["methods"][name]["deletion_auc"] <= row["methods"]["recipe"]["deletion_auc"] for row in rows
        )
    head = {
        "bundle": str(args.bundle),
        "recipe_samples": args.recipe_samples,
        "seed": args.seed,
        "backend": classifier.runner.backend,
    }
    print(markdown(write_report(args.out, head, summary, rows)))


def markdown(report: dict) -> str:
    lines = [
        f"{report['clips']} held-out clips, bundle `{report['bundle']}`, recipe {report['recipe_samples']} samples, "
        f"backend {report['backend']}, {report['machine']}; means over the clips:",
        "",
        "| method | seconds | least speed-up vs recipe | windows evaluated | deletion AUC | insertion AUC "
        "| clips with deletion AUC ≤ recipe's |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in report["summary"].items():
        label = "recipe: lime_image, quickshift" if name == "recipe" else f"ours: {name}"
        lines.append(
            f"| {label} | {s['seconds']:.2f} | {s['min_speedup_vs_recipe']:.1f}× | {s['windows_evaluated']:.0f} "
            f"| {s['deletion_auc']:.3f} "
            f"| {s['insertion_auc']:.3f} | {s['deletion_no_worse_than_recipe']} / {report['clips']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
