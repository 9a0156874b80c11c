"""Render the generated parts of the documentation from their sources, or check they are current.

Why: a figure typed into a page by hand drifts from the run that measured it. Every table of
measured figures in ``docs/`` is therefore rendered from the JSON a benchmark or a training run
wrote (``benchmarks/results/*.json``, ``models/*/bundle.json``, ``models/detector*/detector.json``;
the real-audio set's parts are counted from its definition, ``training/realset.csv``), the API
reference from the app's own OpenAPI document, and the layout table from the source files
themselves (read as text with ``ast``, never imported). ``make test`` runs the check, so a stale
page fails the build instead of misleading a reader.

A generated region in a page is a pair of HTML comments; everything between them is rewritten:

    <!-- table: NAME -->
    ...
    <!-- /table -->

``NAME`` picks one renderer below. Whole generated files: ``docs/reference/openapi.json`` and the
figures copied from ``models/`` into ``docs/img/``.

    .venv/bin/python scripts/docs_tables.py           # rewrite every generated region and file
    .venv/bin/python scripts/docs_tables.py --check   # exit 1, with a diff, if anything is stale
"""

from __future__ import annotations

import argparse
import ast
import csv
import difflib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RESULTS = ROOT / "benchmarks" / "results"
MODELS = ROOT / "models"
REGENERATE = ".venv/bin/python scripts/docs_tables.py"
REGION = re.compile(r"(<!-- table: (?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /table -->)", re.DOTALL)
PACKAGES = ("musicxai", "app", "worker", "cli", "training")
TOOLS = ("benchmarks", "scripts")
FIGURES = {  # docs/<path> <- repository path: pictures a run wrote, shown on a page
    "img/ale-onset-strength.png": "models/demo/ale/onset_strength.png",
    "img/genre-maps-time-band.png": "models/demo-student/attributions/time_band.png",
    "img/genre-maps-time-source.png": "models/demo-student/attributions/time_source.png",
}

# ------------------------------------------------------------------------------------------------
# formatting: one rounding rule for every table (Python's, of the float the JSON holds)

Row = Any
Column = tuple[str, Callable[[Row], object]]  # header, and how a source row gives the cell
NUMERIC = re.compile(r"^[-—–\d .,/=()%×]*(s|MB|MiB|GiB)?$")  # a column of figures (and dashes) is right-aligned


def fixed(value: float | None, places: int) -> str:
    """``value`` with ``places`` decimals (Python's own rounding of the stored float); None is a dash."""
    return "—" if value is None else f"{value:.{places}f}"


def percent(share: float, places: int = 1) -> str:
    return f"{100 * share:.{places}f} %"


def fraction(text: str) -> str:
    """``"15/206"`` -> ``"15/206 = 7.3 %"``."""
    hit, total = (int(part) for part in text.split("/"))
    return f"{text} = {percent(hit / total)}"


def table(rows: Iterable[Row], columns: Sequence[Column]) -> str:
    """A Markdown table with one line per source row; all-numeric columns are right-aligned."""
    cells = [[str(cell(row)).replace("|", "\\|") for _, cell in columns] for row in rows]
    right = [all(NUMERIC.match(line[i]) for line in cells) for i in range(len(columns))]
    lines = [[header for header, _ in columns], ["---:" if r else "---" for r in right], *cells]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def result(name: str) -> Any:
    return load(RESULTS / f"{name}.json")


# ------------------------------------------------------------------------------------------------
# models: the committed bundles, the music detector, the real-audio set

BUNDLES = {"demo-student": "default", "demo-tags-emb": "teacher", "demo-transfer": "", "demo": ""}


def f1_range(per_genre: dict[str, dict[str, float]]) -> str:
    f1 = {genre: fixed(scores["f1"], 2) for genre, scores in per_genre.items()}

    def genres(value: str) -> str:
        return ", ".join(genre for genre, f in f1.items() if f == value)

    low, high = min(f1.values(), key=float), max(f1.values(), key=float)
    return f"{low} ({genres(low)}) … {high} ({genres(high)})"


def render_bundles() -> str:
    bundles = [load(MODELS / name / "bundle.json") for name in BUNDLES]

    def name(b: Row) -> str:
        return f"`{b['name']}` ({BUNDLES[b['name']]})" if BUNDLES[b["name"]] else f"`{b['name']}`"

    def real_audio(b: Row) -> str:
        real = b["reports"]["real_audio"]
        return f"{fixed(real['top1'], 2)} / {fixed(real['top3'], 2)}"

    def size(b: Row) -> str:
        return f"{fixed((MODELS / b['name'] / 'model.keras').stat().st_size / 1e6, 1)} MB"

    return table(
        bundles,
        [
            ("bundle", name),
            ("`--arch`", lambda b: f"`{b['architecture']}`"),
            ("parameters", lambda b: f"{b['training']['parameters']:,}".replace(",", " ")),
            ("held-out clip accuracy (synthetic)", lambda b: fixed(b["metrics"]["test"]["clip_accuracy"], 3)),
            ("window accuracy", lambda b: fixed(b["metrics"]["test"]["window_accuracy"], 3)),
            ("per-genre F1", lambda b: f1_range(b["metrics"]["test"]["per_genre"])),
            ("real-audio report part top-1 / top-3", real_audio),
            ("`model.keras`", size),
        ],
    )


def render_real_audio_check() -> str:
    return table(
        result("real_audio"),
        [
            ("file", lambda r: f"`{r['file']}`"),
            ("demo", lambda r: r["demo"]),
            ("demo-transfer", lambda r: r["demo-transfer"]),
            ("musicnn MSD tagger (top tags)", lambda r: r["tagger"]),
        ],
    )


