"""``musicxai <command>``: corpus, train, evaluate (and the service commands).

Each command imports its package lazily, so ``musicxai --help`` starts instantly and a command
never pays for TensorFlow unless it needs the model.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from musicxai.errors import MusicXAIError


def _corpus(args: argparse.Namespace) -> None:
    from training.corpus import generate_corpus

    summary = generate_corpus(
        args.out, clips_per_genre=args.clips_per_genre, seconds=args.seconds, seed=args.seed, workers=args.workers
    )
    print(f"wrote {len(summary['clips'])} clips to {args.out}")


def _train(args: argparse.Namespace) -> None:
    from training.train import TrainConfig, train

    config = TrainConfig(
        data=args.data,
        out=args.out,
        arch=args.arch,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        patience=args.patience,
        seed=args.seed,
        split_dir=args.split_dir,
        weights=None if args.weights == "none" else args.weights,
        verbose=args.verbose,
        workers=args.workers,
    )
    meta = train(config)
    print(json.dumps({"bundle": str(args.out), **meta.metrics.test.model_dump(exclude={"per_genre"})}, indent=2))


def _evaluate(args: argparse.Namespace) -> None:
    from training.train import reevaluate

    meta = reevaluate(args.bundle, args.data, workers=args.workers)
    print(json.dumps(meta.metrics.test.model_dump(exclude={"per_genre"}), indent=2))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="musicxai", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--log-level", default="INFO", help="logging level (default INFO)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("corpus", help="generate the labelled demo corpus in GTZAN layout")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--clips-per-genre", type=int, default=100)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=_corpus)

    p = sub.add_parser("train", help="train a model on a GTZAN-layout folder and write a bundle")
    p.add_argument("--data", type=Path, required=True, help="folder holding genres_original/")
    p.add_argument("--out", type=Path, required=True, help="bundle folder, e.g. models/gtzan-cnn")
    p.add_argument("--arch", choices=("cnn", "vgg16"), default="cnn")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--patience", type=int, default=5, help="early-stopping patience on validation loss")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split-dir", type=Path, default=None, help="folder with train/valid/test_filtered.txt")
    p.add_argument("--weights", default="imagenet", help="VGG16 weights: imagenet or none")
    p.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2), help="Keras progress output")
    p.add_argument("--workers", type=int, default=None, help="feature-extraction processes")
    p.set_defaults(func=_train)

    p = sub.add_parser("evaluate", help="re-evaluate a bundle on its recorded held-out tracks")
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        args.func(args)
    except MusicXAIError as exc:
        print(f"musicxai {args.command}: {exc.detail}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
