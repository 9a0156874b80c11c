"""``musicxai bundle create``: wrap a model made elsewhere (Keras, ONNX, a Hugging Face export, a Python callable);
``musicxai bundle check``: the sanity checks of its explanations."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

FEATURE_FLAGS = ("extractor", "sample_rate", "n_mels", "n_fft", "hop_length", "window_seconds", "hop_seconds",
                 "window_frames", "fmin", "fmax")  # fmt: skip
FBANK_FLAGS = {"fbank_extractor": "extractor", "fbank_mels": "n_mels", "fbank_n_fft": "n_fft",
               "fbank_hop": "hop_length", "fbank_frames": "frames", "fbank_layout": "layout",
               "fbank_channel": "channel_axis", "fbank_mean": "mean", "fbank_std": "std",
               "fbank_scale": "scale"}  # fmt: skip


def _declared_input(args: argparse.Namespace):
    """The ``--input`` kind with its flags, as :mod:`musicxai.model.inputs` declares it."""
    from musicxai.model.inputs import Filterbank, LogMelWindows, Waveform

    audio = {k: v for k in ("chunk_seconds", "max_seconds") if (v := getattr(args, k)) is not None}
    if args.sample_rate is not None and args.input != "logmel_windows":
        audio["sample_rate"] = args.sample_rate
    if args.input == "waveform":
        return Waveform(normalize=args.normalize, **audio)
    if args.input == "filterbank":
        return Filterbank(
            **audio, **{name: v for flag, name in FBANK_FLAGS.items() if (v := getattr(args, flag)) is not None}
        )
    return LogMelWindows()


def _bundle_create(args: argparse.Namespace) -> None:
    from pydantic import ValidationError

    from musicxai.errors import ParameterError, describe_validation_error
    from musicxai.model.features import FeatureSettings, Normalisation
    from musicxai.model.outputs import Output
    from training.own_bundle import NOT_RECORDED, create_bundle

    ways = [w for w in ("model", "onnx", "hf_dir", "callable") if getattr(args, w)]
    if len(ways) != 1:
        raise ParameterError("give exactly one of --model FILE.keras, --onnx FILE, --hf-dir DIR, --callable mod:fn")
    labels = [g.strip() for g in (args.labels or "").split(",") if g.strip()]
    if args.labels_file:
        labels = json.loads(args.labels_file.read_text())
    provenance = json.loads(args.provenance.read_text()) if args.provenance else {}
    try:
        if args.hf_dir:
            from training.hf_export import read_export

            export = read_export(args.hf_dir, chunk_seconds=args.chunk_seconds, max_seconds=args.max_seconds)
            model, model_input, output = export.model, export.model_input, export.output
            labels, provenance = labels or export.labels, {**export.provenance, **provenance}
        else:
            model = args.model or args.onnx or args.callable
            model_input = _declared_input(args)
            output = Output(kind=args.output, activation=args.activation)
        if not labels:
            raise ParameterError("name the model's outputs: --labels a,b,c in the order of its outputs")
        logmel = model_input.kind == "logmel_windows"
        features = (
            FeatureSettings(**{k: v for k in FEATURE_FLAGS if (v := getattr(args, k)) is not None}) if logmel else None
        )
        norm = Normalisation.model_validate_json(args.normalisation.read_text()) if args.normalisation else None
    except ValidationError as exc:
        raise ParameterError(describe_validation_error(exc.errors(), whole="settings")) from exc
    meta = create_bundle(
        model, args.out, genres=labels, model_input=model_input, output=output, features=features,
        normalisation=norm, eval_data=args.eval_data, description=args.description or NOT_RECORDED,
        provenance=provenance, explanation_defaults=json.loads(args.explanation_defaults or "{}"),
    )  # fmt: skip
    metrics = meta.metrics.test.model_dump(exclude={"per_genre"}) if meta.metrics else "not evaluated (no --eval-data)"
    declared = {"input": meta.input.model_dump(), "output": meta.output.model_dump(), "runtime": meta.runtime.kind}
    print(f"wrote {args.out}: {len(labels)} labels; {json.dumps(declared)}; held-out metrics: {metrics}")


def _bundle_check(args: argparse.Namespace) -> None:
    from training.sanity import record_sanity_checks

    checks = record_sanity_checks(args.bundle, args.clips, seconds=args.seconds, steps=args.steps)
    for method, c in checks.methods.items():
        curve = " → ".join(f"{s.spearman:+.2f}" for s in c.randomisation or [])
        flag = {True: "SURVIVES randomisation", False: "falls with the weights", None: checks.not_randomised}[
            c.survives_randomisation
        ]
        noise = (
            f"under {c.noise.snr_db:g} dB noise ρ {c.noise.spearman}, kept {c.noise.kept_prediction}/{c.noise.copies}"
        )
        print(f"{method}: ρ as layers are randomised top down {curve or '—'} ({flag}); {noise}")
    print(f"wrote the checks into {args.bundle}/bundle.json ({checks.seconds:g} s)")


def add_bundle_commands(sub) -> None:
    """Register ``bundle create`` and ``bundle check`` on the ``musicxai`` sub-parser."""
    bundle = sub.add_parser("bundle", help="bundles: wrap a model made elsewhere").add_subparsers(
        dest="bundle_command", required=True
    )
    p = bundle.add_parser("create", help="check a model against what it declares to take and answer; write a bundle")
    way = p.add_argument_group("the model (exactly one)")
    way.add_argument("--model", type=Path, help="a .keras file")
    way.add_argument("--onnx", type=Path, help="a .onnx file (a PyTorch, TensorFlow or JAX export)")
    way.add_argument("--hf-dir", type=Path, help="an optimum-cli export folder: model.onnx + its two JSON files")
    way.add_argument("--callable", help="package.module:function(waveform, sample_rate) -> probabilities (trusted)")
    p.add_argument("--labels", "--genres", dest="labels", help="comma-separated, in the order of the outputs")
    p.add_argument("--labels-file", type=Path, default=None, help="the labels as a JSON list, for names with commas")
    p.add_argument("--out", type=Path, required=True, help="a new bundle folder, e.g. models/my-model")
    p.add_argument("--eval-data", type=Path, default=None, help="held-out clips as DIR/<label>/<clip>")
    p.add_argument("--description", default=None, help="what the model was trained on (shown on the page)")
    p.add_argument("--provenance", type=Path, default=None, help="a JSON object: source, licence, citation")
    p.add_argument("--explanation-defaults", default=None,
                   help='JSON: a costly model\'s cheaper defaults, e.g. {"n_bands": 4, "num_samples": 32}')  # fmt: skip
    p.add_argument("--output", choices=("exclusive", "tags"), default="exclusive",
                   help="exclusive labels (one is right) or independent tags (multi-label)")  # fmt: skip
    p.add_argument("--activation", choices=("none", "softmax", "sigmoid"), default="none",
                   help="applied to raw outputs: softmax for logits of exclusive labels, sigmoid for tags")  # fmt: skip
    p.add_argument("--input", choices=("logmel_windows", "waveform", "filterbank"), default="logmel_windows")
    audio = p.add_argument_group("waveform and filterbank inputs")
    audio.add_argument("--chunk-seconds", type=float, default=None, help="fed in chunks this long; default: whole")
    audio.add_argument("--max-seconds", type=float, default=None, help="cut longer clips to this")
    audio.add_argument("--normalize", action="store_true", help="waveform: zero mean, unit variance per piece")
    audio.add_argument("--fbank-extractor", choices=("kaldi", "logmel-db", "logmel-ln", "logmel-log10"))
    for flag, kind in (("fbank-mels", int), ("fbank-n-fft", int), ("fbank-hop", int), ("fbank-frames", int),
                       ("fbank-mean", float), ("fbank-std", float), ("fbank-scale", float)):  # fmt: skip
        audio.add_argument(f"--{flag}", type=kind, default=None)
    audio.add_argument("--fbank-layout", choices=("frames_bins", "bins_frames"), default=None)
    audio.add_argument("--fbank-channel", action="store_const", const=True, default=None,
                       help="the model takes a trailing channel axis of 1")  # fmt: skip
    logmel = p.add_argument_group("log-mel window inputs (our own features)")
    logmel.add_argument("--normalisation", type=Path, default=None, help='JSON {"mean": [...], "std": [...]} per band')
    logmel.add_argument("--extractor", choices=("logmel-db", "logmel-log10"), default=None)
    p.add_argument("--sample-rate", type=int, default=None, help="the model's rate (log-mel windows or audio inputs)")
    for flag, kind in (("n-mels", int), ("n-fft", int), ("hop-length", int), ("window-seconds", float),
                       ("hop-seconds", float), ("window-frames", int), ("fmin", float), ("fmax", float)):  # fmt: skip
        logmel.add_argument(f"--{flag}", type=kind, default=None, help="default: the demo models' setting")
    p.set_defaults(func=_bundle_create)
    p = bundle.add_parser("check", help="the explanation methods under weight randomisation and input noise")
    p.add_argument("bundle", type=Path)
    p.add_argument("--clips", type=Path, nargs="+", required=True, help="real recordings the model was not trained on")
    p.add_argument("--seconds", type=float, default=15.0, help="of each clip")
    p.add_argument("--steps", type=int, default=6, help="randomisation steps from the top layer to all")
    p.set_defaults(func=_bundle_check)