KINDS = {"speech": "speech", "effects": "effects", "ambience": "ambience", "noise": "noise", "tone": "tones"}


def not_music(detector: dict[str, Any]) -> str:
    by_kind = detector["called_not_music_by_kind"]
    caught, total = round(detector["detection_rate"] * detector["not_music_clips"]), detector["not_music_clips"]
    kinds = ", ".join(f"{label} {by_kind[kind]}" for kind, label in KINDS.items())
    return f"{fraction(f'{caught}/{total}')} ({kinds})"


def detector_rows(detectors: list[dict[str, Any]], synthetic: str) -> list[tuple[str, list[str]]]:
    """Clip kinds down, detectors across: (label, one cell per detector)."""
    first = detectors[0]
    return [
        (f"not music ({first['not_music_clips']})", [not_music(d) for d in detectors]),
        (f"real music ({first['music_clips']})", [fraction(d["called_not_music_by_kind"]["music"]) for d in detectors]),
        (
            f"{synthetic} ({first['synthetic_clips']})",
            [fraction(d["called_not_music_by_kind"]["synthetic music"]) for d in detectors],
        ),
    ]


def render_detector_report() -> str:
    rows = detector_rows(
        [result("real_audio_eval")["music_detector"]], "synthetic music, the bundles' held-out test tracks"
    )
    return table(rows, [("clips", lambda r: r[0]), ("called not music", lambda r: r[1][0])])


def render_detector_side_by_side() -> str:
    detectors = result("real_audio_eval_detector")["music_detectors"]
    names = [
        ("tagger (`models/detector`)" if d["detector"] == "models/detector" else f"distilled (`{d['detector']}`)")
        for d in detectors
    ]
    columns: list[Column] = [("clips called not music", lambda r: r[0])]
    columns += [(name, lambda r, i=i: r[1][i]) for i, name in enumerate(names)]
    return table(detector_rows(detectors, "synthetic held-out music"), columns)


def render_detector_candidates() -> str:
    shipped = load(MODELS / "detector" / "detector.json")
    candidates = load(MODELS / "detector-distilled" / "detector.json")["training"]["candidates"]
    tagger = f"{shipped['training']['tagger'].split('_')[0]} tagger"

    def embedding(name: str) -> str:
        embedder, windows = name.split(", ")
        if embedder != "tagger":
            return f"{embedder} CNN"
        return tagger + (" (`models/detector`)" if windows == f"{shipped['max_windows']} windows" else "")

    return table(
        candidates.items(),
        [
            ("window embedding", lambda c: embedding(c[0])),
            ("windows a clip", lambda c: c[0].split(", ")[1].split()[0]),
            ("C", lambda c: fixed(c[1]["C"], 2)),
            ("threshold", lambda c: fixed(c[1]["threshold"], 2)),
            ("false alarms, out of fold", lambda c: percent(c[1]["false_alarm_rate"])),
            ("not-music caught, out of fold", lambda c: percent(c[1]["detection_rate"])),
        ],
    )


def render_realset_parts() -> str:
    clips = list(csv.DictReader((ROOT / "training" / "realset.csv").open()))
    kinds = Counter((c["part"], c["kind"]) for c in clips)
    labelled = Counter(c["part"] for c in clips if c["label"])
    uses = {"train": "training, tuning, calibration, model selection may use it", "report": "only ever reported on"}
    return table(
        uses.items(),
        [
            ("part", lambda p: f"`{p[0]}` ({p[1]})"),
            ("music (labelled)", lambda p: f"{kinds[p[0], 'music']} ({labelled[p[0]]})"),
            *((kind, lambda p, kind=kind: kinds[p[0], kind]) for kind in ("speech", "effects", "ambience")),
            ("noise / tones (generated)", lambda p: kinds[p[0], "noise"] + kinds[p[0], "tone"]),
        ],
    )


def render_real_audio_eval() -> str:
    evaluated = result("real_audio_eval_student")["bundles"] + result("real_audio_eval")["bundles"]
    roles = {"demo-student": "default", "demo-tags-emb": "its teacher", "demo-tags": "tags only: candidate, not kept"}
    return table(
        evaluated,
        [
            ("bundle", lambda b: f"{b['bundle']} ({roles[b['bundle']]})" if b["bundle"] in roles else b["bundle"]),
            ("labelled clips", lambda b: b["labelled_clips"]),
            ("top-1", lambda b: fixed(b["top1"], 2)),
            ("top-3", lambda b: fixed(b["top3"], 2)),
            ("top-1, mean over genres", lambda b: fixed(b["top1_mean_over_genres"], 2)),
            (
                "per genre (top-1 / clips)",
                lambda b: ", ".join(f"{g} {s['top1']}/{s['clips']}" for g, s in sorted(b["per_genre"].items())),
            ),
        ],
    )


def render_not_music_genres() -> str:
    evaluated = result("real_audio_eval_student")["bundles"] + result("real_audio_eval")["bundles"]

    def top(kind: str) -> Callable[[Row], str]:
        return lambda b: ", ".join(
            f"{g} {n}" for g, n in sorted(b["not_music_top_genre"][kind].items(), key=lambda x: -x[1])
        )

    return table(evaluated, [("bundle", lambda b: b["bundle"]), *((KINDS[kind], top(kind)) for kind in KINDS)])


# ------------------------------------------------------------------------------------------------
# explanations: speed and faithfulness


