"""Plain-text summaries printed by the command line (and written to ``summary.txt``)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from mudata import MuData


def duration(seconds: float) -> str:
    """``83.2`` -> ``"1 min 23 s"``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


def data_summary(mdata: MuData) -> str:
    """Patients, modalities and how many patients have every modality."""
    lines = [f"Data: {mdata.n_obs} samples, {len(mdata.mod)} modalities"]
    present = np.ones(mdata.n_obs, dtype=bool)
    for name, adata in mdata.mod.items():
        present &= mdata.obs_names.isin(adata.obs_names)
        lines.append(f"  {name:<10} {adata.n_obs:>6} samples x {adata.n_vars} features")
    lines.append(f"  {int(present.sum())} samples have all {len(mdata.mod)} modalities")
    return "\n".join(lines)


def training_summary(model) -> str:
    """Final training (and validation) loss terms."""
    lines = ["Training: final epoch"]
    for term, frame in model.history.items():
        last = frame.iloc[-1]
        parts = [f"train {last['train']:.4g}"]
        if "validation" in frame and pd.notna(last.get("validation")):
            parts.append(f"validation {last['validation']:.4g}")
        lines.append(f"  {term:<15} " + ", ".join(parts))
    return "\n".join(lines)


def cluster_summary(table: pd.DataFrame, key: str) -> str:
    """Leiden clusters and their agreement with each label column."""
    n_clusters = int(table["n_clusters"].iloc[0])
    lines = [f"Clustering: {n_clusters} leiden clusters of the shared embedding (obs[{key!r}])"]
    for label, row in table.iterrows():
        if label == "-":
            continue
        lines.append(
            f"  vs {label:<12} ARI {row['ari']:.3f}   NMI {row['nmi']:.3f}   ({int(row['n_obs'])} samples)"
        )
    return "\n".join(lines)


def prediction_summary(result, label: str) -> str:
    """Mean ± std of accuracy, macro-F1 and AUROC per representation."""
    s = result.summary
    n_splits = int(s["n_splits"].iloc[0])
    lines = [
        f"Prediction of {label!r} (logistic regression per modality, {n_splits} random 80/20 splits)"
    ]
    names = {"z": "shared z", "z+w": "shared z + private w"}
    for rep, row in s.iterrows():
        lines.append(
            f"  {names.get(rep, rep):<21} accuracy {row['accuracy_mean']:.3f} ± {row['accuracy_std']:.3f}"
            f"   macro-F1 {row['f1_macro_mean']:.3f}   AUROC {row['auroc_mean']:.3f}"
        )
    return "\n".join(lines)


def survival_summary(result, key: str, time: str) -> str:
    """Log-rank test across clusters and the per-cluster table."""
    p = result.p_value
    shown = f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"
    lines = [
        f"Survival by {key} (log-rank, {result.degrees_of_freedom} df): "
        f"chi2 {result.test_statistic:.2f}, p = {shown}"
    ]
    for name, row in result.groups.iterrows():
        median = row["median_survival"]
        median = "not reached" if not math.isfinite(median) else f"{median:.0f}"
        lines.append(
            f"  cluster {name:<4} n {int(row['n']):>4}   events {int(row['n_events']):>4}"
            f"   median {time} {median}"
        )
    return "\n".join(lines)


def files_summary(files: dict[str, Path]) -> str:
    """The written files."""
    return "Wrote:\n" + "\n".join(f"  {path}" for path in files.values())
