"""TCGA adrenocortical carcinoma (miniACC): 92 patients, five omics, shipped with omicvae."""

from __future__ import annotations

import mudata as md
import numpy as np
import pandas as pd

from ._files import shipped_file

FILE_NAME = "tcga_acc.h5mu"
N_PATIENTS = 92
# modality -> (n_patients with the assay, n_features); one aliquot per patient upstream.
EXPECTED_SHAPES = {
    "rna": (79, 198),
    "mirna": (80, 471),
    "cnv": (90, 198),
    "protein": (46, 33),
    "mutation": (90, 97),
}
EXPECTED_C1A_C1B = {"C1A": 43, "C1B": 35}
TCGA_ACC_LABELS = (
    "C1A.C1B",
    "COC",
    "mRNA_K4",
    "MethyLevel",
    "miRNA.cluster",
    "SCNA.cluster",
    "protein.cluster",
    "OncoSign",
    "Histology",
)
"""The label columns of :func:`tcga_acc`'s ``.obs``: the published subtypes and ``Histology``."""


def tcga_acc() -> md.MuData:
    """Load TCGA-ACC ("miniACC"): 92 adrenocortical carcinoma patients with up to five omics.

    The data come from Bioconductor's ``MultiAssayExperiment::miniACC`` (Artistic-2.0; TCGA open
    access data), converted by ``data/build_tcga_acc.py``; see ``data/README.md``.

    Returns
    -------
    mudata.MuData
        Global ``.obs``: all 92 patients (index: 12-character patient barcode, sorted) with the
        clinical table, the subtype labels as categoricals with NaN where unknown (``C1A.C1B``,
        ``COC``, ``mRNA_K4``, ``MethyLevel``, ``miRNA.cluster``, ``SCNA.cluster``,
        ``protein.cluster``, ``OncoSign``, ``Histology``: ``ov.datasets.TCGA_ACC_LABELS``) and ``survival_time`` (days) /
        ``survival_event`` (1 dead, 0 alive). Modalities (patients x features, raw values,
        ``float32``): ``rna`` (RSEM normalised expression, plus ``layers["log1p"]``), ``mirna``
        (read counts), ``cnv`` (GISTIC -2..2), ``protein`` (RPPA), ``mutation`` (0/1).
        A modality holds only the patients that have the assay: 43 patients have all five.
        Feature names follow MuData's ``"<modality>:<feature>"`` convention (the assays share
        gene panels); the plain name is in ``.var["feature_name"]``. Recommended likelihoods
        and layers are in ``.uns["omicvae_dataset"]``.

    Raises
    ------
    ValueError
        When the shipped file does not have the expected shapes or label counts.
    """
    path = shipped_file(FILE_NAME)
    with md.set_options(pull_on_update=False):  # the file stores the global obs as built
        mdata = md.read_h5mu(path)
    _check(mdata, path)
    return mdata


def _check(mdata: md.MuData, path) -> None:
    if list(mdata.mod) != list(EXPECTED_SHAPES):
        raise ValueError(
            f"{path}: expected modalities {list(EXPECTED_SHAPES)}, got {list(mdata.mod)}"
        )
    if mdata.n_obs != N_PATIENTS:
        raise ValueError(f"{path}: expected {N_PATIENTS} patients in .obs, got {mdata.n_obs}")
    for name, expected in EXPECTED_SHAPES.items():
        adata = mdata.mod[name]
        if adata.shape != expected:
            raise ValueError(
                f"{path}: modality {name!r}: expected shape {expected} (patients x features), "
                f"got {adata.shape}"
            )
        if not adata.obs_names.isin(mdata.obs_names).all() or not adata.obs_names.is_unique:
            raise ValueError(f"{path}: modality {name!r}: obs_names must be unique patients")
    counts = mdata.obs["C1A.C1B"].value_counts(dropna=False)
    found = {k: int(counts.get(k, 0)) for k in EXPECTED_C1A_C1B}
    n_na = int(mdata.obs["C1A.C1B"].isna().sum())
    if found != EXPECTED_C1A_C1B or n_na != N_PATIENTS - sum(EXPECTED_C1A_C1B.values()):
        raise ValueError(
            f"{path}: .obs['C1A.C1B']: expected {EXPECTED_C1A_C1B} and 14 NaN, got {found} "
            f"and {n_na} NaN"
        )
    for col in (*TCGA_ACC_LABELS, "survival_time", "survival_event"):
        if col not in mdata.obs:
            raise ValueError(f"{path}: .obs is missing the column {col!r}")
    for col in TCGA_ACC_LABELS:
        if not isinstance(mdata.obs[col].dtype, pd.CategoricalDtype):
            raise ValueError(f"{path}: .obs[{col!r}] should be categorical")
    if not np.isin(mdata.obs["survival_event"].to_numpy(), (0, 1)).all():
        raise ValueError(f"{path}: .obs['survival_event'] must be 0 or 1")
