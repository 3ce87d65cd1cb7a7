"""Interpretation checked against truth: variance explained, feature attribution, differential analysis.

1. Simulator (``ov.datasets.simulate``, sparse loading: every feature is driven by the shared or by
   its modality's private factor only): the models' ``variance_explained`` against the oracle's
   (``uns["simulation"]["modalities"][m]["variance_explained"]``), the AUROC with which
   ``feature_attribution`` (``shared - private``) separates shared-driven from private-driven
   features (``var["driver"]``), and ``differential(source="shared")`` between shared classes S0
   and S1 against the true class means (``varm["shared_class_means"]``): observed FDR and power.
2. TCGA-BRCA (``ov.datasets.tcga_brca``): variance explained beside MOFA+'s (mofapy2 through
   ``muon.tl.mofa``, as tutorial 02 fits it; R^2 per view from its factors and loadings, split
   into factors active in two or more views and view-specific ones), the top shared- and
   private-driven mRNAs and miRNAs, the ranks of the PAM50 genes among the 200 mRNAs, and
   Basal vs LumA in the shared part.

Every model is trained with the package defaults (``max_epochs=None``) except
``diffusion_prior=False`` (speed; the decoders and encoders do not depend on the prior).

    python benchmarks/interpretation.py [--out benchmarks/results] [--quick]
    python benchmarks/interpretation.py --seed 1 --simulator-only --name interpretation_seed1
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

PAM50 = (
    "ACTR3B ANLN BAG1 BCL2 BIRC5 BLVRA CCNB1 CCNE1 CDC20 CDC6 CDH3 CENPF CEP55 CXXC5 EGFR ERBB2 "
    "ESR1 EXO1 FGFR4 FOXA1 FOXC1 GPR160 GRB7 KIF2C KRT14 KRT17 KRT5 MAPT MDM2 MELK MIA MKI67 MLPH "
    "MMP11 MYBL2 MYC NAT1 NDC80 NUF2 ORC6L ORC6 PGR PHGDH PTTG1 RRM2 SFRP1 SLC39A6 TMEM45B TYMS "
    "UBE2C UBE2T"
).split()
"""The PAM50 genes (Parker et al. 2009; ORC6L is now ORC6, both listed)."""
PARTS = ("joint", "shared", "private")

VARIANTS = {
    "IDMVAE (defaults)": ("IDMVAE", {}),
    "IDMVAE (paper_tcga)": ("IDMVAE", {"preset": "paper_tcga"}),
    # the defaults until 2026-12-01, without the term that makes the decoders read w (issue 13)
    "IDMVAE, no private reconstruction, independence 30": (
        "IDMVAE",
        {"private_reconstruction_weight": 0.0, "independence_weight": 30.0},
    ),
    # the shared-purity option: keeps each modality's private signal out of its z
    "IDMVAE, shared purity 100": ("IDMVAE", {"shared_purity_weight": 100.0}),
    "IDMVAE, shared purity 100, private reconstruction 2": (
        "IDMVAE",
        {"shared_purity_weight": 100.0, "private_reconstruction_weight": 2.0},
    ),
    "MMVAE+": ("MMVAEPlus", {}),
}


def train(ov, mdata, cls_name: str, kwargs: dict, quick: bool, seed: int = 0):
    """Fit ``ov.<cls_name>`` with the package's default epochs (5 with ``quick``); model, seconds."""
    cls = getattr(ov, cls_name)
    extra = {} if cls_name == "MMVAEPlus" else {"diffusion_prior": False}
    model = cls(mdata, **kwargs, **extra)
    t0 = time.perf_counter()
    model.train(max_epochs=5 if quick else None, enable_progress_bar=False, seed=seed)
    return model, time.perf_counter() - t0


def true_effect(sim, m: str, table: pd.DataFrame) -> pd.Series:
    """Whether each feature truly differs between S0 and S1 by more than the test's delta."""
    means = sim[m].varm["shared_class_means"].loc[table.index]
    if sim[m].uns["noise"] in ("nb", "poisson"):
        effect = np.log2(means["S0"] + 0.1) - np.log2(means["S1"] + 0.1)
    else:
        effect = means["S0"] - means["S1"]
    return effect.abs() > table["delta"]


def fdr_set(proba: np.ndarray, fdr: float) -> np.ndarray:
    """The largest set, by decreasing ``proba``, whose mean ``1 - proba`` is at most ``fdr``."""
    order = np.argsort(-proba, kind="stable")
    mean_miss = np.cumsum(1 - proba[order]) / np.arange(1, len(order) + 1)
    called = np.zeros(len(proba), bool)
    called[order[: int((mean_miss <= fdr).sum())]] = True
    return called


