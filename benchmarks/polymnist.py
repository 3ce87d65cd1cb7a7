"""PolyMNIST-Quadrant benchmark: linear probes and generation coherence (method.md §4–5).

Builds the offline PolyMNIST-Quadrant (real MNIST digits, CC0 backgrounds), trains IDMVAE, IDMVAE with
the diffusion prior, MMVAE+ and the two single-term ablations (λ1 = 0, λ2 = 0) on the train split, and
scores every model with the same ``ov.tl`` code: ``ov.tl.disentanglement`` (z→digit, z→quadrant,
w→quadrant, w→digit on the test split, averaged over views) and ``ov.tl.coherence`` (self, cross and
unconditional digit coherence judged by classifiers trained on the real training images).

Writes ``benchmarks/results/polymnist.json`` and ``benchmarks/results/polymnist.md``.

Usage::

    python benchmarks/polymnist.py                 # the CPU configuration recorded in the results
    python benchmarks/polymnist.py --quick --out /tmp/pm   # smoke test (seconds)
    python benchmarks/polymnist.py --gpu           # the paper's 64x64 scale on a GPU, < 9 min
    python benchmarks/polymnist.py --gpu --quick --out /tmp/pm   # the same path, tiny, on CPU
    python benchmarks/polymnist.py --add --variants "MMVAE+, Bernoulli pixels"   # one more row

``polymnist_20_epochs.{json,md}`` (tutorial 03's configuration and its ablations) come from
``--epochs 20 --variants`` with the three Bernoulli rows, written to a scratch ``--out`` and copied.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import torch

import omicvae as ov

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

# method.md §3, PolyMNIST-Quadrant column (λ1 80, λ2 20, β 2.5, z 32, w 128)
PRESET = "paper_polymnist"
BERNOULLI_PR = {"image_family": "bernoulli", "private_reconstruction_weight": 1.0}
MMVAE_LOSS = {"cross_mi_weight": 0.0, "gen_aug_weight": 0.0}
# every variant runs without the diffusion prior unless it says otherwise
VARIANTS = {
    name: {"diffusion_prior": False, **overrides}
    for name, overrides in {
        "IDMVAE": {},
        "MMVAE+": MMVAE_LOSS,
        "IDMVAE + diffusion prior": {"diffusion_prior": True},
        "IDMVAE λ1 = 0": {"cross_mi_weight": 0.0},
        "IDMVAE λ2 = 0": {"gen_aug_weight": 0.0},
        "IDMVAE + independence term": {"independence_weight": 30.0},
        # the configuration of tutorial 03: two changes beyond the paper that make the decoders draw
        "IDMVAE, Bernoulli pixels + private reconstruction": BERNOULLI_PR,
        # ... with the package's independence term as well (all three changes beyond the paper)
        "IDMVAE, Bernoulli + private reconstruction + independence 100": {
            **BERNOULLI_PR,
            "independence_weight": 100.0,
        },
        "IDMVAE λ1 = 0, Bernoulli + private reconstruction": {
            **BERNOULLI_PR,
            "cross_mi_weight": 0.0,
        },
        # the ablation at the same likelihood (MMVAE+ has no private-reconstruction term)
        "MMVAE+, Bernoulli pixels": {"image_family": "bernoulli", **MMVAE_LOSS},
    }.items()
}
PAPER_ROWS = {
    "IDMVAE": {"z_shared": 0.983, "z_private": 0.271, "w_private": 0.999, "w_shared": 0.162},
    "IDMVAE + diffusion prior": {
        "z_shared": 0.982,
        "z_private": 0.267,
        "w_private": 0.999,
        "w_shared": 0.143,
    },
    "MMVAE+": {"z_shared": 0.382, "z_private": 0.355, "w_private": 0.999, "w_shared": 0.341},
}
PROBES = ("z_shared", "z_private", "w_private", "w_shared")
PROBE_HEADER = ["model", "z→Digit ↑", "z→Quad ↓", "w→Quad ↑", "w→Digit ↓"]
PAPER_COHERENCE = {
    "IDMVAE": (0.898, 0.881, 0.070),
    "IDMVAE + diffusion prior": (0.942, 0.887, 0.664),
    "IDMVAE λ1 = 0": (0.101, 0.100, 0.000),
    "IDMVAE λ2 = 0": (0.670, 0.671, 0.008),
}


def parse_args():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--n-views", type=int, default=3)
    p.add_argument("--n-train", type=int, default=15_000)
    p.add_argument("--n-test", type=int, default=500)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--conv-channels", type=int, nargs="+", default=[16, 32, 64])
    p.add_argument(
        "--variants",
        nargs="+",
        default=None,
        choices=list(VARIANTS),
        help="default: IDMVAE, MMVAE+ and IDMVAE λ1 = 0 (IDMVAE and MMVAE+ with --gpu or --quick)",
    )
    p.add_argument("--n-unconditional", type=int, default=200)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--accelerator", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-minutes", type=float, default=None, help="training time limit per model")
    p.add_argument(
        "--gpu",
        action="store_true",
        help="the paper's scale within 9 minutes on one GPU: 5 views, 64x64, 15000 tuples, "
        "IDMVAE and MMVAE+ for at most 2.75 minutes of training each; writes polymnist_gpu.*",
    )
    p.add_argument(
        "--add",
        action="store_true",
        help="keep the rows already in the results file and add (or replace) the variants run now; "
        "the scale settings must match the file's",
    )
    p.add_argument("--quick", action="store_true", help="tiny smoke-test settings")
    p.add_argument("--out", type=Path, help="default: results/, a temp folder with --quick")
    args = p.parse_args()
    args.name = "polymnist"
    chosen, args.variants = args.variants, ["IDMVAE", "MMVAE+", "IDMVAE λ1 = 0"]
    if args.gpu:
        args.name = "polymnist_gpu"
        args.image_size, args.n_views, args.n_train, args.n_test = 64, 5, 15_000, 1_500
        args.epochs, args.max_minutes, args.threads = 100, 2.75, 8
        args.conv_channels, args.variants = [32, 64, 128, 256], ["IDMVAE", "MMVAE+"]
    args.out = C.output_folder(args.out, args.quick, args.name)
    if args.quick:
        args.n_views, args.n_train, args.n_test, args.epochs, args.threads = 2, 64, 32, 1, 1
        args.n_unconditional, args.variants = 16, ["IDMVAE", "MMVAE+"]
    args.variants = chosen or args.variants
    return args


def run_variant(name: str, mdata, train, args) -> dict:
    """Train one variant on the train split and score it on the test split."""
    settings = {**VARIANTS[name], "conv_channels": tuple(args.conv_channels)}
    if args.quick:
        settings.update(
            n_shared=4,
            n_private=4,
            diffusion_hidden=32,
            diffusion_steps=100,
            diffusion_sample_steps=10,
        )
    ov.IDMVAE.setup_mudata(train)
    model = ov.IDMVAE(train, preset=PRESET, seed=args.seed, **settings)
    start = time.perf_counter()
    limit = {} if args.max_minutes is None else {"max_time": {"minutes": args.max_minutes}}
    model.train(
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=5e-4,
        train_size=1.0,
        seed=args.seed,
        accelerator=args.accelerator,
        enable_progress_bar=False,
        **limit,
    )
    train_seconds = time.perf_counter() - start
    model.write_embeddings(mdata)
    probe_args = dict(
        shared_label="digit",
        private_labels={v: f"quadrant_{v}" for v in mdata.mod},
        split="split",
        random_state=args.seed,
    )
    probes = ov.tl.disentanglement(mdata, **probe_args)
    scaled = ov.tl.disentanglement(mdata, standardize=True, **probe_args).loc["mean"]
    coherence = ov.tl.coherence(
        model,
        mdata,
        shared_label="digit",
        n_unconditional=args.n_unconditional,
        split="split",
        random_state=args.seed,
    )
    mean = probes.loc["mean"]
    return {
        "settings": model.hyperparameters,  # tuples are written as JSON lists
        "train_seconds": train_seconds,
        "probes": {k: float(mean[k]) for k in (*PROBES, "chance_shared", "chance_private")},
        "probes_standardized": {k: float(scaled[k]) for k in PROBES},
        "probes_per_view": probes.drop(index="mean")[list(PROBES)].to_dict("index"),
        "coherence": {
            "self": float(coherence.self_coherence),
            "cross": float(coherence.cross_coherence),
            "unconditional": float(coherence.unconditional),
            "classifier_accuracy": {k: float(v) for k, v in coherence.classifier_accuracy.items()},
        },
        "final_loss": float(model.history["loss"]["train"].iloc[-1]),
        "epochs_trained": len(model.history["loss"]),
    }


def markdown(results: dict, meta: dict) -> str:
    probes, standardized, coherence = [], [], []
    for name, r in results.items():
        paper = PAPER_ROWS.get(name)
        ref = f"{paper['z_shared']:.3f} / {paper['w_shared']:.3f}" if paper else "–"
        time_cell = f"{r['train_seconds'] / 60:.1f} min ({r.get('epochs_trained', '?')})"
        probes.append([name, *_cells(r["probes"], PROBES), ref, time_cell])
        if r.get("probes_standardized"):
            standardized.append([name, *_cells(r["probes_standardized"], PROBES)])
        paper = PAPER_COHERENCE.get(name)
        ref = " / ".join(f"{v:.3f}" for v in paper) if paper else "–"
        coherence.append([name, *_cells(r["coherence"], ("self", "cross", "unconditional")), ref])
    first = next(iter(results.values()))
    chance, acc = first["probes"], first["coherence"]["classifier_accuracy"]
    runs = "; ".join(
        f"{name}: `{r['run']['command']}` at {r['run']['commit']} ({r['run']['date']})"
        for name, r in results.items()
        if "run" in r
    )
    s = meta["settings"]
    lines = [
        C.header_block("PolyMNIST-Quadrant (offline build)", meta),
        f"Scale: {s['n_views']} views, {s['image_size']}×{s['image_size']}, {s['n_train']} training / "
        f"{s['n_test']} test tuples, {s['epochs']} epochs, batch {s['batch_size']}, conv widths "
        f"{s['conv_channels']}, device {s['device']}; paper losses/weights (λ1 80, λ2 20, β 2.5, "
        "z 32, w 128).",
        "",
        "## Linear probes (test split, mean over views)",
        "",
        C.markdown_table([*PROBE_HEADER, "paper z→Digit / w→Digit", "train time (epochs)"], probes),
        "",
        f"Chance (majority class): digit {chance['chance_shared']:.3f}, quadrant {chance['chance_private']:.3f}.",
        "",
        f"Runs (rows kept with `--add` come from earlier runs at the same scale): {runs}.",
        "",
        "The same probes on standardised codes (`ov.tl.disentanglement(..., standardize=True)`: "
        "blind to the codes' scale, so a label carried by shrunken codes is not missed and "
        "leakage cannot hide in small dimensions):",
        "",
        C.markdown_table(PROBE_HEADER, standardized),
        "",
        "",
        "## Digit coherence",
        "",
        C.markdown_table(
            ["model", "self", "cross", "unconditional", "paper self / cross / uncond."], coherence
        ),
        "",
        "Digit classifiers' accuracy on real test images: "
        + ", ".join(f"{k} {v:.3f}" for k, v in acc.items())
        + ".",
    ]
    return "\n".join(lines) + "\n"


def _cells(scores: dict, keys) -> list[str]:
    return [f"{scores[k]:.3f}" for k in keys]


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    start = time.perf_counter()
    mdata = ov.datasets.polymnist_quadrant(
        n_views=args.n_views,
        image_size=args.image_size,
        n_tuples_train=args.n_train,
        n_tuples_test=args.n_test,
        seed=args.seed,
    )
    train = mdata[mdata.obs["split"] == "train"].copy()
    results = _existing_rows(args) if args.add else {}
    # taken before training: the checkout may move while a long run goes on
    run = {
        "command": C.run_meta(sys.argv, start)["command"],
        "commit": C.machine_info()["git_commit"][:10],
    }
    for name in args.variants:
        results[name] = rec = run_variant(name, mdata, train, args)
        rec["run"] = {**run, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
        print(f"{name}: probes {rec['probes']}, coherence {rec['coherence']}", flush=True)
        # after every variant, so an interrupted run keeps what it measured
        write(args, results, start)
    print(markdown(*_read(args.out, args.name)))


SCALE_KEYS = ("n_views", "image_size", "n_train", "n_test", "epochs", "batch_size", "seed")


def _scale(args) -> dict:
    """The settings rows must share to sit in one results file."""
    return {**{k: getattr(args, k) for k in SCALE_KEYS}, "conv_channels": list(args.conv_channels)}


def _existing_rows(args) -> dict:
    """The rows of the results file, after checking they were measured at this run's scale."""
    path = args.out / f"{args.name}.json"
    if not path.exists():
        return {}
    saved = json.loads(path.read_text())
    old = saved["meta"]["settings"]
    for key, value in _scale(args).items():
        if old[key] != value:
            raise SystemExit(
                f"--add: {path} was measured with {key}={old[key]}, this run uses "
                f"{value}; run without --add or with the same settings"
            )
    return saved["results"]


def _read(out: Path, name: str) -> tuple[dict, dict]:
    saved = json.loads((out / f"{name}.json").read_text())
    return saved["results"], saved["meta"]


def write(args, results: dict, start: float) -> None:
    """Write the JSON and markdown results for the variants finished so far."""
    meta = C.run_meta(sys.argv, start)
    meta["settings"] = {
        **_scale(args),
        "device": "cuda" if torch.cuda.is_available() and args.accelerator != "cpu" else "cpu",
        "quick": args.quick,
        "max_minutes_per_model": args.max_minutes,
    }
    C.write_json(args.out / f"{args.name}.json", {"meta": meta, "results": results})
    (args.out / f"{args.name}.md").write_text(markdown(results, meta))


if __name__ == "__main__":
    main()
