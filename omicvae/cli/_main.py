"""Argument parsing of the ``omicvae`` command: ``omicvae demo`` and ``omicvae fit``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ._options import add_model_options, model_settings
from ._specs import (
    UsageError,
    check_known,
    check_likelihoods,
    check_path,
    parse_devices,
    parse_pairs,
)

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
  omicvae fit    the same pipeline on your own data: an .h5mu, an .h5ad per modality, or
                 CSV/TSV matrices (TCGA files from the GDC, UCSC Xena or Firehose included)

Both write an .h5mu with the embeddings and clusters, figures and summary.txt into --out.
"""

FIT_EPILOG = """\
inputs (give either --mudata or one --mod per modality):
  --mudata data.h5mu [--modalities rna atac]   one MuData file with every modality
  --mod rna=rna.h5ad                           one AnnData file per modality
  --mod rna=rna.csv                            text matrix: samples as rows, first column the
                                               sample names, header the feature names (.csv
                                               comma-separated; .tsv, .txt, .tab or no extension
                                               tab-separated; .gz too); --transpose rna for
                                               features as rows
  --mod rna=HiSeqV2.tsv                        TCGA matrix: features as rows, TCGA barcodes as
                                               columns; --format auto (default) reads a text file
                                               this way when every column name after the first
                                               is a TCGA barcode (--format tcga|matrix to force)

examples:
  omicvae fit --mudata pbmc.h5mu --modalities rna prot --likelihood rna=nb --out pbmc/
  omicvae fit --mod rna=rna.h5ad --mod atac=atac.h5ad --likelihood rna=nb --out run/
  omicvae fit --mod left=left.csv --mod right=right.csv --clinical labels.csv --label digit
  omicvae fit --mod rna=HiSeqV2.tsv --mod mirna=miRNA_HiSeq.tsv --clinical clinical.tsv \\
      --likelihood rna=normal --likelihood mirna=nb --layer rna=log1p --label PAM50 --out brca/
"""