def oracle_differential(sim, m: str, delta: pd.Series, seed: int, n_draws: int = 2000):
    """The change-mode procedure of ``differential(source="shared")`` applied to the truth.

    Random S0 / S1 pairs of samples, each sample's true mean given its shared factor
    (``layers["shared_mean"]``) in place of a decoded posterior draw; effects, ``proba_de`` and
    the FDR set as the model computes them.
    """
    adata = sim[m]
    labels = sim.obs.loc[adata.obs_names, "shared_label"].to_numpy()
    means = np.asarray(adata.layers["shared_mean"], dtype=np.float64)
    values = np.log2(means + 0.1) if adata.uns["noise"] in ("nb", "poisson") else means
    rng = np.random.default_rng(seed)
    first = rng.choice(np.flatnonzero(labels == "S0"), n_draws)
    second = rng.choice(np.flatnonzero(labels == "S1"), n_draws)
    effect = values[first] - values[second]
    proba = (np.abs(effect) > delta.loc[adata.var_names].to_numpy()).mean(0)
    return pd.DataFrame(
        {"lfc": effect.mean(0), "proba_de": proba, "is_de_fdr": fdr_set(proba, 0.05)},
        index=adata.var_names,
    )


def de_scores(table: pd.DataFrame, real: pd.Series, delta: pd.Series) -> dict:
    """Calls, observed FDR and power of ``is_de_fdr``, alone and with ``|lfc| > delta`` too."""
    real = real.loc[table.index].to_numpy()
    called = table["is_de_fdr"].to_numpy()
    large = called & (table["lfc"].abs() > delta.loc[table.index]).to_numpy()

    def fdr(mask):
        return float((~real[mask]).mean()) if mask.any() else float("nan")

    def power(mask):
        return float(mask[real].mean()) if real.any() else float("nan")

    return {
        "n_true": int(real.sum()),
        "n_called": int(called.sum()),
        "observed_fdr": fdr(called),
        "power": power(called),
        "auroc_proba_de": float(roc_auc_score(real, table["proba_de"]))
        if 0 < real.sum() < len(real)
        else float("nan"),
        "n_called_lfc": int(large.sum()),
        "observed_fdr_lfc": fdr(large),
        "power_lfc": power(large),
    }


def simulator_part(ov, quick: bool, seed: int = 0) -> dict:
    """Every variant on the simulation of ``seed`` (also the training seed), scored against truth."""
    sim = ov.datasets.simulate(n_obs=600, n_features=60, loading="sparse", seed=seed)
    truth = {m: sim.uns["simulation"]["modalities"][m]["variance_explained"] for m in sim.mod}
    ov.IDMVAE.setup_mudata(sim)
    noise = {m: sim[m].uns["noise"] for m in sim.mod}
    out = {"seed": seed, "truth": truth, "noise": noise, "models": {}, "oracle_de": {}}
    for label, (cls_name, kwargs) in VARIANTS.items():
        model, seconds = train(ov, sim, cls_name, kwargs, quick, seed)
        t0 = time.perf_counter()
        ve = model.variance_explained()
        rec = {
            "train_seconds": seconds,
            "variance_explained": {},
            "auroc": {},
            "auroc_natural": {},
            "de": {},
        }
        for m in sim.mod:
            rec["variance_explained"][m] = {k: float(ve.loc[m, k]) for k in PARTS}
            fa = model.feature_attribution(m)
            shared_driven = (sim[m].var["driver"] == "shared").to_numpy()
            score = fa["shared"] - fa["private"]
            rec["auroc"][m] = float(roc_auc_score(shared_driven, score))
            # in the natural scale (library-normalised counts couple every feature to both
            # factors): the oracle's per-feature shares decide which factor drives a feature
            var = sim[m].var
            rec["auroc_natural"][m] = float(
                roc_auc_score((var["shared_r2"] > var["private_r2"]).to_numpy(), score)
            )
            de = model.differential("shared_label", "S0", "S1", modality=m, source="shared")
            rec["de"][m] = de_scores(de, true_effect(sim, m, de), de["delta"])
            if m not in out["oracle_de"]:  # the thresholds depend on the data only
                oracle = oracle_differential(sim, m, de["delta"], seed)
                out["oracle_de"][m] = de_scores(oracle, true_effect(sim, m, de), de["delta"])
        rec["interpret_seconds"] = time.perf_counter() - t0
        out["models"][label] = rec
        print(label, rec, flush=True)
    return out


