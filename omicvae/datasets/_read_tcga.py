"""Build a MuData from TCGA files users download (GDC, UCSC Xena, Broad Firehose)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Literal

import mudata as md

from .._logging import logger
from ._tcga_clinical import add_survival, read_clinical
from ._tcga_matrix import matrix_to_anndata, read_matrix


def read_tcga(
    files: Mapping[str, str | os.PathLike],
    clinical: str | os.PathLike | None = None,
    *,
    sample_types: Sequence[str] | None = ("01",),
    transpose_clinical: bool | Literal["auto"] = "auto",
    survival: bool = True,
) -> md.MuData:
    """Read downloaded TCGA omics matrices and a clinical table into a MuData.

    Parameters
    ----------
    files
        Modality name -> tab-separated matrix (features as rows, sample or aliquot barcodes
        such as ``TCGA-OR-A5J1-01A-11R-A29S-07`` or ``TCGA-OR-A5J1-01`` as columns), as
        exported by the GDC, UCSC Xena or Broad Firehose (whose second header row, e.g.
        ``gene_id  normalized_count``, is recognised and skipped). ``.gz`` files work.
    clinical
        Optional tab-separated clinical table keyed by patient barcode: patients as rows
        (GDC, Xena) or as columns (Firehose).
    sample_types
        Two-digit TCGA sample types to keep (default primary tumour ``"01"``); None keeps all.
        A patient with several kept samples keeps the first barcode in sorted order (logged).
    transpose_clinical
        True when the clinical table has patients as columns, False when as rows, "auto" to
        detect it.
    survival
        Add ``survival_time`` / ``survival_event`` to ``.obs`` from ``vital_status``,
        ``days_to_death`` and ``days_to_last_followup`` when the clinical table has them.

    Returns
    -------
    mudata.MuData
        Observations are 12-character patient barcodes (sorted): the union over the
        modalities, so patients missing some omics are kept and simply absent from those
        modalities. Each modality holds the raw values (float32) with ``.obs["barcode"]`` (the
        original column name) and ``.obs["sample_type"]``; feature names are
        ``"<modality>:<feature>"`` with the plain name in ``.var["feature_name"]``. Clinical
        columns go to the global ``.obs``; clinical patients without any omics are dropped.
    """
    if not files:
        raise ValueError("read_tcga: `files` must name at least one modality file")
    types = None if sample_types is None else tuple(str(t).zfill(2) for t in sample_types)
    mods = {}
    for modality, path in files.items():
        mods[modality] = adata = matrix_to_anndata(
            read_matrix(path), modality=modality, source=str(path), sample_types=types
        )
        logger.info(
            f"read_tcga: modality {modality!r}: {adata.n_obs} patients x {adata.n_vars} "
            f"features from {path}"
        )
    with md.set_options(pull_on_update=False):
        mdata = md.MuData(mods)
        mdata = mdata[mdata.obs_names.sort_values()].copy()
        if clinical is not None:
            table = read_clinical(clinical, transpose=transpose_clinical)
            if survival:
                table = add_survival(table)
            unmatched = table.index.difference(mdata.obs_names)
            if len(unmatched):
                logger.info(
                    f"read_tcga: {len(unmatched)} clinical patient(s) have none of the omics "
                    "and are left out"
                )
            mdata.obs = table.reindex(mdata.obs_names)
    return mdata