def grid_rows(name: str) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """A ``default_grid.py`` run and its summary rows, the recipe's named in full."""
    run = result(name)
    recipe = f"recipe: lime_image, quickshift, {run['recipe_samples']} samples"
    return run, [(recipe if method == "recipe" else method, s) for method, s in run["summary"].items()]


def render_gradient_grid() -> str:
    run, rows = grid_rows("default_grid_gradient")
    return table(
        rows,
        [
            ("ranking", lambda r: r[0]),
            ("seconds", lambda r: fixed(r[1]["seconds"], 2)),
            ("windows evaluated", lambda r: r[1]["windows_evaluated"]),
            ("deletion AUC (lower is better)", lambda r: fixed(r[1]["deletion_auc"], 3)),
            ("insertion AUC", lambda r: fixed(r[1]["insertion_auc"], 3)),
            (
                "deletion no worse than the recipe",
                lambda r: (
                    "—" if r[0].startswith("recipe") else f"{r[1]['deletion_no_worse_than_recipe']} / {run['clips']}"
                ),
            ),
        ],
    )


def render_default_grid() -> str:
    run, rows = grid_rows("default_grid")
    return table(
        rows,
        [
            ("method", lambda r: r[0]),
            ("seconds", lambda r: fixed(r[1]["seconds"], 2)),
            ("least speed-up vs recipe", lambda r: f"{fixed(r[1]['min_speedup_vs_recipe'], 1)}×"),
            ("windows evaluated", lambda r: r[1]["windows_evaluated"]),
            ("deletion AUC", lambda r: fixed(r[1]["deletion_auc"], 3)),
            ("insertion AUC", lambda r: fixed(r[1]["insertion_auc"], 3)),
            (
                "clips with deletion AUC ≤ recipe's",
                lambda r: f"{r[1]['deletion_no_worse_than_recipe']} / {run['clips']}",
            ),
        ],
    )


def render_stability() -> str:
    summary = result("stability")["summary"]
    return table(
        [(m, summary[m]) for m in ("lime", "shap")],
        [
            ("method", lambda r: r[0].upper()),
            ("top 5 same in re-fits", lambda r: percent(r[1]["bootstrap_top_k_same_share"])),
            ("top-5 overlap, re-fits", lambda r: fixed(r[1]["bootstrap_top_k_overlap"], 2)),
            ("τ, re-fits", lambda r: fixed(r[1]["bootstrap_kendall_tau"], 2)),
            ("top-5 overlap, second draw", lambda r: fixed(r[1]["second_draw_top_k_overlap"], 2)),
            ("τ, second draw", lambda r: fixed(r[1]["second_draw_kendall_tau"], 2)),
            ("fits incl. re-fits", lambda r: f"{fixed(r[1]['seconds_fit_with_refits'], 2)} s"),
            ("explain", lambda r: f"{fixed(r[1]['explain_seconds'], 2)} s"),
        ],
    )


def with_random(key: str) -> Callable[[Row], str]:
    return lambda r: f"{fixed(r[key], 3)} ({fixed(r['random_' + key], 3)})"


def render_explain_speed(name: str) -> str:
    return table(
        result(name)["rows"],
        [
            ("method", lambda r: r["method"]),
            ("segmentation", lambda r: r["segmentation"]),
            ("seconds", lambda r: fixed(r["seconds"], 3)),
            ("model calls", lambda r: r["model_calls"]),
            ("windows evaluated", lambda r: r["windows_evaluated"]),
            ("engine windows/s", lambda r: r.get("engine_windows_per_s", "–")),
            ("deletion AUC (random)", with_random("deletion_auc")),
            ("insertion AUC (random)", with_random("insertion_auc")),
        ],
    )


STAGES = ("decode", "segmentation", "explain", "faithfulness", "render", "store")


def render_job_latency(name: str) -> str:
    jobs = result(name)["jobs"]
    preview: list[Column] = [("POST → preview (s)", lambda j: fixed(j["preview_client_s"], 3))]
    return table(
        jobs,
        [
            ("clip", lambda j: f"`{Path(j['clip']).name}`"),
            *(preview if all("preview_client_s" in j for j in jobs) else []),
            ("POST → succeeded (s)", lambda j: fixed(j["client_s"], 3)),
            ("ledger created → succeeded (s)", lambda j: fixed(j["server_s"], 3)),
            *((stage, lambda j, stage=stage: fixed(j["stages_s"][stage], 3)) for stage in STAGES),
            ("model calls", lambda j: j["model_calls"]),
            ("windows", lambda j: j["windows_evaluated"]),
        ],
    )


def render_model_memory() -> str:
    return table(
        result("model_memory")["rows"],
        [
            ("bundle", lambda r: r["bundle"]),
            (
                "memory budget",
                lambda r: "none" if r["memory_budget"] is None else f"{fixed(r['memory_budget'] / 1024**3, 0)} GiB",
            ),
            ("windows a call", lambda r: r["batch_size"]),
            ("activations a window", lambda r: f"{fixed(r['activation_mib_per_window'], 1)} MiB"),
            ("explanation (s)", lambda r: fixed(r["explanation_s"], 2)),
            ("peak RSS", lambda r: f"{fixed(r['peak_rss_mib'] / 1024, 1)} GiB"),
        ],
    )


GPU_RUNS = {
    "explain_speed_gpu_cnn": "demo (CNN)",
    "explain_speed_gpu_transfer": "demo-transfer (music-VGG)",
    "explain_speed_gpu_vgg16": "VGG16 transfer shape, untrained",
}


