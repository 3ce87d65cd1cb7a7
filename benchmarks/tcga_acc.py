"""TCGA-ACC benchmark: C1A/C1B prediction, clustering agreement and survival of the clusters.

Protocol
--------
- Data: ``ov.datasets.tcga_acc()`` (92 patients; rna / mirna / cnv / protein / mutation with their
  real missingness), the likelihoods and layers recommended in ``mdata.uns["omicvae_dataset"]``
  (rna: normal on log1p, mirna: nb, cnv: normal, protein: normal, mutation: bernoulli).
- **Prediction** (the paper's protocol, as for BRCA): the 78 patients with a C1A/C1B label are split
  70 / 10 / 20 (stratified, seeds 0-4). The models are fit without labels on the training patients
  plus the 14 unlabelled patients (never on validation/test patients); the ``ov.tl.predict_labels``
  classifier is fit on the labelled training patients and scored on the test patients, averaging
  the probabilities of the modalities each patient has.
- **Clustering**: one model per seed fit on all 92 patients (unsupervised, no labels);
  ``ov.tl.cluster`` (leiden) on ``X_idmvae_shared``, agreement (ARI / NMI) with ``C1A.C1B`` and the
  other published subtype columns, and ``ov.tl.survival`` (log-rank across the clusters).
  Baselines: the same on MOFA+ factors fit on all patients.
- Package defaults: the BRCA-selected settings keep the package defaults' separate z and w encoder
  towers and loss weights (``independence_weight=100, private_reconstruction_weight=1``, chosen on
  the simulations of ``benchmarks/disentanglement.py``). The prediction part adds the same settings
  with the defaults before commit 061fc14 and the ``paper_tcga`` model preset.
- Label-free redundancy: ``ov.tl.redundancy`` of every prediction fit, on the embeddings of all 92
  patients (the fit's patients plus the split's validation and test patients embedded afterwards),
  mean over modalities, then mean ± std over splits.

Usage
-----
::

    python benchmarks/tcga_acc.py              # -> results/tcga_acc.{json,md}
    python benchmarks/tcga_acc.py --quick --out /tmp/x   # smoke test
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

from omicvae.datasets import TCGA_ACC_LABELS  # noqa: E402

LABEL = "C1A.C1B"
# the loader's subtype columns (Histology is not a molecular subtype)
SUBTYPES = tuple(c for c in TCGA_ACC_LABELS if c != "Histology")
MODS = ("rna", "mirna", "cnv", "protein", "mutation")
SEEDS = (0, 1, 2, 3, 4)
RESOLUTIONS = (0.5, 1.0)
CLUSTER_SEEDS = 3  # unsupervised fits on all patients per model, seeds 0..2
TRANSFORMS = {"mirna": np.log1p}  # of the raw and MOFA+ views (mirna holds counts)

# Configuration "std_wide_dh128", selected on BRCA validation (tcga_brca_search.json): ACC is too
# small (8 validation patients per split) for its own search. 92 patients fill one batch of 128, so
# the batch is smaller and the epochs more, to give a comparable number of updates.
TUNED_MODEL = {
    "standardize_inputs": True,
    "encoder_hidden": (256, 128),
    "decoder_hidden": (128, 256),
    "diffusion_hidden": 128,
}
TRAIN = {"max_epochs": 100, "batch_size": 64, "lr": 5e-4}
# The paper's exact TCGA row is on BRCA (tcga_brca.py): on ACC its 50 epochs at batch 128 would be
# 50 updates, so only its model preset (C.PAPER_MODEL) runs here, with ACC's likelihoods and schedule.


def run(args, t0):
    import omicvae as ov

    out = Path(args.out)
    full = ov.datasets.tcga_acc()
    rec = full.uns["omicvae_dataset"]  # the likelihoods and layers recommended with the data
    setup = {
        "modalities": list(MODS),
        "likelihoods": dict(rec["likelihoods"]),
        "layers": dict(rec.get("layers", {})),
    }
    train = dict(TRAIN, max_epochs=2) if args.quick else dict(TRAIN)
    seeds = SEEDS[:1] if args.quick else SEEDS[: args.n_splits]
    settings = {
        "tuned": {"model": dict(TUNED_MODEL), "train": train},
        "previous_defaults": {"model": {**TUNED_MODEL, **C.PREVIOUS_DEFAULTS}, "train": train},
        "paper": {"model": dict(C.PAPER_MODEL), "train": train},
        "mofa_factors": args.mofa_factors,
    }
    tuned = settings["tuned"]
    vae_rows = [
        ("IDMVAE + diffusion (BRCA-selected settings)", ov.IDMVAE, tuned, True),
        ("IDMVAE, no diffusion (BRCA-selected settings)", ov.IDMVAE, tuned, False),
        ("MMVAE+ (BRCA-selected settings)", ov.MMVAEPlus, tuned, None),
        (
            "IDMVAE + diffusion, previous defaults (BRCA-selected, independence_weight=0, "
            "separate_towers=False)",
            ov.IDMVAE,
            settings["previous_defaults"],
            True,
        ),
        ("IDMVAE + diffusion, paper_tcga model preset", ov.IDMVAE, settings["paper"], True),
    ]
    cl_rows = [vae_rows[0], vae_rows[2]]
    if args.quick:
        vae_rows = vae_rows[:1] + vae_rows[2:4]

    y = full.obs[LABEL]
    lab = y.notna().to_numpy()
    unlabelled = full.obs_names[~lab].to_numpy()
    splits = C.stratified_splits(
        full.obs_names[lab].to_numpy(), y[lab].astype(str).to_numpy(), seeds
    )
    rows: dict[str, dict] = {}
    n_mofa = None if args.no_mofa else args.mofa_factors
    for split in splits:
        fit_names = np.sort(np.concatenate([split["train"], unlabelled]))
        kwargs = {"label": LABEL, "mods": MODS, "fit_names": fit_names, "layers": setup["layers"]}
        C.score_vae_rows(full, split, vae_rows, rows, setup=setup, parts=("test",), **kwargs)
        C.score_baselines(
            full,
            split,
            rows,
            transforms=TRANSFORMS,
            n_mofa=n_mofa,
            kept_key="factors_kept",
            **kwargs,
        )
    C.add_summaries(rows)
    clustering = _clustering(full, setup, cl_rows, args)

    meta = C.run_meta(sys.argv, t0)
    payload = {
        **meta,
        "dataset": "ov.datasets.tcga_acc(): 92 patients, rna/mirna/cnv/protein/mutation with real "
        "missingness; label obs['C1A.C1B'] (43 C1A / 35 C1B / 14 unknown)",
        "protocol": _protocol(args, setup, seeds),
        "seeds": list(seeds),
        "settings": settings,
        "prediction": rows,
        "clustering": clustering,
    }
    C.write_json(out / "tcga_acc.json", payload)
    md = markdown(payload, meta)
    (out / "tcga_acc.md").write_text(md)
    print(md)


def _clustering(full, setup, cl_rows, args) -> dict:
    """Leiden clusters and survival of fits on all patients, per seed, with their summaries."""
    clustering: dict[str, dict] = {}
    all_names = full.obs_names.to_numpy()
    for s in SEEDS[: 1 if args.quick else args.cluster_seeds]:
        for label, cls, cfg, diff in cl_rows:
            C.fit_vae(cls, full, all_names, setup=setup, seed=s, diffusion=diff, **cfg)
            key = C.embedding_record(full, cls)["shared"]
            _cluster_record(full, clustering, label, key, s)
        if not args.no_mofa:
            C.write_mofa(
                full,
                MODS,
                all_names,
                args.mofa_factors,
                layers=setup["layers"],
                transforms=TRANSFORMS,
                key="X_mofa_all",
                seed=s,
            )
            _cluster_record(full, clustering, "MOFA+ factors", "X_mofa_all", s)
    for rec in clustering.values():
        for per in rec["per_resolution"].values():
            per["summary"] = _cluster_summary(per["runs"])
    return clustering


def _cluster_record(full, clustering, label, key, seed):
    import omicvae as ov

    rec = clustering.setdefault(label, {"key": key, "per_resolution": {}})
    for res in RESOLUTIONS:
        table = ov.tl.cluster(
            full,
            key=key,
            labels=list(SUBTYPES),
            resolution=res,
            key_added="bench_leiden",
            random_state=seed,
        )
        try:
            sv = ov.tl.survival(full, groupby="bench_leiden")
            surv = {
                "p_value": sv.p_value,
                "test_statistic": sv.test_statistic,
                "groups": sv.groups.reset_index().to_dict(orient="records"),
            }
        except ValueError:  # a single cluster
            surv = None
        per = rec["per_resolution"].setdefault(str(res), {"runs": []})
        per["runs"].append(
            {
                "seed": seed,
                "n_clusters": int(table["n_clusters"].iloc[0]),
                "agreement": {
                    col: {
                        "ari": float(table.loc[col, "ari"]),
                        "nmi": float(table.loc[col, "nmi"]),
                        "n_obs": int(table.loc[col, "n_obs"]),
                    }
                    for col in SUBTYPES
                },
                "survival": surv,
            }
        )


def _cluster_summary(runs: list[dict]) -> dict:
    """ARI / NMI (mean, std) per subtype column, log-rank p-values and cluster counts over seeds."""
    summary = {
        col: {m: C.mean_std([r["agreement"][col][m] for r in runs]) for m in ("ari", "nmi")}
        for col in SUBTYPES
    }
    ps = [r["survival"]["p_value"] for r in runs if r["survival"]]
    summary["logrank_p_median"] = float(np.median(ps)) if ps else None
    summary["logrank_p_below_0.05"] = f"{sum(p < 0.05 for p in ps)}/{len(ps)}"
    summary["n_clusters"] = [r["n_clusters"] for r in runs]
    return summary


def _protocol(args, setup, seeds) -> dict:
    """The protocol record of the results file."""
    return {
        "splits": f"labelled patients stratified on C1A.C1B; seeds {list(seeds)}; 70/10/20 "
        "(validation unused: no search on ACC)",
        "fitting": "VAEs and MOFA+ fit without labels on the training patients + the 14 "
        "unlabelled patients; test patients embedded afterwards",
        "classifier": "ov.tl.predict_labels, per-modality StandardScaler + LogisticRegression "
        "on z_m or [w_m, z_m], probabilities averaged over the modalities each "
        "patient has",
        "setup": setup,
        "baseline_inputs": "raw views (rna log1p, mirna log1p, others as stored); MOFA+ "
        "Gaussian on the same values",
        "clustering": "one unsupervised fit on all 92 patients per seed (seeds "
        f"0-{(1 if args.quick else args.cluster_seeds) - 1}); ov.tl.cluster "
        f"(leiden, 15 neighbours) at resolutions {list(RESOLUTIONS)}; "
        "ov.tl.survival log-rank across clusters",
        "defaults": C.defaults_protocol("BRCA-selected settings override"),
        "redundancy": "ov.tl.redundancy (5-fold ridge / kNN, 10 PCs of each other modality, "
        "the setup's layers) of each prediction fit on the embeddings of all 92 patients "
        "(the fit's patients plus the split's validation and test patients embedded "
        "afterwards); mean row = mean over the five modalities; tables give mean ± std "
        "over splits.",
    }


def markdown(payload, meta) -> str:
    """The report of a results payload (``meta``: its run record)."""
    cl_head = (
        ["embedding", "resolution", "clusters"]
        + [f"ARI / NMI {c}" for c in SUBTYPES]
        + ["log-rank p (median)", "p < 0.05"]
    )
    cl_body = []
    for label, rec in payload["clustering"].items():
        for res, per in rec["per_resolution"].items():
            sm = per["summary"]
            p_median = sm["logrank_p_median"]
            cl_body.append(
                [label, res, ",".join(map(str, sm["n_clusters"]))]
                + [f"{sm[c]['ari'][0]:.2f} / {sm[c]['nmi'][0]:.2f}" for c in SUBTYPES]
                + [f"{p_median:.3g}" if p_median is not None else "–", sm["logrank_p_below_0.05"]]
            )
    p = payload["protocol"]
    return "\n".join(
        [
            C.header_block(
                f"TCGA-ACC — C1A/C1B prediction over {len(payload['seeds'])} splits, "
                "clustering and survival",
                meta,
            ),
            f"Splits: {p['splits']}. Fitting: {p['fitting']}. Classifier: {p['classifier']}.",
            "",
            C.DEFAULTS_CHANGED + "the BRCA-selected rows (prediction and clustering) run with "
            "them. The prediction part adds the previous defaults and the paper_tcga model preset "
            "on the same splits.",
            "",
            "## C1A vs C1B, test patients (mean ± std over splits)",
            "",
            "Baseline rows have a single representation; their scores are listed under z+w.",
            "",
            C.prediction_table(payload["prediction"], ("accuracy", "f1_macro", "auroc")),
            "",
            C.redundancy_table(payload["prediction"], note=p["redundancy"]),
            f"## Leiden clusters of the shared embedding ({p['clustering']})",
            "",
            "ARI / NMI are means over the seeds; clusters lists the count per seed.",
            "",
            C.markdown_table(cl_head, cl_body),
            "",
            "Settings: `" + C.json.dumps(payload["settings"], default=C.json_default) + "`",
            "",
        ]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 split, 2 epochs (smoke test)")
    parser.add_argument("--no-mofa", action="store_true", help="skip the MOFA+ baselines")
    parser.add_argument("--mofa-factors", type=int, default=10)
    parser.add_argument(
        "--n-splits", type=int, default=len(SEEDS), help="prediction on the first N splits"
    )
    parser.add_argument(
        "--cluster-seeds", type=int, default=CLUSTER_SEEDS, help="clustering fits (seeds 0..N-1)"
    )
    parser.add_argument(
        "--out", help="results folder (default: results/, a temp folder with --quick)"
    )
    args = parser.parse_args(argv)
    args.out = str(C.output_folder(args.out, args.quick, "tcga_acc"))
    C.quiet_environment()
    t0 = time.perf_counter()
    run(args, t0)


if __name__ == "__main__":
    main()
