"""Read a TCGA clinical table keyed by patient barcode and derive survival columns."""

from __future__ import annotations

import os
from typing import Literal

import numpy as np
import pandas as pd

from .._logging import logger
from . import _barcodes

# Spellings of "missing" used by GDC ("'--"), the BCR XML exports ("[Not Available]") and others.
MISSING = ["", "NA", "NaN", "nan", "null", "NULL", "--", "'--", "[Not Available]",
           "[Not Applicable]", "[Unknown]", "[Not Evaluated]", "[Discrepancy]",
           "[Completed]", "not reported", "Not Reported"]  # fmt: skip
DEAD = {"dead", "deceased", "1"}
ALIVE = {"alive", "living", "0"}
FOLLOWUP_COLUMNS = ("days_to_last_followup", "days_to_last_follow_up")


def _share_barcodes(values) -> float:
    values = [v for v in values if isinstance(v, str)]
    return float(np.mean([_barcodes.is_barcode(v) for v in values])) if values else 0.0


def read_clinical(
    path: str | os.PathLike, *, transpose: bool | Literal["auto"] = "auto"
) -> pd.DataFrame:
    """Clinical table with one row per 12-character patient barcode.

    Parameters
    ----------
    path
        Tab-separated file. Either patients as rows (GDC, UCSC Xena: the patient or sample
        barcode in the first column, or in any column such as ``case_submitter_id``), or
        patients as columns (Broad Firehose ``*.clin.merged.picked.txt``: attributes as rows).
    transpose
        True for patients as columns, False for patients as rows, "auto" to detect it from
        where the barcodes are.

    Returns
    -------
    pandas.DataFrame
        Index: patient barcodes (first row kept for a patient listed twice); numeric columns
        as numbers, text columns as categoricals, missing markers as NaN.
    """
    raw = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, header=None)
    header, body = raw.iloc[0].tolist(), raw.iloc[1:]
    if transpose == "auto":
        transpose = _share_barcodes(header[1:]) > 0.5 and _share_barcodes(body.iloc[:, 0]) < 0.5
    if transpose:
        table = body.set_index(0).T
        table.index = header[1:]
        # Firehose's sub-header row ("Composite Element REF  value value ...")
        table = table.loc[:, [c for c in table.columns if not (table[c] == "value").all()]]
    else:
        table = pd.DataFrame(body.to_numpy(), columns=header)
        key = next((c for c in table.columns if _share_barcodes(table[c]) > 0.5), None)
        if key is None:
            raise ValueError(
                f"{path}: no column of TCGA patient barcodes found (patients as rows); if "
                "patients are columns, pass transpose_clinical=True"
            )
        table = table.set_index(key)
    bad = [b for b in table.index if not _barcodes.is_barcode(b)]
    if bad:
        raise ValueError(f"{path}: expected TCGA patient barcodes as keys, found {bad[:3]}")
    table.index = pd.Index([_barcodes.patient(b) for b in table.index])
    table.columns = [str(c).strip() for c in table.columns]
    duplicated = table.index.duplicated(keep="first")
    if duplicated.any():
        logger.info(
            f"{path}: {int(duplicated.sum())} repeated patient row(s) in the clinical table; "
            "kept the first row per patient"
        )
        table = table[~duplicated]
    return _typed(table.where(~table.isin(MISSING)))


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for name in table.columns:
        col = table[name]
        numeric = pd.to_numeric(col, errors="coerce")
        if numeric.notna().sum() == col.notna().sum():
            out[name] = numeric.astype(np.float64)
        else:
            out[name] = pd.Categorical(col, categories=sorted(col.dropna().unique()))
    return pd.DataFrame(out, index=table.index)


def add_survival(clinical: pd.DataFrame) -> pd.DataFrame:
    """Add ``survival_time`` (days) and ``survival_event`` (1 dead, 0 alive, NaN unknown).

    Uses ``vital_status``, ``days_to_death`` and ``days_to_last_followup`` (or GDC's
    ``days_to_last_follow_up``): the time is days to death for the dead and days to the last
    follow-up otherwise. Tables without these columns are returned unchanged.
    """
    followup = next((c for c in FOLLOWUP_COLUMNS if c in clinical), None)
    if followup is None or not {"vital_status", "days_to_death"} <= set(clinical.columns):
        logger.info("clinical table has no vital_status / days_to_death / days_to_last_followup")
        return clinical
    status = (
        clinical["vital_status"]
        .astype(object)
        .map(lambda v: np.nan if pd.isna(v) else str(v).strip().lower().removesuffix(".0"))
    )
    event = np.where(status.isin(DEAD), 1.0, np.where(status.isin(ALIVE), 0.0, np.nan))
    death = pd.to_numeric(clinical["days_to_death"], errors="coerce").to_numpy(np.float64)
    last = pd.to_numeric(clinical[followup], errors="coerce").to_numpy(np.float64)
    out = clinical.copy()
    out["survival_time"] = np.where(event == 1, death, np.where(event == 0, last, np.nan))
    out["survival_event"] = event
    return out