def render_engine_vs_bare() -> str:
    rows = [
        (f"{label} (batch {run['batch_size']})", run["model_windows_per_s_resident"], r)
        for name, label in GPU_RUNS.items()
        for run in [result(name)]
        for r in run["rows"]
        if r["segmentation"].startswith(("time_frequency", "superpixel")) and "engine_windows_per_s" in r
    ]
    return table(
        rows,
        [
            ("bundle", lambda r: r[0]),
            ("method", lambda r: r[2]["method"].removeprefix("ours: ")),
            ("segmentation", lambda r: r[2]["segmentation"]),
            ("seconds", lambda r: fixed(r[2]["seconds"], 3)),
            ("model calls", lambda r: r[2]["model_calls"]),
            ("windows evaluated", lambda r: r[2]["windows_evaluated"]),
            ("engine windows/s", lambda r: r[2]["engine_windows_per_s"]),
            ("bare model windows/s (batch in GPU memory)", lambda r: r[1]),
            ("engine / bare", lambda r: percent(r[2]["engine_windows_per_s"] / r[1], 0)),
        ],
    )


def runtime_label(r: Row) -> str:
    if r["runtime"] in ("tensorflow", "keras"):
        return "TensorFlow (Keras)"
    return f"ONNX Runtime, {r['threads']} thread" if r["threads"] else "ONNX Runtime (one thread per core: the default)"


def detector_label(r: Row) -> str:
    return (
        "tagger (`models/detector`, shipped)"
        if r["detector"] == "models/detector"
        else f"distilled (`{r['detector']}`)"
    )


def render_predict_in_process() -> str:
    rows = result("predict_speed")["rows"]
    names = {"demo-student": "demo-student (default)", "demo": "demo (CNN)"}
    return table(
        rows,
        [
            ("bundle", lambda r: names.get(r["bundle"], r["bundle"])),
            ("runtime", runtime_label),
            ("music detector", detector_label),
            ("decode (child process) s", lambda r: fixed(r["decode_s"], 3)),
            ("features + model s", lambda r: fixed(r["classify_s"], 3)),
            ("music detector s", lambda r: fixed(r["detector_s"], 3)),
            ("windows/s (batch 256)", lambda r: fixed(r["windows_per_s"], 0)),
            (f"windows/s (one clip's {rows[0]['clip_windows']})", lambda r: fixed(r["clip_windows_per_s"], 0)),
        ],
    )


def render_predict_http() -> str:
    return table(
        result("predict_speed")["http"],
        [
            ("runtime of the service", runtime_label),
            ("music detector", detector_label),
            ("concurrent clients", lambda r: r["clients"]),
            ("predictions", lambda r: r["requests"]),
            ("p50 s", lambda r: fixed(r["p50_s"], 3)),
            ("p99 s", lambda r: fixed(r["p99_s"], 3)),
            ("clips/s", lambda r: fixed(r["clips_per_s"], 1)),
            ("answers", lambda r: ", ".join(f"{n} × {status}" for status, n in r["statuses"].items())),
        ],
    )


def render_ale_engines() -> str:
    return table(
        result("ale_engines")["rows"],
        [
            ("descriptor", lambda r: r["descriptor"]),
            ("max abs difference (probability)", lambda r: fixed(r["max_abs_difference"], 4)),
            ("largest ALE range of a genre", lambda r: fixed(r["largest_effect_range"], 4)),
        ],
    )


def render_genre_maps(bundle: str) -> str:
    return table(
        result(f"genre_maps_{bundle}")["genres"],
        [
            ("genre", lambda g: g["genre"]),
            ("clips", lambda g: g["clips"]),
            ("harmonic share", lambda g: fixed(g["harmonic_share"], 2)),
            ("percussive share", lambda g: fixed(g["percussive_share"], 2)),
            ("mel band with the most evidence", lambda g: g["top_band"]),
            ("its share", lambda g: fixed(g["top_band_share"], 2)),
            ("split-half r", lambda g: fixed(g["split_half"], 2)),
        ],
    )


def render_load() -> str:
    setups = {"embedded": "embedded (SQLite, local queue)", "redis": "Redis (API + one worker)"}
    return table(
        result("load")["setups"],
        [
            ("setup", lambda s: setups.get(s["setup"], s["setup"])),
            ("uploads", lambda s: s["predictions"]["clients"]),
            ("accepted", lambda s: s["predictions"]["accepted"]),
            ("p50 s", lambda s: fixed(s["predictions"]["p50_s"], 2)),
            ("p99 s", lambda s: fixed(s["predictions"]["p99_s"], 2)),
            ("all answered in", lambda s: f"{fixed(s['predictions']['wall_s'], 1)} s"),
            ("503 share", lambda s: percent(s["predictions"]["share_503"], 0)),
            (
                "other errors",
                lambda s: (
                    ", ".join(f"{n} × {k}" for k, n in s["predictions"]["errors_other_than_503"].items()) or "none"
                ),
            ),
            ("jobs accepted", lambda s: s["jobs"]["accepted"]),
            ("jobs finished", lambda s: f"{s['jobs']['succeeded']} ({s['jobs']['failed']} failed)"),
            ("jobs lost", lambda s: s["jobs"]["unfinished_at_deadline"]),
        ],
    )


# the clip store: capacity, an hour of traffic, faults -------------------------------------------

