"""A bundle with another architecture's shape and random weights, for timing that architecture only.

Speed does not depend on weight values, so the VGG16 transfer model's explanation timings can be
taken where no trained VGG16 bundle exists (its weights are 59 MB). The bundle copies the features,
normalisation and genres of ``--like`` and says in its own ``bundle.json`` that it is untrained:
its probabilities and faithfulness figures mean nothing.

    python benchmarks/untrained_bundle.py --like models/demo --arch vgg16 --out /tmp/models/vgg16-untrained
"""

from __future__ import annotations

import argparse
from pathlib import Path

import keras

from musicxai.model.bundle import MODEL_FILE, read_bundle_meta, write_bundle_meta
from training.architectures import build_cnn, build_vgg16_transfer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--like", type=Path, default=Path("models/demo"), help="bundle whose features to copy")
    parser.add_argument("--arch", choices=("cnn", "vgg16"), default="vgg16")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    meta = read_bundle_meta(args.like)
    keras.utils.set_random_seed(args.seed)
    shape, classes = meta.features.input_shape, len(meta.genres)
    model = build_cnn(shape, classes) if args.arch == "cnn" else build_vgg16_transfer(shape, classes, weights=None)[0]
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out / MODEL_FILE)
    untrained = meta.model_copy(
        update={
            "name": args.out.name,
            "architecture": args.arch,
            "metrics": None,
            "training": {"untrained": True, "parameters": model.count_params()},
            "reports": {"purpose": "timing only: random weights, its outputs mean nothing"},
        }
    )
    write_bundle_meta(args.out, untrained)
    print(f"wrote an untrained {args.arch} bundle ({model.count_params()} parameters) to {args.out}")


if __name__ == "__main__":
    main()
