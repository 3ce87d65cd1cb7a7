"""Argument parsing of the ``omicvae`` command: ``omicvae demo`` and ``omicvae fit``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .._constants import LIKELIHOODS
from ..model._params import DEFAULTS
from ._specs import (
    UsageError,
    check_known,
    check_likelihoods,
    check_paths,
    parse_devices,
    parse_pairs,
)

__all__ = ["build_parser", "main"]

DEMO_EPOCHS = 200
QUICK = dict(
    epochs=2,
    model=dict(
        encoder_hidden=(32,),
        decoder_hidden=(32,),
        diffusion_hidden=32,
        diffusion_steps=100,
        diffusion_sample_steps=10,
    ),
    n_splits=2,
)

DESCRIPTION = """\
IDMVAE: a multimodal VAE with one shared latent z and one private latent w per modality.

  omicvae demo   train on the shipped TCGA-ACC cohort (92 patients, 5 omics) and report
  omicvae fit    the same pipeline on your own TCGA files (GDC, UCSC Xena or Firehose layouts)

Both write an .h5mu with the embeddings and clusters, figures and summary.txt into --out.
"""

FIT_EPILOG = """\
example:
  omicvae fit --mod rna=HiSeqV2.tsv --mod mirna=miRNA_HiSeq.tsv --clinical clinical.tsv \\
      --likelihood rna=normal --likelihood mirna=nb --layer rna=log1p --label PAM50 --out brca/
"""


def _model_options(
    parser: argparse.ArgumentParser, epochs: int, quick_epochs: int | None = None
) -> None:
    """Hyper-parameters and training options shared by both sub-commands.

    Parameters
    ----------
    parser
        The sub-command's parser.
    epochs
        Default of ``--epochs``.
    quick_epochs
        Default of ``--epochs`` under ``--quick`` (None: the sub-command has no ``--quick``).
    """
    model = parser.add_argument_group(
        "model (defaults: the paper's TCGA sizes and weights; inputs z-scored unless --raw-inputs)"
    )
    model.add_argument("--n-shared", type=int, default=16, metavar="N", help="dimension of z (16)")
    model.add_argument(
        "--n-private", type=int, default=32, metavar="N", help="dimension of each w (32)"
    )
    model.add_argument(
        "--cross-mi-weight",
        type=float,
        default=10.0,
        metavar="λ1",
        help="weight of the cross-view InfoNCE on z (10)",
    )
    model.add_argument(
        "--gen-aug-weight",
        type=float,
        default=1e-3,
        metavar="λ2",
        help="weight of the generative-augmentation loss (0.001)",
    )
    model.add_argument(
        "--independence-weight",
        type=float,
        default=DEFAULTS["independence_weight"],
        metavar="W",
        help="weight of the term that keeps shared information out of the private codes "
        f"({DEFAULTS['independence_weight']:g}; 0 is the paper)",
    )
    model.add_argument("--beta", type=float, default=2.5, help="weight of the prior terms (2.5)")
    model.add_argument(
        "--diffusion-weight",
        type=float,
        default=0.1,
        metavar="W",
        help="weight of the diffusion-prior loss (0.1)",
    )
    model.add_argument("--no-diffusion", action="store_true", help="Gaussian priors only")
    model.add_argument(
        "--raw-inputs",
        action="store_true",
        help="feed the encoders the values as they are (the paper's setting); by default each "
        "input feature is z-scored with training-split statistics, which omics on very different "
        "scales (read counts next to copy-number calls) need",
    )

    train = parser.add_argument_group("training")
    quick = "" if quick_epochs is None else f"; {quick_epochs} with --quick, unless given"
    train.add_argument(
        "--epochs", type=int, default=None, help=f"passes over the data ({epochs}{quick})"
    )
    parser.set_defaults(default_epochs=epochs, quick_epochs=quick_epochs)
    train.add_argument(
        "--batch-size", type=int, default=128, metavar="N", help="mini-batch size (128)"
    )
    train.add_argument("--lr", type=float, default=5e-4, help="Adam learning rate (5e-4)")
    train.add_argument(
        "--train-size",
        type=float,
        default=1.0,
        metavar="F",
        help="fraction of samples trained on; the rest form a validation split that only "
        "monitors the loss (1.0: all samples, unlike the API's model.train(), which holds out "
        "10%%: nothing here reads the validation loss, and in a cohort of ~100 patients every "
        "patient helps the embedding)",
    )
    train.add_argument(
        "--seed", type=int, default=0, help="seed of weights, split and shuffling (0)"
    )
    train.add_argument(
        "--accelerator",
        default="auto",
        help="Lightning accelerator: auto, cpu, gpu, cuda, mps (auto)",
    )
    train.add_argument(
        "--devices",
        default="auto",
        help="number of devices (2) or ids (0,1); auto: all of one kind (auto)",
    )
    train.add_argument(
        "--strategy", default="auto", help="Lightning strategy, e.g. ddp for several GPUs (auto)"
    )
    train.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="CPU threads of torch (1: fastest for these small networks, above all on a busy "
        "machine; 0: torch's default)",
    )
    train.add_argument(
        "--compile",
        action="store_true",
        help="compile the training loss with torch.compile (minutes of warm-up, faster steps "
        "after: for long runs)",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")

    out = parser.add_argument_group("output")
    out.add_argument("--resolution", type=float, default=1.0, help="leiden resolution (1.0)")
    out.add_argument("--save-model", action="store_true", help="also save the model to OUT/model")


def build_parser() -> argparse.ArgumentParser:
    """The ``omicvae`` argument parser with its ``demo`` and ``fit`` sub-commands."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="omicvae",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"omicvae {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{demo,fit}")
    sub.required = True

    demo = sub.add_parser(
        "demo",
        help="train IDMVAE on the shipped TCGA-ACC cohort and report",
        description="Train IDMVAE on TCGA-ACC (92 patients; RNA, miRNA, CNV, protein, mutations with "
        "their real missingness), cluster the shared embedding, predict the C1A/C1B subtype, test "
        "survival across clusters, and write the results into --out.",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("omicvae_demo"), help="output folder (omicvae_demo/)"
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke test: small networks and {QUICK['epochs']} epochs unless --epochs is "
        "given (for CI)",
    )
    _model_options(demo, DEMO_EPOCHS, QUICK["epochs"])

    fit = sub.add_parser(
        "fit",
        help="run the same pipeline on your own TCGA files",
        description="Read TCGA matrices (features x samples, tab-separated, barcodes as columns)\n"
        "and an optional clinical table with omicvae.datasets.read_tcga, train IDMVAE and report.",
        epilog=FIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = fit.add_argument_group("data")
    data.add_argument(
        "--mod",
        action="append",
        metavar="NAME=PATH",
        required=True,
        help="one omics matrix per modality (repeat for each)",
    )
    data.add_argument(
        "--clinical",
        type=Path,
        metavar="PATH",
        help="clinical table keyed by patient barcode (labels, survival)",
    )
    data.add_argument(
        "--likelihood",
        action="append",
        metavar="NAME=LIKELIHOOD",
        help=f"likelihood of a modality, one of {', '.join(LIKELIHOODS)}; "
        "inferred and reported when omitted",
    )
    data.add_argument(
        "--layer",
        action="append",
        metavar="NAME=LAYER",
        help="model a transformed layer; 'log1p' (log(1+x)) is computed, e.g. for "
        "RSEM or FPKM values with the normal likelihood",
    )
    data.add_argument(
        "--sample-types",
        default="01",
        metavar="TYPES",
        help="two-digit TCGA sample types to keep, comma-separated, or 'all' (01)",
    )
    data.add_argument(
        "--drop-nan-features",
        action="store_true",
        help="drop features with missing values (NA) instead of stopping",
    )
    data.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="COLUMN",
        help="clinical column to predict from the embeddings and compare with the "
        "clusters (repeatable)",
    )
    fit.add_argument(
        "--out", type=Path, default=Path("omicvae_fit"), help="output folder (omicvae_fit/)"
    )
    fit.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="H5MU",
        help="path of the written MuData (OUT/idmvae.h5mu)",
    )
    _model_options(fit, 50)
    return parser