CLIP_SECONDS = 30  # a GTZAN-length upload
TRAFFIC = {  # how busy a service is: predictions a second, and one explanation per this many predictions
    "a team (a prediction a minute, every tenth explained)": (1 / 60, 10),
    "a lab's batch runs (a prediction a second, every tenth explained)": (1.0, 10),
    "a public service (the soak's rate: 3.3 predictions a second, every 33rd explained)": (1 / 0.3, 33),
}
CAPS_GIB = (1, 10, 100)


def render_store_formats() -> str:
    capacity = result("capacity")
    return table(
        capacity["clip_bytes_per_second"].items(),
        [
            ("upload format", lambda kv: kv[0]),
            ("kB a second", lambda kv: fixed(kv[1] / 1000, 1)),
            (f"MB a {CLIP_SECONDS} s clip", lambda kv: fixed(kv[1] * CLIP_SECONDS / 1e6, 2)),
        ],
    )


def render_store_job() -> str:
    job = result("capacity")["explanation"]
    rows = [*job["artifact_bytes"].items(), ("all artifacts", job["artifacts_total_bytes"])]
    rows.append(("its job's record in the ledger", job["ledger_record_bytes"]))
    return table(rows, [("what one explanation stores", lambda kv: f"`{kv[0]}`" if "." in kv[0] else kv[0]),
                        ("kB", lambda kv: fixed(kv[1] / 1000, 1))])  # fmt: skip


def render_store_lifetimes() -> str:
    """Hours until a cap first fills, at each traffic, for WAV (CD) and MP3 uploads; past it the least
    recently used goes, so the cap is how far back a clip can still be explained by its id."""
    capacity = result("capacity")
    per_s = capacity["clip_bytes_per_second"]
    job = capacity["explanation"]["artifacts_total_bytes"]
    formats = {"WAV (CD)": per_s["WAV, 16-bit, stereo, 44.1 kHz (CD)"], "MP3": per_s["MP3, stereo, 44.1 kHz"]}

    def lasts(cap_gib: int, rate: float, every: int, clip_rate: float) -> str:
        bytes_per_s = rate * (clip_rate * CLIP_SECONDS + job / every)
        hours = cap_gib * 2**30 / bytes_per_s / 3600
        if hours < 1:
            return f"{60 * hours:.0f} min"
        return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} h"

    rows = [(name, rate, every) for name, (rate, every) in TRAFFIC.items()]
    columns: list[Column] = [("traffic", lambda r: r[0])]
    for cap in CAPS_GIB:
        for label, clip_rate in formats.items():
            columns.append((f"{cap} GiB, {label}", lambda r, c=cap, b=clip_rate: lasts(c, r[1], r[2], b)))
    return table(rows, columns)


def succeeded(jobs: dict[str, Any]) -> int:
    return jobs["by_status"].get("succeeded", 0)


def counts(answers: dict[str, int]) -> str:
    """``{"200": 5, "503": 1}`` -> ``5 × 200, 1 × 503``."""
    return ", ".join(f"{n} × {k}" for k, n in sorted(answers.items()))


def render_soak() -> str:
    runs = [result(name) for name in ("soak_embedded", "soak_distributed")]
    return table(
        runs,
        [
            ("setup", lambda r: r["setup"]),
            ("minutes", lambda r: fixed(r["minutes"], 0)),
            ("store cap", lambda r: f"{r['cap_mb']} MB"),
            ("uploaded", lambda r: f"{r['predictions']['uploaded_mb']} MB"),
            ("predictions", lambda r: counts(r["predictions"]["answers"])),
            ("p50 / p99 s", lambda r: f"{fixed(r['predictions']['p50_s'], 2)} / {fixed(r['predictions']['p99_s'], 2)}"),
            ("explanations asked", lambda r: counts(r["explanations"]["answers"])),
            ("refused for space", lambda r: r["explanations"]["refused_for_space"]),
            ("jobs accepted / succeeded", lambda r: f"{r['jobs']['accepted']} / {succeeded(r['jobs'])}"),
            ("evicted blobs", lambda r: fixed(r["store"]["evicted_keys"], 0)),
            ("store max / cap MB", lambda r: f"{fixed(r['store']['max_bytes'] / 2**20, 0)} / "
                f"{fixed((r['store']['cap_bytes'] or r['cap_mb'] * 2**20) / 2**20, 0)}"),
            ("memory, last half", lambda r: f"{fixed(r['memory']['last_half_mean_mb'] / 1024, 2)} GiB "
                f"± {percent(r['memory']['last_half_max_deviation'])}"),
        ],
    )  # fmt: skip


def render_chaos() -> str:
    run = result("chaos")
    events = "; ".join(f"{t:.0f} s: {what}" for t, what in run["events"])
    return table(
        [run],
        [
            ("jobs", lambda r: r["jobs"]),
            ("succeeded", lambda r: r["by_status"].get("succeeded", 0)),
            ("failed", lambda r: r["by_status"].get("failed", 0)),
            ("lost", lambda r: r["lost"]),
            ("all ended after", lambda r: f"{fixed(r['wall_s'], 0)} s"),
            ("what happened", lambda r: events),
        ],
    )


def render_own_models() -> str:
    report = result("own_models")

    def params(r: Row) -> str:
        p = r["explanation_params"]
        return f"{p['n_bands']} bands, {p['num_samples'] or 'auto'} samples, {p['faithfulness_points']} points"

    return table(
        report["bundles"],
        [
            ("bundle", lambda r: f"`{r['bundle']}`"),
            ("input → output", lambda r: f"{r['input']} → {r['output']}"),
            ("pieces of 30 s", lambda r: r["pieces"]),
            ("prediction s", lambda r: fixed(r["predict_s_median"], 2)),
            ("ms a piece", lambda r: fixed(r["ms_per_piece"], 1)),
            ("preview s", lambda r: fixed(r["preview_s"], 1)),
            ("default explanation s", lambda r: fixed(r["default_explanation_s"], 1)),
            ("its defaults", params),
            ("deletion AUC (random)",
             lambda r: f"{fixed(r['deletion_auc'], 3)} ({fixed(r['random_deletion_auc'], 3)})"),
            ("load average", lambda r: " → ".join(fixed(x, 1) for x in r["load_average_before_after"])),
        ],
    )  # fmt: skip