def mofa_variance(mdata, mods, n_factors: int, quick: bool, seed: int = 0) -> dict:
    """MOFA+ R^2 per view (as tutorial 02 fits it): all factors, shared factors, view-specific ones."""
    import muon as mu

    with tempfile.TemporaryDirectory() as tmp:
        mu.tl.mofa(
            mdata,
            n_factors=n_factors,
            use_var=None,
            scale_views=True,
            n_iterations=5 if quick else 1000,
            convergence_mode="fast",
            seed=seed,
            outfile=str(Path(tmp) / "mofa.hdf5"),
            verbose=False,
            quiet=True,
        )
    z = np.asarray(mdata.obsm["X_mofa"], dtype=np.float64)
    loadings = np.asarray(mdata.varm["LFs"], dtype=np.float64)

    def r2(m, keep):
        """R² of view ``m`` (as MOFA+ was fit on it) from the factors ``keep``."""
        y, w = data[m]
        return float(1 - ((y - z[:, keep] @ w[:, keep].T) ** 2).sum() / (y**2).sum())

    data = {}
    for m in mods:
        position = np.asarray(mdata.varmap[m]).ravel()  # 1-based place in the view, 0: absent
        rows = np.flatnonzero(position > 0)
        # the data MOFA+ was fit on: features centred, the view divided by its overall SD
        y = np.asarray(mdata[m].X, dtype=np.float64)
        y = y - y.mean(0)
        data[m] = (y / y.std(), loadings[rows[np.argsort(position[rows])]])
    per_factor = {m: np.array([r2(m, [k]) for k in range(z.shape[1])]) for m in mods}
    shared = (np.vstack(list(per_factor.values())) >= 0.01).sum(0) >= 2
    out = {"factors": int(z.shape[1]), "shared_factors": int(shared.sum()), "views": {}}
    for m in mods:
        out["views"][m] = {
            "all": r2(m, np.ones(len(shared), bool)),
            "shared_factors": r2(m, shared),
            "specific_factors": r2(m, ~shared),
            "per_factor": per_factor[m].round(4).tolist(),
        }
    return out


