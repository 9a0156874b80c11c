"""``musicxai <command>``: corpus, train, evaluate, ale, realset, detector, import-pretrained, serve, worker, explain,
api-key.

Each command imports its package lazily, so ``musicxai --help`` starts instantly and a command
never pays for TensorFlow unless it needs the model.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from cli.bundles import add_bundle_commands
from cli.offline import add_offline_commands
from musicxai.errors import MusicXAIError


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from app.main import create_app
    from musicxai.config import Settings

    settings = Settings()
    with_worker = settings.embedded if args.worker is None else args.worker
    worker = _spawn_worker() if with_worker else None
    # uvicorn re-raises the SIGTERM it caught once it has shut down; with the default handler that
    # would end this process before the embedded worker below is stopped
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    finally:
        if worker is not None:
            _stop(worker)


def _exit_on_signal(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)


def _spawn_worker() -> subprocess.Popen:
    """The embedded worker: a real Celery worker process sharing the API's settings (environment)."""
    return subprocess.Popen([sys.executable, "-m", "cli.main", "worker"], env=os.environ.copy())


def _stop(process: subprocess.Popen, timeout: float = 20.0) -> None:
    process.send_signal(signal.SIGTERM)  # Celery's warm shutdown: finish the running job
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _worker(args: argparse.Namespace) -> None:
    from musicxai.config import Settings
    from worker.main import run_worker

    overrides = {"worker_concurrency": args.concurrency} if args.concurrency else {}
    run_worker(Settings(**overrides), pool=args.pool, loglevel=args.log_level.upper(), hostname=args.hostname)


def _explain(args: argparse.Namespace) -> None:
    from musicxai.audio.decode import load_audio
    from musicxai.config import Settings
    from musicxai.errors import validated
    from musicxai.explain.params import ExplanationParams
    from musicxai.explain.pipeline import run_explanation
    from musicxai.model.classifier import GenreClassifier

    settings = Settings()
    classifier = GenreClassifier.load(
        settings.models_dir / (args.model or settings.default_model), options=settings.runner_options()
    )
    audio = load_audio(
        args.file,
        sr=classifier.features.sample_rate,
        max_duration=settings.max_duration_s,
        min_duration=settings.min_duration_s,
        timeout_s=settings.decode_timeout_s,
    )
    params = validated(
        ExplanationParams,
        {
            "method": args.method,
            "segmentation": args.segmentation,
            "games": args.games,
            "num_samples": args.num_samples,
            "seed": args.seed,
            "baseline": args.baseline,
            "genres": args.genres.split(",") if args.genres else None,
        },
    )
    output = run_explanation(classifier, audio, params, max_batch_windows=settings.engine_max_batch_windows)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in output.artifacts.items():
        (args.out / name).write_bytes(data)
    result = output.result
    summary = {
        "out": str(args.out),
        "explained": result.explained_genres,
        "probabilities": {g: round(p, 4) for g, p in result.probabilities.items()},
        "model_calls": result.model_calls,
        "windows_evaluated": result.engine.windows_evaluated,
        "seconds": result.timings_s,
        "warnings": [w.detail for w in result.warnings],
    }
    print(json.dumps(summary, indent=2))


def _add_explain(sub) -> None:
    """``musicxai explain``: its choices and defaults are the core's own (ExplanationParams)."""
    from musicxai.explain.attribution import Games, Method
    from musicxai.explain.baseline import Baseline
    from musicxai.explain.params import ExplanationParams
    from musicxai.explain.segmentation import SegmentationKind

    defaults = ExplanationParams()
    p = sub.add_parser("explain", help="explain one audio file offline, no server needed")
    p.add_argument("file", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--model", default=None, help="bundle name under the models folder")
    p.add_argument("--method", choices=[m.value for m in Method], default=defaults.method.value)
    p.add_argument("--segmentation", choices=[s.value for s in SegmentationKind], default=defaults.segmentation.value)
    p.add_argument("--games", choices=[g.value for g in Games], default=defaults.games.value)
    p.add_argument("--num-samples", type=int, default=None, help="samples per game (default: the games' own)")
    p.add_argument("--baseline", choices=[b.value for b in Baseline], default=defaults.baseline.value)
    p.add_argument("--genres", default=None, help="comma-separated genres to explain (default: the top one)")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.set_defaults(func=_explain)


def _api_key(args: argparse.Namespace) -> None:
    from musicxai.service.access import KEY_NAME, hash_key, new_key

    if not KEY_NAME.match(args.name):
        raise SystemExit(f"musicxai api-key: {args.name!r}: use 1-64 letters, digits, _ or -")
    key = new_key()
    print(f"key (give it to the client; the service never stores it): {key}")
    print(f"entry for MUSICXAI_API_KEYS (comma-separate several):   {args.name}:{hash_key(key)}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="musicxai", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--log-level", default="INFO", help="logging level (default INFO)")
    sub = parser.add_subparsers(dest="command", required=True)

    add_offline_commands(sub)
    add_bundle_commands(sub)

    p = sub.add_parser("serve", help="start the API (and, without REDIS_URL, an embedded worker)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--worker",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also start a worker (default: yes in embedded mode, no with REDIS_URL)",
    )
    p.set_defaults(func=_serve)

    p = sub.add_parser("worker", help="start a Celery worker for explanation jobs")
    p.add_argument("--pool", default="prefork", choices=("prefork", "solo", "threads"))
    p.add_argument("--concurrency", type=int, default=None)
    p.add_argument("--hostname", default=None)
    p.set_defaults(func=_worker)

    p = sub.add_parser("api-key", help="make an API key: the key for a client, its hash for the settings")
    p.add_argument("name", help="who holds it: owns its jobs, names it in metrics and errors")
    p.set_defaults(func=_api_key)

    _add_explain(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("shap").setLevel(logging.WARNING)  # it logs every Kernel SHAP solve, arrays included, at INFO
    try:
        args.func(args)
    except MusicXAIError as exc:
        print(f"musicxai {args.command}: {exc.detail}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