def render_hf_parity() -> str:
    r = result("hf_parity")
    e = r["explanation"]
    return table(
        [r],
        [
            ("model", lambda r: r["model"]),
            ("parameters", lambda r: f"{r['parameters']:,}".replace(",", " ")),
            ("exported by", lambda r: f"torch {r['torch']}, transformers {r['transformers']}"),
            ("clip", lambda r: r["clip"]),
            ("largest probability difference", lambda r: f"{r['max_abs_probability_difference']:.1e}"),
            ("same top label", lambda r: "yes" if r["same_top"] else "no"),
            ("prediction s", lambda r: fixed(r["predict_s"], 2)),
            ("explanation s", lambda r: f"{fixed(e['seconds'], 0)} ({e['segments']} segments)"),
        ],
    )


def render_whole_clip_model() -> str:
    r = result("whole_clip_model")
    d, u, plain = r["default"], r["unpaired_same_samples"], r["plain_lime"]
    sampling = d["sampling"]
    stop = "stable" if sampling["converged"] else "at the cap"
    rows = [
        {"run": "occlusion preview (time slices)", "samples": "—", "seconds": r["preview_s"], "auc": None, "tau": None},
        {
            "run": f"bundle default: paired, {sampling['rounds']} rounds, stopped {stop}",
            "samples": f"{sampling['samples_per_game']} of {sampling['cap']}"
            + (f" (the budget cut {d['params']['num_samples']})" if d["budget"]["cut"] else ""),
            "seconds": d["seconds"],
            "auc": d["deletion_auc"],
            "tau": d["kendall_tau_vs_plain"],
        },
        {
            "run": "unpaired LIME, as many samples",
            "samples": str(u["samples"]),
            "seconds": None,
            "auc": u["deletion_auc"],
            "tau": u["kendall_tau_vs_plain"],
        },
        {
            "run": "plain whole-clip LIME",
            "samples": str(plain["samples"]),
            "seconds": plain["seconds"],
            "auc": plain["deletion_auc"],
            "tau": 1.0,
        },
    ]
    return table(
        rows,
        [
            ("run", lambda x: x["run"]),
            ("samples", lambda x: x["samples"]),
            ("seconds", lambda x: "—" if x["seconds"] is None else fixed(x["seconds"], 1)),
            (f"deletion AUC (random {fixed(r['random_deletion_auc'], 3)})",
             lambda x: "—" if x["auc"] is None else fixed(x["auc"], 3)),
            ("Kendall τ with the plain LIME", lambda x: "—" if x["tau"] is None else fixed(x["tau"], 2)),
        ],
    )  # fmt: skip


def render_sanity_checks() -> str:
    rows = []
    for bundle in sorted(MODELS.iterdir()):
        meta_file = bundle / "bundle.json"
        checks = load(meta_file).get("sanity_checks") if meta_file.is_file() else None
        for method, c in (checks or {}).get("methods", {}).items():
            rows.append({"bundle": bundle.name, "method": method, "clips": len(checks["clips"]),
                         "check_s": checks["seconds"], **c})  # fmt: skip

    def curve(r: Row) -> str:
        steps = r["randomisation"]
        return " → ".join(fixed(s["spearman"], 2) for s in steps) if steps else "not reachable"

    def verdict(r: Row) -> str:
        return {True: "**flagged**", False: "falls", None: "—"}[r["survives_randomisation"]]

    return table(
        rows,
        [
            ("bundle", lambda r: f"`{r['bundle']}`"),
            ("method", lambda r: r["method"]),
            ("clips", lambda r: r["clips"]),
            ("ρ as layers go (top → all)", curve),
            ("SSIM, all random", lambda r: fixed(r["randomisation"][-1]["ssim"], 2) if r["randomisation"] else "—"),
            ("maps", verdict),
            ("ρ under noise", lambda r: fixed(r["noise"]["spearman"], 2)),
            ("top-5 kept under noise", lambda r: fixed(r["noise"]["top_k_overlap"], 2)),
            ("prediction kept", lambda r: f"{r['noise']['kept_prediction']}/{r['noise']['copies']}"),
            ("whole check s", lambda r: fixed(r["check_s"], 0)),
        ],
    )


