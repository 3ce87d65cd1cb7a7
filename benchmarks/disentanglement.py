"""Disentanglement on simulated data: linear probes of z and w for IDMVAE and its ablations.

Protocol
--------
- Data: ``ov.datasets.simulate`` (one shared class, one private class per modality; see its
  docstring), one data set per (scenario, seed) with ``seed`` as the simulator's seed. Scenarios
  (:data:`SCENARIOS`) vary the likelihoods, the strength of the shared signal, the decoder, the
  number of modalities and the missingness. ``ov.IDMVAE.setup_mudata(mdata)`` infers the
  likelihoods from the values (so Poisson counts get ``nb`` and Laplace noise gets ``normal``).
- Models: ``ov.IDMVAE(mdata, seed=seed, **overrides)`` for every variant of :data:`VARIANTS`,
  trained unsupervised on all samples with ``model.train(max_epochs, batch_size=128, seed=seed)``.
- Score: ``ov.tl.disentanglement`` (method.md §4: logistic-regression probes on the posterior means,
  random 70/30 split drawn with ``seed``): z→shared ↑, z→private ↓, w→private ↑, w→shared ↓,
  averaged over modalities, plus w→shared per modality, and the label-free ``"mean"`` row of
  ``ov.tl.redundancy``.
- Report: mean ± std over seeds per scenario and variant, against the goal
  "w→shared within 0.10 of chance for every likelihood, w→private ≥ MMVAE+, z→shared ≥ 0.95".

Adding a variant is one line in :data:`VARIANTS` (any ``ov.IDMVAE`` keyword arguments).

Usage
-----
::

    python benchmarks/disentanglement.py            # full run -> results/disentanglement.{json,md}
    python benchmarks/disentanglement.py --quick    # < 1 min smoke run, written to a temp folder
    python benchmarks/disentanglement.py --scenarios "weak shared" --variants MMVAE+ "λ1 = 0" \
        --seeds 0 1 --out /tmp/dis   # a subset (names as in SCENARIOS / VARIANTS, see --help)
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

# simulate() keyword arguments on top of COMMON_DATA (n_obs and seed are set per run)
SCENARIOS: dict[str, dict] = {
    "nb+normal+bernoulli": {},
    "weak shared": {"shared_strength": 0.5},
    "nonlinear decoder": {"decoder": "nonlinear"},
    "5 modalities": {"noise": ("nb", "normal", "bernoulli", "poisson", "laplace")},
    "missing 30%": {"missing_fraction": 0.3},
    # classes barely overlap: the true factors probe at about 0.99, so z→shared ≥ 0.95 is reachable
    "well separated": {"separation": 3.0},
}
COMMON_DATA: dict = {"n_features": 60}

# ov.IDMVAE keyword overrides, one line per variant
VARIANTS: dict[str, dict] = {
    "IDMVAE (defaults)": {},
    "paper_tcga preset": {"preset": "paper_tcga"},
    "MMVAE+": C.MMVAE_PLUS,
    "λ1 = 0": {"cross_mi_weight": 0.0},
    "λ2 = 0": {"gen_aug_weight": 0.0},
    "no independence term, shared trunk (defaults before)": dict(C.PREVIOUS_DEFAULTS),
    "independence term, shared trunk": {"separate_towers": False},
    "separate towers, no independence term": {"independence_weight": 0.0},
    "independence 10, no private reconstruction (defaults until 2026-12-01)": {
        "independence_weight": 10.0,
        "private_reconstruction_weight": 0.0,
    },
    "independence 30, no private reconstruction": {
        "independence_weight": 30.0,
        "private_reconstruction_weight": 0.0,
    },
    "private reconstruction 1, independence 30": {
        "private_reconstruction_weight": 1.0,
        "independence_weight": 30.0,
    },
    "private reconstruction 0.3, independence 30": {
        "private_reconstruction_weight": 0.3,
        "independence_weight": 30.0,
    },
    "shared purity 100": {"shared_purity_weight": 100.0},
    "shared purity 300": {"shared_purity_weight": 300.0},
    "shared purity 100, private reconstruction 2": {
        "shared_purity_weight": 100.0,
        "private_reconstruction_weight": 2.0,
    },
    "private reconstruction 3, independence 30": {
        "private_reconstruction_weight": 3.0,
        "independence_weight": 30.0,
    },
}
BASELINE = "MMVAE+"  # the variant w→private is compared with

# Full mode: one model trains in about 10-45 s with 1 thread on the 2-core benchmark machine
# (IDMVAE defaults ~24 s, paper_tcga preset ~43 s, MMVAE+ ~10 s); 1000 samples leave 300 for the
# probes' test split.
FULL = {"n_obs": 1000, "epochs": 100, "seeds": (0, 1, 2)}
QUICK = {
    "n_obs": 300,
    "epochs": 10,
    "seeds": (0,),
    "scenarios": ("nb+normal+bernoulli",),
    "variants": ("IDMVAE (defaults)", "MMVAE+"),
}
BATCH_SIZE = 128

PROBES = ("z_shared", "z_private", "w_private", "w_shared", "chance_shared", "chance_private")
CEILINGS = ("shared", "private", "shared_joint", "shared_true", "private_true")
GOAL_W_SHARED_MARGIN = 0.10
GOAL_Z_SHARED = 0.95
GOAL = (
    f"w→shared within {GOAL_W_SHARED_MARGIN:.2f} of chance for every likelihood, "
    f"w→private ≥ {BASELINE}, z→shared ≥ {GOAL_Z_SHARED:.2f}"
)


def simulate_scenario(name: str, n_obs: int, seed: int):
    """The simulated MuData of one scenario and seed.

    Parameters
    ----------
    name
        Key of :data:`SCENARIOS`.
    n_obs
        Number of samples.
    seed
        Simulator seed.

    Returns
    -------
    mudata.MuData
        Output of ``ov.datasets.simulate``.
    """
    import omicvae as ov

    return ov.datasets.simulate(n_obs=n_obs, seed=seed, **{**COMMON_DATA, **SCENARIOS[name]})


def run_one(mdata, overrides: dict, seed: int, epochs: int) -> dict:
    """Train one IDMVAE variant on ``mdata`` and probe its posterior means.

    Parameters
    ----------
    mdata
        Simulated data; the model's embeddings are written into its ``obsm``.
    overrides
        ``ov.IDMVAE`` keyword arguments of the variant.
    seed
        Seed of the model, of training and of the probes' train/test split.
    epochs
        ``max_epochs`` of training.

    Returns
    -------
    dict
        ``mean`` (the probe table's mean row), ``per_modality`` (each modality's probes, its noise
        model and ``w_shared_minus_chance``), ``w_shared_minus_chance_worst``, ``standardized``
        (the same with ``standardize=True``), ``redundancy`` (mean row of ``ov.tl.redundancy``) and
        the seconds spent training, probing and measuring redundancy.
    """
    import omicvae as ov

    ov.IDMVAE.setup_mudata(mdata)
    t0 = time.perf_counter()
    model = ov.IDMVAE(mdata, seed=seed, **overrides)
    model.train(max_epochs=epochs, batch_size=BATCH_SIZE, seed=seed, enable_progress_bar=False)
    train_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    table = _disentanglement(mdata, seed)
    scaled = _disentanglement(mdata, seed, standardize=True)
    probe_s = time.perf_counter() - t0
    per_mod = {}
    for m in mdata.mod:
        row = {k: float(table.loc[m, k]) for k in PROBES}
        row["w_shared_minus_chance"] = row["w_shared"] - row["chance_shared"]
        row["noise"] = str(mdata[m].uns["noise"])
        per_mod[m] = row
    t0 = time.perf_counter()
    redundancy = C.numeric_items(ov.tl.redundancy(mdata).loc["mean"])
    redundancy_s = time.perf_counter() - t0
    return {
        "mean": {k: float(table.loc["mean", k]) for k in PROBES},
        "per_modality": per_mod,
        "w_shared_minus_chance_worst": max(r["w_shared_minus_chance"] for r in per_mod.values()),
        "standardized": {
            **{k: float(scaled.loc["mean", k]) for k in PROBES},
            "w_shared_minus_chance_worst": max(
                float(scaled.loc[m, "w_shared"] - scaled.loc[m, "chance_shared"]) for m in mdata.mod
            ),
        },
        "redundancy": redundancy,
        "train_seconds": train_s,
        "probe_seconds": probe_s,
        "redundancy_seconds": redundancy_s,
    }


def raw_ceiling(mdata, seed: int) -> dict:
    """What each modality's own features, and the true factors, tell the probes.

    The features (log-normalised for counts, as-is otherwise) are put where the probes read codes,
    so ``ov.tl.disentanglement`` scores them exactly as it scores z and w: its ``z_shared`` column
    is then raw→shared and ``w_private`` raw→private. A code cannot beat these by much, so they
    say how far each probe's goal is reachable on the scenario.

    ``shared_joint`` puts all modalities' features side by side (a missing modality's block is
    filled with its feature means) where the probe reads z: what a code that pools every modality,
    as z does, can be expected to reach on the scenario.

    ``shared_true`` and ``private_true`` probe the simulator's true factors
    (``obsm["shared_factor"]``, each modality's ``obsm["private_factor"]``) on the samples that
    have the modality: the classes overlap, so this is the most a code can be expected to reach.

    Returns
    -------
    dict
        ``shared``, ``private`` (means over modalities), ``shared_joint``, ``shared_true``,
        ``private_true``.
    """
    raw, blocks, shared_true, private_true = {}, [], {}, {}
    for m in mdata.mod:
        x = np.asarray(mdata[m].X, dtype=float)
        if mdata[m].uns["noise"] in ("nb", "poisson"):
            x = np.log1p(x / x.sum(1, keepdims=True).clip(min=1) * 1e4)
        raw[m] = _full_rows(mdata, m, x)
        blocks.append(np.where(np.isnan(raw[m]), np.nanmean(raw[m], axis=0), raw[m]))
        present = ~np.isnan(raw[m][:, 0])
        shared_true[m] = np.where(present[:, None], mdata.obsm["shared_factor"], np.nan)
        private_true[m] = _full_rows(mdata, m, mdata[m].obsm["private_factor"])
    joint = np.hstack(blocks)
    own = _probe(mdata, raw, raw, seed)
    pooled = _probe(mdata, {m: joint for m in mdata.mod}, raw, seed)
    truth = _probe(mdata, shared_true, private_true, seed)
    return {
        "shared": float(own.loc["mean", "z_shared"]),
        "private": float(own.loc["mean", "w_private"]),
        "shared_joint": float(pooled.loc["mean", "z_shared"]),
        "shared_true": float(truth.loc["mean", "z_shared"]),
        "private_true": float(truth.loc["mean", "w_private"]),
    }


def _full_rows(mdata, m: str, values: np.ndarray) -> np.ndarray:
    """Rows of modality ``m`` placed at its samples' positions in ``mdata``; NaN elsewhere."""
    full = np.full((mdata.n_obs, values.shape[1]), np.nan)
    full[mdata.obs_names.get_indexer(mdata[m].obs_names)] = values
    return full


def _probe(mdata, shared: dict, private: dict, seed: int) -> pd.DataFrame:
    """``ov.tl.disentanglement`` of arrays put where it reads each modality's z and w."""
    probe = mdata.copy()
    for m in mdata.mod:
        probe.obsm[f"probe_z_{m}"] = shared[m]
        probe.obsm[f"probe_w_{m}"] = private[m]
    return _disentanglement(probe, seed, shared_prefix="probe_z_", private_prefix="probe_w_")


def _disentanglement(mdata, seed: int, **kwargs) -> pd.DataFrame:
    """``ov.tl.disentanglement`` against the simulator's shared and private labels."""
    import omicvae as ov

    private = {m: f"private_label_{m}" for m in mdata.mod}
    return ov.tl.disentanglement(
        mdata, shared_label="shared_label", private_labels=private, random_state=seed, **kwargs
    )


def summarise(runs: list[dict], ceilings: dict | None = None) -> dict:
    """Mean and sample std over seeds, per scenario and variant.

    Parameters
    ----------
    runs
        Records of :func:`run_one` with ``scenario``, ``variant`` and ``seed`` added.
    ceilings
        ``{scenario: [ceiling of each seed]}`` (:func:`raw_ceiling` with ``seed`` added); with
        them the summary gains ``z_shared_minus_true``, z→shared minus the true factor's probe
        of the same seed.

    Returns
    -------
    dict
        ``{scenario: {variant: {metric: [mean, std]}}}`` for the mean probes,
        ``w_shared_minus_chance_worst``, each modality's ``w_shared`` and
        ``w_shared_minus_chance`` (as ``"w_shared_minus_chance[m]"``), the redundancy columns
        (``"redundancy.<column>"``), ``train_seconds`` and, given ``ceilings``,
        ``z_shared_minus_true``.
    """
    truth = {
        (scenario, c["seed"]): c.get("shared_true")
        for scenario, cs in (ceilings or {}).items()
        for c in cs
    }
    out: dict[str, dict] = {}
    for scenario in dict.fromkeys(r["scenario"] for r in runs):
        for variant in dict.fromkeys(r["variant"] for r in runs if r["scenario"] == scenario):
            group = [r for r in runs if r["scenario"] == scenario and r["variant"] == variant]
            s = {k: C.mean_std(r["mean"][k] for r in group) for k in PROBES}
            for key in ("w_shared_minus_chance_worst", "train_seconds"):
                s[key] = C.mean_std(r[key] for r in group)
            true = [truth.get((scenario, r["seed"])) for r in group]
            if true and all(t is not None for t in true):
                s["z_shared_minus_true"] = C.mean_std(
                    r["mean"]["z_shared"] - t for r, t in zip(group, true, strict=True)
                )
            for m in group[0]["per_modality"]:
                for key in ("w_shared", "w_shared_minus_chance"):
                    s[f"{key}[{m}]"] = C.mean_std(r["per_modality"][m][key] for r in group)
            if all("standardized" in r for r in group):
                for k in (*PROBES, "w_shared_minus_chance_worst"):
                    s[f"standardized.{k}"] = C.mean_std(r["standardized"][k] for r in group)
            columns = dict.fromkeys(k for r in group for k in (r["redundancy"] or {}))
            for col in columns:
                s[f"redundancy.{col}"] = C.mean_std((r["redundancy"] or {}).get(col) for r in group)
            s["n_seeds"] = len(group)
            out.setdefault(scenario, {})[variant] = s
    return out


def goal_check(summary: dict, baseline: str = BASELINE) -> dict:
    """Which parts of the goal each variant meets, on the means over seeds.

    Parameters
    ----------
    summary
        Output of :func:`summarise`.
    baseline
        Variant whose w→private the others must match.

    Returns
    -------
    dict
        ``{scenario: {variant: {"w_shared": bool, "w_private": bool | None, "z_shared": bool,
        "all": bool}}}``; ``w_private`` is None when the baseline was not run.
    """
    out: dict[str, dict] = {}
    for scenario, variants in summary.items():
        ref = variants.get(baseline, {}).get("w_private", [None])[0]
        for variant, s in variants.items():
            checks = {
                "w_shared": bool(s["w_shared_minus_chance_worst"][0] <= GOAL_W_SHARED_MARGIN),
                "w_private": None if ref is None else bool(s["w_private"][0] >= ref),
                "z_shared": bool(s["z_shared"][0] >= GOAL_Z_SHARED),
            }
            checks["all"] = all(v is not False for v in checks.values())
            out.setdefault(scenario, {})[variant] = checks
    return out


def markdown(payload: dict, meta: dict) -> str:
    """The report: one probe table per scenario (and a redundancy table when measured).

    Parameters
    ----------
    payload
        The JSON payload written by :func:`run`.
    meta
        ``_common.run_meta`` of the run.

    Returns
    -------
    str
        GitHub markdown.
    """
    st = payload["settings"]
    lines = [
        C.header_block("Disentanglement on simulated data (linear probes)", meta),
        f"{st['n_obs']} samples, {st['epochs']} epochs at batch {st['batch_size']}, seeds "
        f"{st['seeds']} (mean ± std over seeds); probes: `ov.tl.disentanglement`, mean over "
        "modalities. Goal: " + GOAL + ".",
        "",
    ]
    for scenario, variants in payload["summary"].items():
        any_s = next(iter(variants.values()))
        noise = payload["scenarios"][scenario]["simulate_kwargs"]["noise"]
        per_modality = {
            f"m{i} ({kind})": f"w_shared_minus_chance[m{i}]" for i, kind in enumerate(noise)
        }
        # as read back from the JSON (lists, not tuples), so a report rebuilt from it is the same
        overrides = json.loads(json.dumps(payload["scenarios"][scenario]["overrides"]))
        lines += [
            f"## {scenario}",
            "",
            f"Simulator overrides: `{overrides}`. Chance: "
            f"shared {any_s['chance_shared'][0]:.3f}, private {any_s['chance_private'][0]:.3f}. "
            "Ceiling, the same probes on each modality's raw features: shared "
            f"{C.fmt(payload['raw_ceiling'][scenario]['shared'])}, private "
            f"{C.fmt(payload['raw_ceiling'][scenario]['private'])}"
            + _joint_ceiling_text(payload["raw_ceiling"][scenario])
            + ".",
            "",
            _variant_table(variants, MAIN_COLUMNS, payload["goal"][scenario]),
            "",
            "Goal column: w→shared / w→private / z→shared part of the goal met (✓) or not (✗), "
            "on the means over seeds (the worst modality is taken per seed, then averaged). "
            "z→shared − true factor: the same probe's gap to the simulator's true shared factor, "
            "per seed, then averaged (0 is all a code can do).",
            "",
            "w→shared − chance per modality (noise model), ↓:",
            "",
            _variant_table(variants, per_modality),
            "",
        ]
        if "standardized.z_shared" in any_s:
            lines += [
                "The same probes on standardised codes (`standardize=True`, blind to the codes' "
                "scale, so leakage cannot hide in shrunken dimensions):",
                "",
                _variant_table(variants, STANDARDIZED_COLUMNS),
                "",
            ]
        red_cols = [k for k in any_s if k.startswith("redundancy.")]
        if red_cols:
            shown = [k for k in red_cols if not k.endswith("_knn")][:6]
            lines += [
                "`ov.tl.redundancy` mean row (label-free; near 0 is good):",
                "",
                _variant_table(variants, {k.removeprefix("redundancy."): k for k in shown}),
                "",
            ]
    lines += ["Variants: `" + json.dumps(payload["variants"], ensure_ascii=False) + "`", ""]
    return "\n".join(lines)


MAIN_COLUMNS = {
    "z→shared ↑": "z_shared",
    "z→shared − true factor ↑": "z_shared_minus_true",
    "z→private ↓": "z_private",
    "w→private ↑": "w_private",
    "w→shared ↓": "w_shared",
    "w→shared − chance, worst modality ↓": "w_shared_minus_chance_worst",
}
STANDARDIZED_COLUMNS = {
    "z→shared ↑": "standardized.z_shared",
    "w→private ↑": "standardized.w_private",
    "w→shared ↓": "standardized.w_shared",
    "worst w→shared − chance ↓": "standardized.w_shared_minus_chance_worst",
}


def _variant_table(variants: dict, columns: dict, goal: dict | None = None) -> str:
    """One row per variant: ``{header: summary key}`` columns (``–`` where absent), the goal marks."""
    head = ["variant", *columns] + (["goal"] if goal else [])
    body = [
        [v, *(C.fmt(s.get(k)) for k in columns.values())] + ([_marks(goal[v])] if goal else [])
        for v, s in variants.items()
    ]
    return C.markdown_table(head, body)


def _marks(goal: dict) -> str:
    """The goal column: each part met (✓), missed (✗) or not measurable (–)."""
    marks = {True: "✓", False: "✗", None: "–"}
    return "".join(marks[goal[k]] for k in ("w_shared", "w_private", "z_shared"))


def run(args, t_start: float) -> dict:
    """Run every (scenario, seed, variant), write the JSON and markdown reports.

    Parameters
    ----------
    args
        Parsed command line (see :func:`main`).
    t_start
        ``time.perf_counter()`` at start, for the wall time.

    Returns
    -------
    dict
        The JSON payload.
    """
    out = Path(args.out)
    runs, ceilings = [], _ceilings(args.scenarios, args.seeds, args.n_obs)
    for scenario, seed, variant in itertools.product(args.scenarios, args.seeds, args.variants):
        mdata = simulate_scenario(scenario, args.n_obs, seed)
        rec = run_one(mdata, VARIANTS[variant], seed, args.epochs)
        runs.append({"scenario": scenario, "seed": seed, "variant": variant, **rec})
        m = rec["mean"]
        print(
            f"[{scenario} | seed {seed} | {variant}] z→shared {m['z_shared']:.3f} "
            f"z→private {m['z_private']:.3f} w→private {m['w_private']:.3f} "
            f"w→shared {m['w_shared']:.3f} (worst −chance "
            f"{rec['w_shared_minus_chance_worst']:+.3f}); train {rec['train_seconds']:.1f} s",
            flush=True,
        )
    summary = summarise(runs, ceilings)
    meta = C.run_meta(sys.argv, t_start)
    payload = {
        **meta,
        "goal": goal_check(summary),
        "goal_text": GOAL,
        "settings": {
            "n_obs": args.n_obs,
            "epochs": args.epochs,
            "batch_size": BATCH_SIZE,
            "seeds": list(args.seeds),
            "torch_threads": args.threads,
            "quick": args.quick,
            "common_data": COMMON_DATA,
            "redundancy_measured": True,
        },
        "scenarios": {
            s: {
                "overrides": SCENARIOS[s],
                "simulate_kwargs": {**_simulator_defaults(), **COMMON_DATA, **SCENARIOS[s]},
            }
            for s in args.scenarios
        },
        "variants": {v: VARIANTS[v] for v in args.variants},
        "summary": summary,
        "raw_ceiling": _ceiling_summary(ceilings),
        "ceilings_by_seed": ceilings,
        "runs": runs,
    }
    C.write_json(out / f"{args.name}.json", payload)
    md = markdown(payload, meta)
    (out / f"{args.name}.md").write_text(md)
    print(md)
    print(f"written to {out}/{args.name}.{{json,md}}")
    return payload


def _ceilings(scenarios, seeds, n_obs: int) -> dict:
    """``{scenario: [raw_ceiling of each seed, with its "seed"]}``."""
    out: dict[str, list] = {}
    for scenario, seed in itertools.product(scenarios, seeds):
        mdata = simulate_scenario(scenario, n_obs, seed)
        out.setdefault(scenario, []).append({"seed": seed, **raw_ceiling(mdata, seed)})
    return out


def _ceiling_summary(ceilings: dict) -> dict:
    """Mean and std over seeds of each ceiling, per scenario."""
    return {s: {k: C.mean_std(c[k] for c in cs) for k in CEILINGS} for s, cs in ceilings.items()}


def _joint_ceiling_text(ceiling: dict) -> str:
    text = ""
    if "shared_joint" in ceiling:  # absent in runs before the joint ceiling was measured
        text += (
            "; shared from all modalities' raw features side by side (what a pooled code can "
            "reach) " + C.fmt(ceiling["shared_joint"])
        )
    if "shared_true" in ceiling:
        text += (
            ". **True factors** (the simulator's latent factors, the most a code can reach): "
            f"shared {C.fmt(ceiling['shared_true'])}, private {C.fmt(ceiling['private_true'])}"
        )
    return text


def _simulator_defaults() -> dict:
    """Keyword defaults of ``ov.datasets.simulate`` (recorded with each scenario)."""
    import inspect

    import omicvae as ov

    params = inspect.signature(ov.datasets.simulate).parameters
    return {k: p.default for k, p in params.items() if k not in ("n_obs", "seed")}


def main(argv=None):
    """Command line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK['n_obs']} samples, {QUICK['epochs']} epochs, one scenario, "
        "seed 0, IDMVAE (defaults) and MMVAE+; written to a temp folder unless --out",
    )
    parser.add_argument("--out", help="results folder (default: benchmarks/results)")
    parser.add_argument("--seeds", type=int, nargs="+", help="default 0 1 2")
    parser.add_argument("--epochs", type=int, help=f"default {FULL['epochs']}")
    parser.add_argument("--n-obs", type=int, help=f"default {FULL['n_obs']}")
    parser.add_argument(
        "--scenarios",
        nargs="+",
        choices=list(SCENARIOS),
        metavar="SCENARIO",
        help="default all: " + ", ".join(f"'{k}'" for k in SCENARIOS).replace("%", "%%"),
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        metavar="VARIANT",
        help="default all: " + ", ".join(f"'{k}'" for k in VARIANTS),
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument(
        "--name", default="disentanglement", help="stem of the results files (disentanglement)"
    )
    args = parser.parse_args(argv)
    C.quiet_environment(args.threads)
    full = {**FULL, "scenarios": tuple(SCENARIOS), "variants": tuple(VARIANTS)}
    C.resolve_options(args, full, QUICK, "disentanglement")
    return run(args, time.perf_counter())


if __name__ == "__main__":
    main()
