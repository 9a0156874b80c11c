"""The offline commands: corpus, train, evaluate, ale, genre-maps, realset, detector, import-pretrained
(``bundle create`` is in :mod:`cli.bundles`).

Each handler imports the training package lazily, so ``musicxai --help`` starts instantly.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


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
        backbone=args.backbone,
        realset=args.realset,
        teacher=args.teacher,
        tag_head=args.tag_head,
        verbose=args.verbose,
        workers=args.workers,
    )
    meta = train(config)
    print(json.dumps({"bundle": str(args.out), **meta.metrics.test.model_dump(exclude={"per_genre"})}, indent=2))


def _evaluate(args: argparse.Namespace) -> None:
    from training.train import reevaluate

    meta = reevaluate(args.bundle, args.data, workers=args.workers)
    print(json.dumps(meta.metrics.test.model_dump(exclude={"per_genre"}), indent=2))


def _ale(args: argparse.Namespace) -> None:
    from training.ale import build_ale

    out = build_ale(args.bundle, args.data, bins=args.bins, engine=args.ale_backend, max_clips=args.max_clips)
    print(f"wrote ALE artifacts to {out}")


def _genre_maps(args: argparse.Namespace) -> None:
    from musicxai.config import Settings
    from musicxai.explain.attribution import Method
    from training.genre_maps import build_genre_maps

    out = build_genre_maps(
        args.bundle,
        args.data,
        per_genre=args.per_genre,
        method=Method(args.method),
        num_samples=args.num_samples,
        seed=args.seed,
        options=Settings().runner_options(),
    )
    print(f"wrote per-genre attribution maps to {out}")


def _realset(args: argparse.Namespace) -> None:
    from training.realset import build_realset

    manifest = build_realset(args.out)
    print(f"wrote the real-audio set to {args.out} (manifest: {manifest})")


def _detector(args: argparse.Namespace) -> None:
    from training.detector import build_music_detector

    report = build_music_detector(
        args.realset,
        args.corpus,
        args.out,
        pretrained_dir=args.pretrained_dir,
        embedder=args.embedder,
        epochs=args.epochs,
        cache=args.cache,
    )
    print(json.dumps(report, indent=2))


def _import_pretrained(args: argparse.Namespace) -> None:
    from training.pretrained import import_pretrained

    out = import_pretrained(args.checkpoint, args.out)
    print(f"wrote the converted {args.checkpoint} backbone to {out}")


def add_offline_commands(sub) -> None:
    """Register the offline commands on the ``musicxai`` sub-parser."""
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
    p.add_argument("--arch", choices=("cnn", "vgg16", "music-vgg", "music-tags", "cnn-student"), default="cnn")
    p.add_argument(
        "--backbone",
        choices=("MSD_vgg", "MTT_vgg"),
        default="MSD_vgg",
        help="music-vgg: the converted musicnn backbone under models/pretrained/",
    )
    p.add_argument(
        "--realset",
        type=Path,
        default=None,
        help="music-tags, cnn-student: the real-audio set (its train part joins the fit)",
    )
    p.add_argument("--teacher", type=Path, default=None, help="cnn-student: the bundle it learns to imitate")
    p.add_argument(
        "--tag-head",
        choices=("tags", "tags+embeddings", "prior"),
        default="tags",
        help="music-tags: a prior-centred head on the 100 tags (plus the taggers' embeddings), or the written "
        "prior alone (its scale and the genre biases fitted)",
    )
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

    p = sub.add_parser("ale", help="compute global ALE plots of a bundle on its held-out tracks")
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True, help="folder holding genres_original/")
    p.add_argument("--bins", type=int, default=10)
    p.add_argument("--ale-backend", choices=("pyale", "effector"), default="pyale")
    p.add_argument("--max-clips", type=int, default=150, help="held-out clips used (a seeded subsample)")
    p.set_defaults(func=_ale)

    p = sub.add_parser(
        "genre-maps", help="per-genre attribution maps of a bundle over its held-out tracks (attributions/)"
    )
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True, help="folder holding genres_original/")
    p.add_argument("--per-genre", type=int, default=8, help="held-out clips per labelled genre (a seeded draw)")
    p.add_argument("--method", choices=("lime", "shap", "gradient"), default="lime")
    p.add_argument("--num-samples", type=int, default=None, help="samples per window game (default 64)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_genre_maps)

    p = sub.add_parser("realset", help="rebuild the real-audio evaluation set from Debian packages (apt-get download)")
    p.add_argument("--out", type=Path, required=True, help="e.g. data/realset")
    p.set_defaults(func=_realset)

    p = sub.add_parser("detector", help="fit the music detector (models/detector) on the real-audio set's train part")
    p.add_argument("--realset", type=Path, required=True, help="built by 'musicxai realset'")
    p.add_argument("--corpus", type=Path, default=None, help="demo corpus: its train split joins as music")
    p.add_argument("--pretrained-dir", type=Path, default=Path("models/pretrained"))
    p.add_argument("--out", type=Path, default=Path("models/detector"))
    p.add_argument(
        "--embedder",
        choices=("tagger", "distilled"),
        default="tagger",
        help="what embeds a window: the MTT tagger (default), or a small CNN distilled from it on the same clips",
    )
    p.add_argument("--epochs", type=int, default=12, help="at most this many epochs of distillation")
    p.add_argument("--cache", type=Path, default=None, help="an .npz keeping the tagger's embeddings between runs")
    p.set_defaults(func=_detector)

    p = sub.add_parser("import-pretrained", help="convert a musicnn checkpoint (MSD_vgg, MTT_vgg) to Keras 3")
    p.add_argument("--checkpoint", choices=("MSD_vgg", "MTT_vgg"), required=True)
    p.add_argument("--out", type=Path, required=True, help="e.g. models/pretrained/MSD_vgg")
    p.set_defaults(func=_import_pretrained)