def render_explanation_quality() -> str:
    report = result("explanation_quality")
    anchor = load(ROOT / "benchmarks" / "anchors" / "lmac_esc50.json")

    def pair(key: str, places: int) -> Callable[[Row], str]:
        def cell(r: Row) -> str:
            control = r.get(f"control_{key}")
            own = fixed(r[f"evidence_{key}"], places)
            return own if control is None else f"{own} ({fixed(control, places)})"

        return cell

    rows = [
        {**r, "name": f"`{r['bundle']}` {r['method']}", "n": f"{r['clips']} {r['data']}"} for r in report["results"]
    ]
    rows.append({"name": f"{anchor['method']}, {anchor['model']} on ESC-50 (another data set)", "n": "—",
                 **{f"evidence_{k}": anchor[k] for k in ("average_increase", "average_drop", "average_gain",
                                                         "faithfulness", "fidelity_in")},
                 "deletion_over_random_median": None, "insertion_above_random_share": None})  # fmt: skip
    return table(
        rows,
        [
            ("bundle and method", lambda r: r["name"]),
            ("clips", lambda r: r["n"]),
            ("AI % (control)", pair("average_increase", 1)),
            ("AD (control)", pair("average_drop", 1)),
            ("AG (control)", pair("average_gain", 1)),
            ("FF (control)", pair("faithfulness", 2)),
            ("Fid-In % (control)", pair("fidelity_in", 1)),
            ("deletion / random, median", lambda r: fixed(r["deletion_over_random_median"], 2)),
            ("insertion above random", lambda r: percent(r["insertion_above_random_share"], 0)
             if r["insertion_above_random_share"] is not None else "—"),
        ],
    )  # fmt: skip


def tuning_columns() -> list[Column]:
    return [
        ("deletion / random, median", lambda r: fixed(r["deletion_over_random_median"], 3)),
        ("insertion above random", lambda r: percent(r["insertion_above_random_share"], 0)),
        ("AI % (control)", lambda r: f"{fixed(r['evidence_average_increase'], 1)} "
                                     f"({fixed(r['control_average_increase'], 1)})"),
        ("AI / control", lambda r: fixed(r["ai_over_control"], 2)),
        ("s a clip", lambda r: fixed(r["seconds_per_clip"], 2)),
    ]  # fmt: skip


def render_tune_grid() -> str:
    report = result("tune_defaults")
    chosen = report["chosen"]

    def setting(r: Row) -> str:
        text = f"{r['kernel_width']:g} · {r['segment_seconds']:g} s · {r['baseline']}"
        return f"**{text}** (chosen)" if all(r[k] == v for k, v in chosen.items()) else text

    return table(report["grid"], [("kernel width · segment · baseline", setting), *tuning_columns()])


def render_tune_report() -> str:
    report = result("tune_defaults")
    current, chosen = report["current"], report["chosen"]
    names = {
        "current": f"current default ({current['kernel_width']:g} · {current['segment_seconds']:g} s · "
        f"{current['baseline']})",
        "chosen": f"chosen on train ({chosen['kernel_width']:g} · {chosen['segment_seconds']:g} s · "
        f"{chosen['baseline']})",
    }
    rows = [{"name": names[k], **v} for k, v in report["report"].items()]
    return table(rows, [("on the report part", lambda r: r["name"]), *tuning_columns()])


def render_taggers() -> str:
    bundles = [load(MODELS / name / "bundle.json") for name in ("musicnn-msd", "musicnn-mtt")]
    return table(
        bundles,
        [
            ("bundle", lambda b: f"`{b['name']}`"),
            ("trained on", lambda b: b["provenance"]["trained_on"]),
            ("tags", lambda b: f"{len(b['genres'])}: {', '.join(b['genres'][:8])} …"),
            ("test ROC-AUC (musicnn's)", lambda b: fixed(b["provenance"]["test_roc_auc"], 3)),
            ("licence", lambda b: b["provenance"]["licence"]),
        ],
    )


# ------------------------------------------------------------------------------------------------
# the API reference, from the app itself (no lifespan runs, so no model loads)


@cache
def openapi() -> dict[str, Any]:
    for key in [k for k in os.environ if k.startswith("MUSICXAI_") or k == "REDIS_URL"]:
        del os.environ[key]  # the defaults' document, whatever this shell has set
    sys.path.insert(0, str(ROOT))
    from app.main import create_app
    from musicxai.config import Settings

    return create_app(Settings(_env_file=None)).openapi()


def openapi_json() -> str:
    return json.dumps(openapi(), indent=2, ensure_ascii=False) + "\n"


def media(content: dict[str, Any]) -> str:
    """``application/json`` (``Schema``), ... for a request body's or an answer's content."""
    kinds = []
    for kind, spec in content.items():
        ref = spec.get("schema", {}).get("$ref", "")
        kinds.append(f"`{kind}`" + (f" ({ref.rsplit('/', 1)[-1]})" if ref else ""))
    return ", ".join(kinds) or "—"


def render_api_routes() -> str:
    """An overview of every operation, then one section each: parameters, body, every status it answers."""
    operations = [(method.upper(), path, op) for path, ops in openapi()["paths"].items() for method, op in ops.items()]
    out = [
        table(
            operations,
            [
                ("method", lambda o: o[0]),
                ("path", lambda o: f"`{o[1]}`"),
                ("summary", lambda o: o[2].get("summary", "")),
            ],
        ),
    ]
    for method, path, op in operations:
        out.append(f"## `{method} {path}`\n\n{op.get('summary', '')}")
        params = [
            f"- `{p['name']}` ({p['in']})" + (f": {p['description']}" if "description" in p else "")
            for p in op.get("parameters", [])
        ]
        if params:
            out.append("Parameters:\n\n" + "\n".join(params))
        if body := op.get("requestBody", {}).get("content"):
            out.append(f"Request body: {media(body)}.")
        out.append(
            table(
                sorted(op["responses"].items()),
                [
                    ("status", lambda r: r[0]),
                    ("meaning", lambda r: r[1].get("description", "")),
                    ("content", lambda r: media(r[1].get("content", {}))),
                ],
            )
        )
    return "\n\n".join(out)


# ------------------------------------------------------------------------------------------------
# the layout, from the source tree (read as text, never imported)


