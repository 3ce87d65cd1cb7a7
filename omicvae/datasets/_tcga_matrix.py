"""Read one TCGA omics matrix (GDC / UCSC Xena / Broad Firehose tab-separated layouts)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import anndata as ad
import numpy as np
import pandas as pd

from .._logging import logger
from . import _barcodes


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return text.strip().upper() in {"", "NA", "NAN", "NULL"}
    return True


def read_matrix(path: str | os.PathLike) -> pd.DataFrame:
    """Read a features x samples table with sample barcodes as column names.

    A Firehose-style second header row (e.g. ``gene_id  normalized_count ...``), recognised by
    non-numeric entries in every sample column, is dropped. Compressed files (``.gz``) work.
    """
    head = pd.read_csv(path, sep="\t", nrows=2, header=None, dtype=str, keep_default_na=False)
    skip = None
    if len(head) > 1 and not any(_is_number(v) for v in head.iloc[1, 1:]):
        skip = [1]  # second header row: subtitle per column ("normalized_count", "Beta_value")
    frame = pd.read_csv(path, sep="\t", index_col=0, skiprows=skip, low_memory=False)
    frame.index = frame.index.astype(str)
    frame.index.name = None
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        values = pd.Series(frame[bad[0]].astype(str).unique()[:3])
        raise ValueError(
            f"{path}: expected numeric values in every sample column; column {bad[0]!r} "
            f"holds e.g. {values.tolist()} ({len(bad)} non-numeric column(s))"
        )
    return frame


def matrix_to_anndata(
    frame: pd.DataFrame,
    *,
    modality: str,
    source: str,
    sample_types: Sequence[str] | None,
) -> ad.AnnData:
    """Patients x features AnnData from a features x samples frame.

    Columns are kept when their sample type is in ``sample_types`` (all when None; patient-level
    barcodes carry no type and are always kept). A patient with several samples keeps the first
    barcode in sorted order.
    """
    barcodes = [str(c) for c in frame.columns]
    if not barcodes:
        raise ValueError(
            f"{source}: modality {modality!r}: no sample columns; expected a tab-separated "
            "table with features as rows and TCGA sample barcodes as column names"
        )
    not_tcga = [b for b in barcodes if not _barcodes.is_barcode(b)]
    if not_tcga:
        raise ValueError(
            f"{source}: modality {modality!r}: column names must be TCGA sample barcodes "
            f"(e.g. TCGA-OR-A5J1-01A-11R-A29S-07); found {not_tcga[:3]}"
        )
    types = [_barcodes.sample_type(b) for b in barcodes]
    keep = [
        i for i, t in enumerate(types) if sample_types is None or t is None or t in sample_types
    ]
    if not keep:  # only when filtering: sample_types=None keeps every (non-empty) column
        raise ValueError(
            f"{source}: modality {modality!r}: no sample of type {list(sample_types or ())} "
            f"(found types {sorted({t for t in types if t})}); pass sample_types=None to keep all"
        )
    if len(keep) < len(barcodes):
        logger.info(
            f"modality {modality!r}: dropped {len(barcodes) - len(keep)} sample(s) whose type "
            f"is not in {list(sample_types)}"
        )
    keep.sort(key=lambda i: _barcodes.normalise(barcodes[i]))
    patients = pd.Index([_barcodes.patient(barcodes[i]) for i in keep])
    first = ~patients.duplicated(keep="first")
    if not first.all():
        dropped = [barcodes[i] for i, f in zip(keep, first, strict=True) if not f]
        logger.info(
            f"modality {modality!r}: {len(dropped)} patient(s) have several samples; kept the "
            f"first barcode in sorted order, dropped {dropped[:5]}"
            + (" ..." if len(dropped) > 5 else "")
        )
    keep = [i for i, f in zip(keep, first, strict=True) if f]
    features = frame.index.astype(str)
    if not features.is_unique:
        n_dup = int(features.duplicated().sum())
        logger.info(f"modality {modality!r}: made {n_dup} duplicated feature name(s) unique")
    obs = pd.DataFrame(
        {
            "barcode": [barcodes[i] for i in keep],
            "sample_type": [types[i] or "" for i in keep],
        },
        index=patients[first],
    )
    unique = ad.utils.make_index_unique(features)
    # MuData's convention for feature names that several modalities share: "<modality>:<name>".
    var = pd.DataFrame(
        {"feature_name": features.to_numpy()}, index=pd.Index([f"{modality}:{v}" for v in unique])
    )
    values = frame.iloc[:, keep].to_numpy(dtype=np.float64).T.astype(np.float32)
    return ad.AnnData(X=values, obs=obs, var=var)