def resolve_epochs(args: argparse.Namespace) -> int:
    """Set and return ``args.epochs``: the value given, else the ``--quick`` or usual default.

    An explicit ``--epochs`` always wins over ``--quick``, including one equal to the default.

    Parameters
    ----------
    args
        Parsed arguments of a sub-command (``--epochs`` defaults to None).

    Returns
    -------
    int
        The number of epochs to train.
    """
    if args.epochs is None:
        quick = getattr(args, "quick", False) and args.quick_epochs is not None
        args.epochs = args.quick_epochs if quick else args.default_epochs
    return args.epochs


def _check_numbers(args: argparse.Namespace) -> None:
    for name in ("n_shared", "n_private", "epochs", "batch_size"):
        if getattr(args, name) <= 0:
            raise UsageError(
                f"--{name.replace('_', '-')} must be a positive integer, got {getattr(args, name)}"
            )
    for name in (
        "cross_mi_weight",
        "gen_aug_weight",
        "independence_weight",
        "beta",
        "diffusion_weight",
    ):
        if getattr(args, name) < 0:
            raise UsageError(
                f"--{name.replace('_', '-')} must be non-negative, got {getattr(args, name)}"
            )
    if args.lr <= 0:
        raise UsageError(f"--lr must be positive, got {args.lr}")
    if not 0 < args.train_size <= 1:
        raise UsageError(f"--train-size must be in (0, 1], got {args.train_size}")
    if args.threads < 0:
        raise UsageError(f"--threads must be 0 (torch's default) or more, got {args.threads}")