def summary(text: str) -> str:
    """The first sentence of a docstring (or of a shell script's header comment), in Markdown."""
    paragraph = " ".join(text.strip().split("\n\n")[0].split())
    sentences = re.split(r"(?<=[.?!])\s+(?=[A-Z`(])", paragraph)
    first = " ".join(sentences[:2]) if sentences[0].endswith("?") else sentences[0]  # a question and its answer
    return first.replace("``", "`")


def describe(path: Path) -> str:
    text = path.read_text()
    if path.suffix == ".sh":
        comment = [line.lstrip("# ") for line in text.splitlines()[1:] if line.startswith("#")]
        return summary("\n".join(comment)) if comment else "—"
    doc = ast.get_docstring(ast.parse(text))
    return summary(doc) if doc else "—"


def line_count(path: Path) -> int:
    return len(path.read_text().splitlines())


def package_rows(folder: Path) -> list[tuple[str, int, str]]:
    """``folder`` (a package) and everything in it, depth first: (name, lines, summary)."""
    rel = folder.relative_to(ROOT)
    total = sum(line_count(p) for p in folder.rglob("*.py"))
    rows = [(f"**`{rel}/`**", total, describe(folder / "__init__.py"))]
    for path in sorted(folder.iterdir()):
        if path.suffix == ".py" and path.name != "__init__.py":
            rows.append((f"`{rel / path.name}`", line_count(path), describe(path)))
    for sub in sorted(p for p in folder.iterdir() if (p / "__init__.py").exists()):
        rows += package_rows(sub)
    return rows


LAYOUT_COLUMNS: list[Column] = [("path", lambda r: r[0]), ("lines", lambda r: r[1]), ("what it holds", lambda r: r[2])]


def render_layout() -> str:
    return table([row for name in PACKAGES for row in package_rows(ROOT / name)], LAYOUT_COLUMNS)


def render_tools() -> str:
    files = sorted(p for name in TOOLS for p in (ROOT / name).iterdir() if p.suffix in (".py", ".sh"))
    return table([(f"`{p.relative_to(ROOT)}`", line_count(p), describe(p)) for p in files], LAYOUT_COLUMNS)


# ------------------------------------------------------------------------------------------------

RENDERERS: dict[str, Callable[[], str]] = {
    "bundles": render_bundles,
    "real_audio_check": render_real_audio_check,
    "detector_report": render_detector_report,
    "detector_candidates": render_detector_candidates,
    "detector_side_by_side": render_detector_side_by_side,
    "realset_parts": render_realset_parts,
    "real_audio_eval": render_real_audio_eval,
    "not_music_genres": render_not_music_genres,
    "gradient_grid": render_gradient_grid,
    "stability": render_stability,
    "explain_speed_cpu": lambda: render_explain_speed("explain_speed_cpu"),
    "explain_speed_gpu": lambda: render_explain_speed("explain_speed_gpu_cnn"),
    "default_grid": render_default_grid,
    "job_latency_cpu": lambda: render_job_latency("job_latency_cpu_demo-student"),
    "job_latency_cpu_keras": lambda: render_job_latency("job_latency_cpu_demo-student_keras"),
    "job_latency_gpu": lambda: render_job_latency("job_latency_gpu_cnn"),
    "model_memory": render_model_memory,
    "engine_vs_bare": render_engine_vs_bare,
    "predict_in_process": render_predict_in_process,
    "predict_http": render_predict_http,
    "ale_engines": render_ale_engines,
    **{f"genre_maps_{b}": (lambda b=b: render_genre_maps(b)) for b in BUNDLES},
    "load": render_load,
    "store_formats": render_store_formats,
    "store_job": render_store_job,
    "store_lifetimes": render_store_lifetimes,
    "soak": render_soak,
    "chaos": render_chaos,
    "own_models": render_own_models,
    "taggers": render_taggers,
    "hf_parity": render_hf_parity,
    "whole_clip_model": render_whole_clip_model,
    "sanity_checks": render_sanity_checks,
    "explanation_quality": render_explanation_quality,
    "tune_grid": render_tune_grid,
    "tune_report": render_tune_report,
    "api_routes": render_api_routes,
    "layout": render_layout,
    "tools": render_tools,
}


def render_page(text: str, page: Path) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in RENDERERS:
            raise SystemExit(f"{page.relative_to(ROOT)}: no renderer for table {name!r}")
        return f"{match[1]}\n{RENDERERS[name]()}\n\n{match[4]}"

    return REGION.sub(fill, text)


def expected() -> dict[Path, bytes]:
    """Every generated file, and every page with a generated region, as it should be."""
    files: dict[Path, bytes] = {}
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text()
        if REGION.search(text):
            files[page] = render_page(text, page).encode()
    files[DOCS / "reference" / "openapi.json"] = openapi_json().encode()
    for target, source in FIGURES.items():
        files[DOCS / target] = (ROOT / source).read_bytes()
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a generated part is stale")
    args = parser.parse_args()
    stale = []
    for path, content in expected().items():
        current = path.read_bytes() if path.exists() else b""
        if current == content:
            continue
        stale.append(path)
        if args.check:
            name = str(path.relative_to(ROOT))
            if path.suffix in (".md", ".json"):
                diff = difflib.unified_diff(
                    current.decode().splitlines(True),
                    content.decode().splitlines(True),
                    f"{name} (committed)",
                    f"{name} (from its sources)",
                )
                sys.stdout.writelines(diff)
            else:
                print(f"{name}: differs from its source")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        print(f"\n{len(stale)} generated doc file(s) out of date; regenerate with: {REGENERATE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