def brca_part(ov, quick: bool) -> dict:
    mdata = ov.datasets.tcga_brca()
    mods = list(mdata.mod)
    ov.IDMVAE.setup_mudata(mdata)
    model, seconds = train(ov, mdata, "IDMVAE", {}, quick)
    t0 = time.perf_counter()
    ve = model.variance_explained()
    out = {
        "train_seconds": seconds,
        "variance_explained": {m: ve.loc[m, list(PARTS)].to_dict() for m in mods},
    }
    genes = pd.Index([g.split("_")[0] for g in mdata["rna"].var_names])
    out["pam50_in_rna"] = sorted(set(genes) & set(PAM50))
    for m in ("rna", "mirna"):
        fa = model.feature_attribution(m)
        # share score (which latent drives the feature) and amount (how much of the decoded
        # feature's variance the shared / private prediction carries, natural units)
        scores = {
            "share": fa["shared"] - fa["private"],
            "shared_variance": fa["shared"] * fa["variance"],
        }
        out[f"top_shared_{m}"] = _top10(scores["share"])
        out[f"top_private_{m}"] = _top10(scores["share"], ascending=True)
        out[f"top_shared_variance_{m}"] = _top10(scores["shared_variance"])
        out[f"top_private_variance_{m}"] = _top10(fa["private"] * fa["variance"])
        if m == "rna":
            pam = genes.isin(PAM50)
            out["pam50_expected_mean_rank"] = float((len(fa) + 1) / 2)
            for key in scores:
                ranks = scores[key].rank(ascending=False).to_numpy()
                out[f"pam50_ranks_{key}"] = sorted(int(r) for r in ranks[pam])
                out[f"pam50_mean_rank_{key}"] = float(ranks[pam].mean())
            out["rna_attribution"] = fa.round(4).to_dict(orient="index")
    de = model.differential("pam50", "Basal", "LumA", modality="rna", source="shared")
    called = de[de["is_de_fdr"]]
    out["basal_vs_luma"] = {
        "n_features": int(len(de)),
        "n_de": int(len(called)),
        "n_de_lfc": int((called["lfc"].abs() > called["delta"]).sum()),
        "n_pam50_de": int(pd.Index([g.split("_")[0] for g in called.index]).isin(PAM50).sum()),
        "top_up_in_basal": _top10(called["lfc"]),
        "top_down_in_basal": _top10(called["lfc"], ascending=True),
        "delta": "0.25 x observed SD per gene",
    }
    ig = model.encoder_attribution("rna", groupby="pam50", group="Basal")
    out["encoder_basal_top_rna"] = list(ig.index[:10])
    out["interpret_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out["mofa"] = mofa_variance(mdata, mods, 16, quick)
    out["mofa_seconds"] = time.perf_counter() - t0
    print({k: v for k, v in out.items() if k != "rna_attribution"}, flush=True)
    return out


def _top10(scores: pd.Series, ascending: bool = False) -> list:
    """Names of the ten highest scores (lowest with ``ascending``)."""
    return list(scores.sort_values(ascending=ascending).index[:10])


def _pair(v: dict) -> str:
    """``shared / private`` of a variance-explained record, two decimals."""
    return f"{v['shared']:.2f} / {v['private']:.2f}"


def markdown(result: dict, meta: dict) -> str:
    sim, brca = result["simulator"], result.get("brca")
    lines = [C.header_block("Interpretation checked against truth", meta)]
    lines += [
        "Models trained with the package defaults (epochs scaled to the data) and "
        "`diffusion_prior=False`. Simulator: `simulate(n_obs=600, n_features=60, "
        f"loading='sparse', seed={sim['seed']})` (m0 nb, m1 normal, m2 bernoulli; every feature driven by the "
        "shared or by the private factor only); the same seed trains the models. Truth: the "
        "oracle's variance explained (true mean function and factors, same definition).",
        "",
        "## Variance explained (simulator): model vs truth",
        "",
    ]
    rows = [
        [f"{m} ({sim['noise'][m]})", _pair(t)]
        + [_pair(rec["variance_explained"][m]) for rec in sim["models"].values()]
        for m, t in sim["truth"].items()
    ]
    lines.append(C.markdown_table(["modality", "truth shared / private", *sim["models"]], rows))
    lines += ["", "Largest |model − truth| over modalities and the two columns (goal ≤ 0.10):", ""]
    rows = []
    for label, rec in sim["models"].items():
        err = max(
            abs(rec["variance_explained"][m][k] - sim["truth"][m][k])
            for m in sim["truth"]
            for k in ("shared", "private")
        )
        joint = max(
            abs(rec["variance_explained"][m]["joint"] - sim["truth"][m]["joint"])
            for m in sim["truth"]
        )
        rows.append([label, f"{err:.2f}", "✓" if err <= 0.10 else "✗", f"{joint:.2f}"])
    lines.append(
        C.markdown_table(["model", "max error shared/private", "goal", "max error joint"], rows)
    )
    lines += [
        "",
        "## Feature attribution (AUROC shared- vs private-driven, goal ≥ 0.90)",
        "",
        "Score `shared - private` of `feature_attribution`. Truth: `var['driver']` (which factor "
        "the feature's predictor loads on); in brackets, the natural-scale truth (the oracle's "
        "`shared_r2 > private_r2`), which differs for counts: library normalisation makes every "
        "count feature depend on both factors.",
        "",
    ]
    rows = [
        [
            label,
            *[f"{rec['auroc'][m]:.3f} ({rec['auroc_natural'][m]:.3f})" for m in sim["truth"]],
        ]
        for label, rec in sim["models"].items()
    ]
    lines.append(C.markdown_table(["model", *sim["truth"]], rows))
    lines += [
        "",
        "## Differential analysis S0 vs S1, `source='shared'`, FDR target 0.05",
        "",
        "Truly different: |true effect| > delta (log2 fold change 0.25 for counts, 0.25 observed "
        "SD otherwise) between the true class means with the private factor marginalised. "
        "`is_de_fdr` alone is the change-mode call (random S0/S1 pairs differ by more than delta "
        "in most draws); the last three columns also ask the mean effect over the draws (`lfc`) to "
        "exceed delta. "
        "The oracle applies the same procedure to each sample's true mean given its shared factor "
        "(`layers['shared_mean']`): what the procedure calls with a perfect model.",
        "",
    ]

    def row(label, m, d):
        return [
            label,
            m,
            d["n_true"],
            d["n_called"],
            f"{d['observed_fdr']:.3f}",
            f"{d['power']:.2f}",
            f"{d['auroc_proba_de']:.3f}",
            d["n_called_lfc"],
            f"{d['observed_fdr_lfc']:.3f}",
            f"{d['power_lfc']:.2f}",
        ]

    rows = [row("oracle (true means)", m, d) for m, d in sim["oracle_de"].items()]
    rows += [row(label, m, d) for label, rec in sim["models"].items() for m, d in rec["de"].items()]
    head = ["model", "modality", "truly different", "called", "observed FDR", "power", "AUROC"]
    lines.append(
        C.markdown_table([*head, "called, mean effect > δ", "observed FDR", "power"], rows)
    )
    if brca is None:
        return "\n".join([*lines, ""])
    lines += ["", "## TCGA-BRCA (769 patients; IDMVAE defaults, no diffusion prior)", ""]
    mofa = brca["mofa"]
    rows = [
        [m, *(f"{v[k]:.2f}" for k in PARTS)]
        + [f"{mofa['views'][m][k]:.2f}" for k in ("all", "shared_factors", "specific_factors")]
        for m, v in brca["variance_explained"].items()
    ]
    lines.append(
        C.markdown_table(
            [
                "omics",
                "IDMVAE joint",
                "IDMVAE shared",
                "IDMVAE private",
                "MOFA+ all factors",
                "MOFA+ factors in ≥2 views",
                "MOFA+ view-specific factors",
            ],
            rows,
        )
    )
    lines += [
        "",
        f"MOFA+: {mofa['factors']} factors, {mofa['shared_factors']} explain ≥ 1% of the variance "
        "of two or more views (R² of the centred data, MOFA+'s definition).",
        "",
        "Feature attribution on the mRNAs (200) and miRNAs (100), two rankings: by share "
        "(`shared - private`: which code drives the feature) and by amount (`shared * variance`: "
        "variance of the decoded feature carried by the shared prediction, natural units).",
        "",
        f"- Top mRNAs by shared share: {', '.join(brca['top_shared_rna'])}; by private share: "
        f"{', '.join(brca['top_private_rna'])}",
        f"- Top mRNAs by shared amount: {', '.join(brca['top_shared_variance_rna'])}; by "
        f"private amount: {', '.join(brca['top_private_variance_rna'])}",
        f"- Top miRNAs by shared share: {', '.join(brca['top_shared_mirna'])}; by private share: "
        f"{', '.join(brca['top_private_mirna'])}",
        f"- Top miRNAs by shared amount: {', '.join(brca['top_shared_variance_mirna'])}; by "
        f"private amount: {', '.join(brca['top_private_variance_mirna'])}",
        f"- PAM50 genes among the 200 mRNAs: {len(brca['pam50_in_rna'])} "
        f"({', '.join(brca['pam50_in_rna'])}); their ranks (1 = most shared) by share "
        f"{brca['pam50_ranks_share']} (mean {brca['pam50_mean_rank_share']:.1f}), by amount "
        f"{brca['pam50_ranks_shared_variance']} (mean "
        f"{brca['pam50_mean_rank_shared_variance']:.1f}); {brca['pam50_expected_mean_rank']:.1f} "
        "at random",
        f"- Basal vs LumA, shared part (`differential(..., source='shared')`): "
        f"{brca['basal_vs_luma']['n_de']} of {brca['basal_vs_luma']['n_features']} mRNAs at "
        f"posterior FDR 0.05 ({brca['basal_vs_luma']['n_pam50_de']} PAM50; "
        f"{brca['basal_vs_luma']['n_de_lfc']} with |lfc| above the gene's delta too); up in Basal: "
        f"{', '.join(brca['basal_vs_luma']['top_up_in_basal'])}; down: "
        f"{', '.join(brca['basal_vs_luma']['top_down_in_basal'])}",
        f"- Encoder integrated gradients towards the Basal centroid (rna encoder's z): "
        f"{', '.join(brca['encoder_basal_top_rna'])}",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="default: results/, a temp folder with --quick")
    parser.add_argument("--quick", action="store_true", help="5 epochs, 5 MOFA+ iterations (smoke)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the simulation and of training (default 0)"
    )
    parser.add_argument(
        "--simulator-only", action="store_true", help="skip the TCGA-BRCA part (seed checks)"
    )
    parser.add_argument("--name", default="interpretation", help="stem of the result files")
    args = parser.parse_args(argv)
    args.out = C.output_folder(args.out, args.quick, "interpretation")
    t_start = time.perf_counter()
    C.quiet_environment()
    import omicvae as ov

    result = {"simulator": simulator_part(ov, args.quick, args.seed)}
    if not args.simulator_only:
        result["brca"] = brca_part(ov, args.quick)
    meta = C.run_meta(
        sys.argv if argv is None else ["benchmarks/interpretation.py", *argv], t_start
    )
    result["meta"] = meta
    C.write_json(args.out / f"{args.name}.json", result)
    (args.out / f"{args.name}.md").write_text(markdown(result, meta))


if __name__ == "__main__":
    main()