def _config(args: argparse.Namespace, out: Path):
    from ._pipeline import PipelineConfig

    model = dict(
        n_shared=args.n_shared,
        n_private=args.n_private,
        cross_mi_weight=args.cross_mi_weight,
        gen_aug_weight=args.gen_aug_weight,
        independence_weight=args.independence_weight,
        beta=args.beta,
        diffusion_prior=not args.no_diffusion,
        diffusion_weight=args.diffusion_weight,
        standardize_inputs=not args.raw_inputs,
    )
    train = dict(
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        train_size=args.train_size,
        seed=args.seed,
        accelerator=args.accelerator,
        devices=parse_devices(args.devices),
        strategy=args.strategy,
        enable_progress_bar=not args.no_progress,
        compile=args.compile,
    )
    return PipelineConfig(
        out=out, model=model, train=train, resolution=args.resolution, save_model=args.save_model
    )


def _demo(args: argparse.Namespace) -> int:
    from ..datasets import tcga_acc
    from ._pipeline import run_pipeline

    config = _config(args, args.out)
    if args.quick:
        config.model.update(QUICK["model"])  # --quick's epochs: see resolve_epochs
        config.n_splits = QUICK["n_splits"]
    mdata = tcga_acc()
    info = mdata.uns["omicvae_dataset"]
    config.setup = dict(likelihoods=dict(info["likelihoods"]), layers=dict(info["layers"]))
    config.h5mu = args.out / "tcga_acc_idmvae.h5mu"
    config.predict = ["C1A.C1B"]
    config.compare = ["COC"]
    print("omicvae demo: IDMVAE on TCGA-ACC (adrenocortical carcinoma, shipped with omicvae)")
    run_pipeline(mdata, config, start=args.start)
    return 0


def _read_fit_data(args: argparse.Namespace):
    """Read the files of ``omicvae fit`` into a MuData, with the requested layers."""
    import mudata as md
    import numpy as np

    from ..datasets import read_tcga

    files = check_paths(parse_pairs(args.mod, "--mod", "PATH"), "--mod")
    likelihoods = parse_pairs(args.likelihood, "--likelihood", "LIKELIHOOD")
    layers = parse_pairs(args.layer, "--layer", "LAYER")
    check_known(likelihoods, files, "--likelihood")
    check_known(layers, files, "--layer")
    check_likelihoods(likelihoods)
    for name, layer in layers.items():
        if layer != "log1p":
            raise UsageError(
                f"--layer {name}={layer}: the only layer computed from a file is 'log1p'"
            )
    if args.clinical is not None:
        check_paths({"clinical": str(args.clinical)}, "--clinical")
    types = (
        None
        if args.sample_types.strip() == "all"
        else [t.strip() for t in args.sample_types.split(",") if t.strip()]
    )
    try:
        mdata = read_tcga(files, args.clinical, sample_types=types)
    except (ValueError, KeyError, OSError) as err:
        raise UsageError(f"could not read the input files: {err}") from None
    for name, adata in mdata.mod.items():
        if adata.n_obs == 0:
            raise UsageError(
                f"--mod {name}: no samples of type(s) {args.sample_types} in {files[name]} "
                "(see --sample-types)"
            )
        nan = np.isnan(np.asarray(adata.X, dtype=float)).any(axis=0)
        if nan.any() and args.drop_nan_features:
            with md.set_options(pull_on_update=False):  # refresh var without re-pulling obs
                mdata.mod[name] = adata[:, ~nan].copy()
                mdata.update()
            print(f"modality {name!r}: dropped {int(nan.sum())} features with missing values")
        elif nan.any():
            raise UsageError(
                f"modality {name!r}: {int(nan.sum())} features of {files[name]} have missing values "
                "(NA); use --drop-nan-features to drop them"
            )
    for name in layers:
        X = np.asarray(mdata.mod[name].X, dtype=float)
        if (X < 0).any():
            raise UsageError(
                f"--layer {name}=log1p: modality {name!r} has {int((X < 0).sum())} negative values; "
                "log1p needs non-negative values"
            )
        mdata.mod[name].layers["log1p"] = np.log1p(X).astype(np.float32)
    missing = [c for c in args.label if c not in mdata.obs.columns]
    if missing:
        hint = "" if args.clinical is not None else " (give --clinical)"
        raise UsageError(f"--label {missing[0]!r}: no such clinical column{hint}")
    return mdata, likelihoods, layers


def _fit(args: argparse.Namespace) -> int:
    from ._pipeline import run_pipeline

    mdata, likelihoods, layers = _read_fit_data(args)
    config = _config(args, args.out)
    config.setup = dict(likelihoods=likelihoods or None, layers=layers or None)
    config.h5mu = args.output
    config.predict = list(args.label)
    print(f"omicvae fit: IDMVAE on {', '.join(mdata.mod)}")
    run_pipeline(mdata, config, start=args.start)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``omicvae`` command; returns the exit code (2 for bad arguments or input files)."""
    start = time.perf_counter()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.start = start
    resolve_epochs(args)
    try:
        _check_numbers(args)
        parse_devices(args.devices)
        if args.threads > 0:
            import torch

            torch.set_num_threads(args.threads)
        return _demo(args) if args.command == "demo" else _fit(args)
    except UsageError as err:
        print(f"omicvae {args.command}: error: {err}", file=sys.stderr)
        print(f"(see: omicvae {args.command} --help)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("omicvae: interrupted", file=sys.stderr)
        return 130