class _SubcommandParser(argparse.ArgumentParser):
    """A sub-command's parser whose options are added when it first parses (its --help included).

    ``omicvae --help`` then builds no sub-command: the options of ``fit`` list the registered
    likelihoods and file formats, which import torch and pandas.
    """

    def __init__(self, *args, add_options, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_options = add_options

    def parse_known_args(self, args=None, namespace=None):
        if self._add_options is not None:
            add_options, self._add_options = self._add_options, None
            add_options(self)
        return super().parse_known_args(args, namespace)


def _model_options(
    parser: argparse.ArgumentParser, epochs: int, quick_epochs: int | None = None
) -> None:
    """The model, training and output options of both sub-commands (``quick_epochs``: demo's)."""
    add_model_options(parser)

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
        "--key-prefix",
        default=None,
        metavar="PREFIX",
        help="prefix of the .obsm keys the embeddings are written under, e.g. X_run2 gives "
        "X_run2_shared (default: X_idmvae)",
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


def _demo_options(demo: argparse.ArgumentParser) -> None:
    """The options of ``omicvae demo``."""
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


def _fit_options(fit: argparse.ArgumentParser) -> None:
    """The options of ``omicvae fit``."""
    from ..distributions import likelihood_names
    from ._inputs import FORMATS

    data = fit.add_argument_group("data")
    source = data.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--mod",
        action="append",
        metavar="NAME=PATH",
        help="one modality and its file: .h5ad, or a .csv/.tsv/.txt/.tab matrix (also .gz); "
        "repeat for each",
    )
    source.add_argument(
        "--mudata",
        type=Path,
        metavar="H5MU",
        help="one .h5mu file holding every modality (instead of --mod)",
    )
    data.add_argument(
        "--modalities",
        nargs="+",
        metavar="NAME",
        help="with --mudata: the modalities to model (default: all)",
    )
    data.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="how text matrices are read: 'matrix' (samples as rows, sample names in the first "
        "column, feature names as header), 'tcga' (features as rows, TCGA barcodes as columns), "
        "or 'auto': tcga for a file whose column names after the first are all TCGA barcodes, "
        "matrix otherwise (auto)",
    )
    data.add_argument(
        "--transpose",
        action="append",
        metavar="NAME",
        help="the text matrix of modality NAME has features as rows and samples as columns "
        "(first column the feature names, header the sample names); repeatable",
    )
    data.add_argument(
        "--clinical",
        type=Path,
        metavar="PATH",
        help="clinical table (labels, survival): samples as rows, sample names in the first "
        "column (.csv or .tsv); for TCGA matrices a GDC/Xena/Firehose table keyed by patient "
        "barcode",
    )
    data.add_argument(
        "--likelihood",
        action="append",
        metavar="NAME=LIKELIHOOD",
        help=f"likelihood of a modality, one of {', '.join(likelihood_names())}; "
        "inferred and reported when omitted",
    )
    data.add_argument(
        "--layer",
        action="append",
        metavar="NAME=LAYER",
        help="model a layer of the modality instead of its .X: one the .h5ad/.h5mu holds, or "
        "'log1p' (log(1+x)), computed when absent, e.g. for RSEM or FPKM values with the normal "
        "likelihood",
    )
    data.add_argument(
        "--sample-types",
        default=None,
        metavar="TYPES",
        help="TCGA matrices only: two-digit sample types to keep, comma-separated, or 'all' (01)",
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


def build_parser() -> argparse.ArgumentParser:
    """The ``omicvae`` argument parser with its ``demo`` and ``fit`` sub-commands.

    A sub-command's options are added when that sub-command is parsed or its help is shown.
    """
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="omicvae",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"omicvae {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="{demo,fit}", parser_class=_SubcommandParser
    )
    sub.required = True
    sub.add_parser(
        "demo",
        add_options=_demo_options,
        help="train IDMVAE on the shipped TCGA-ACC cohort and report",
        description="Train IDMVAE on TCGA-ACC (92 patients; RNA, miRNA, CNV, protein, mutations with "
        "their real missingness), cluster the shared embedding, predict the C1A/C1B subtype, test "
        "survival across clusters, and write the results into --out.",
    )
    sub.add_parser(
        "fit",
        add_options=_fit_options,
        help="run the same pipeline on your own data (.h5mu, .h5ad, CSV/TSV, TCGA files)",
        description="Read your data (one .h5mu, an .h5ad per modality, or CSV/TSV matrices, TCGA\n"
        "downloads included) and an optional clinical table, train IDMVAE and report.",
        epilog=FIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def resolve_epochs(args: argparse.Namespace) -> int:
    """Set and return ``args.epochs``: the value given, else the ``--quick`` or usual default.

    An explicit ``--epochs`` always wins over ``--quick``, including one equal to the default.
    """
    if args.epochs is None:
        quick = getattr(args, "quick", False)  # only demo has --quick
        args.epochs = args.quick_epochs if quick else args.default_epochs
    return args.epochs


def _check_numbers(args: argparse.Namespace) -> None:
    """The training options (the model options are checked by their configuration fields)."""
    for name in ("epochs", "batch_size"):
        if getattr(args, name) <= 0:
            raise UsageError(
                f"--{name.replace('_', '-')} must be a positive integer, got {getattr(args, name)}"
            )
    if args.lr <= 0:
        raise UsageError(f"--lr must be positive, got {args.lr}")
    if not 0 < args.train_size <= 1:
        raise UsageError(f"--train-size must be in (0, 1], got {args.train_size}")
    if args.threads < 0:
        raise UsageError(f"--threads must be 0 (torch's default) or more, got {args.threads}")


def _run(args: argparse.Namespace, mdata, **command_settings) -> int:
    """Run the pipeline on ``mdata`` with the options of ``args`` and the sub-command's settings."""
    from ._pipeline import PipelineConfig, run_pipeline

    # the options IDMVAE.train takes under their own names
    same = "batch_size lr train_size seed accelerator devices strategy compile".split()
    train = {name: getattr(args, name) for name in same}
    train.update(max_epochs=args.epochs, enable_progress_bar=not args.no_progress)
    if args.key_prefix is not None:
        train["key_prefix"] = args.key_prefix
    config = PipelineConfig(
        out=args.out,
        model=dict(args.model_settings),
        train=train,
        resolution=args.resolution,
        save_model=args.save_model,
        **command_settings,
    )
    run_pipeline(mdata, config, start=args.start)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from ..datasets import tcga_acc

    quick = {}
    if args.quick:  # --quick's epochs: see resolve_epochs; its networks unless given too
        quick_model = {k: v for k, v in QUICK["model"].items() if getattr(args, k) is None}
        args.model_settings.update(quick_model)
        quick["n_splits"] = QUICK["n_splits"]
    mdata = tcga_acc()
    info = mdata.uns["omicvae_dataset"]
    print("omicvae demo: IDMVAE on TCGA-ACC (adrenocortical carcinoma, shipped with omicvae)")
    setup = dict(likelihoods=dict(info["likelihoods"]), layers=dict(info["layers"]))
    h5mu = args.out / "tcga_acc_idmvae.h5mu"
    return _run(args, mdata, setup=setup, h5mu=h5mu, predict=["C1A.C1B"], compare=["COC"], **quick)


def _nan_features(X):
    """Which features (columns) of a dense or sparse matrix hold a missing value."""
    import numpy as np
    import scipy.sparse as sp

    if sp.issparse(X):
        X = X.tocoo()
        return np.bincount(X.col[np.isnan(X.data)], minlength=X.shape[1]) > 0
    return np.isnan(np.asarray(X, dtype=float)).any(axis=0)


def _log1p(name: str, X):
    """``--layer NAME=log1p``: log(1 + X) as float32, of non-negative values only."""
    import numpy as np
    import scipy.sparse as sp

    negative = int((np.asarray(X.data if sp.issparse(X) else X, dtype=float) < 0).sum())
    if negative:
        raise UsageError(
            f"--layer {name}=log1p: modality {name!r} has {negative} negative values; "
            "log1p needs non-negative values"
        )
    if sp.issparse(X):
        return X.astype(np.float32).log1p()
    return np.log1p(np.asarray(X, dtype=float)).astype(np.float32)


def _fit(args: argparse.Namespace) -> int:
    """Read the inputs of ``omicvae fit`` into a MuData, with the requested layers, and fit."""
    import mudata as md

    from ._inputs import read_inputs

    files = None
    if args.mod is not None:
        pairs = parse_pairs(args.mod, "--mod", "PATH")
        files = {name: check_path(raw, f"--mod {name}={raw}") for name, raw in pairs.items()}
    else:
        args.mudata = check_path(args.mudata, f"--mudata {args.mudata}")
    if args.clinical is not None:
        args.clinical = check_path(args.clinical, f"--clinical {args.clinical}")
    likelihoods = parse_pairs(args.likelihood, "--likelihood", "LIKELIHOOD")
    layers = parse_pairs(args.layer, "--layer", "LAYER")
    named = {"--likelihood": likelihoods, "--layer": layers}
    check_likelihoods(likelihoods)
    if files is not None:  # before reading: the names are known from the command line
        check_known(files, named)
    mdata, sources = read_inputs(args, files)
    check_known(mdata.mod, named)
    for name, layer in layers.items():
        adata = mdata.mod[name]
        if layer not in adata.layers and layer != "log1p":
            held = list(adata.layers) or "none"
            raise UsageError(
                f"--layer {name}={layer}: modality {name!r} has no layer {layer!r} (its layers: "
                f"{held}); the only layer computed from a file is 'log1p'"
            )
    for name, adata in mdata.mod.items():
        layer = layers.get(name)
        X = adata.layers[layer] if layer in adata.layers else adata.X
        if X is None:
            raise UsageError(
                f"modality {name!r} ({sources[name]}) has no .X; choose one of its layers "
                f"{list(adata.layers)} with --layer {name}=LAYER"
            )
        nan = _nan_features(X)
        if nan.all():
            raise UsageError(
                f"modality {name!r} ({sources[name]}): every feature has missing values"
            )
        if nan.any() and not args.drop_nan_features:
            raise UsageError(
                f"modality {name!r}: {int(nan.sum())} features of {sources[name]} have "
                "missing values (NA); use --drop-nan-features to drop them"
            )
        if nan.any():
            with md.set_options(pull_on_update=False):  # refresh var without re-pulling obs
                mdata.mod[name] = adata[:, ~nan].copy()
                mdata.update()
            print(f"modality {name!r}: dropped {int(nan.sum())} features with missing values")
    for name, layer in layers.items():
        adata = mdata.mod[name]
        if layer not in adata.layers:
            adata.layers["log1p"] = _log1p(name, adata.X)
    missing = [c for c in args.label if c not in mdata.obs.columns]
    if missing:
        hint = "" if args.clinical is not None else " (give --clinical)"
        raise UsageError(f"--label {missing[0]!r}: no such clinical column{hint}")
    print(f"omicvae fit: IDMVAE on {', '.join(mdata.mod)}")
    setup = dict(likelihoods=likelihoods or None, layers=layers or None)
    return _run(args, mdata, setup=setup, h5mu=args.output, predict=list(args.label))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``omicvae`` command; returns the exit code (2 for bad arguments or input files)."""
    start = time.perf_counter()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.start = start
    resolve_epochs(args)
    try:
        _check_numbers(args)
        args.model_settings = model_settings(args)  # before any data is read
        args.devices = parse_devices(args.devices)
        if args.threads > 0:
            import torch

            torch.set_num_threads(args.threads)
        return _demo(args) if args.command == "demo" else _fit(args)
    except UsageError as err:
        message = " ".join(str(err).split())  # one line, whatever the message held
        print(f"omicvae {args.command}: error: {message}", file=sys.stderr)
        print(f"(see: omicvae {args.command} --help)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("omicvae: interrupted", file=sys.stderr)
        return 130
