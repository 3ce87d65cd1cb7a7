"""Read-only access to the pieces of a MuData that the registry needs.

Nothing here modifies the user's object: matrices are read, never converted in place, and the global
``obs`` is checked, never refreshed with ``mdata.update()``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData
from mudata import MuData

ROW_CHUNK = 4096
"""Rows per chunk when dense matrices are scanned or copied (bounds temporary memory)."""


def where(layer: str | None) -> str:
    """Describe the location of a modality's values for error messages (``.X`` or ``layer 'x'``)."""
    return ".X" if layer is None else f"layer {layer!r}"


def preview(names, n: int = 5) -> list[str]:
    """The first ``n`` names of a sequence as plain strings (for error messages)."""
    return [str(name) for name in list(names)[:n]]


def check_is_mudata(mdata) -> None:
    """Raise a TypeError unless ``mdata`` is a MuData."""
    if not isinstance(mdata, MuData):
        hint = (
            " (wrap it first, e.g. mudata.MuData({'rna': adata}))"
            if isinstance(mdata, AnnData)
            else ""
        )
        raise TypeError(f"mdata must be a mudata.MuData, got {type(mdata).__name__}{hint}")


def check_global_obs_names(mdata: MuData) -> None:
    """Raise a ValueError when ``mdata.obs_names`` has duplicates."""
    names = mdata.obs_names
    if not names.is_unique:
        dupes = names[names.duplicated()].unique()
        raise ValueError(
            f"mdata.obs_names must be unique, found {len(dupes)} duplicated sample names "
            f"(e.g. {preview(dupes)}); call mdata.obs_names_make_unique() first"
        )


def get_matrix(adata: AnnData, name: str, layer: str | None):
    """Return the modality's data matrix (``.X`` or a layer) as numpy array or scipy CSR/CSC.

    Dense arrays and scipy matrices are returned as they are (no copy); backed or array-like objects
    are loaded. Raises KeyError for an unknown layer and TypeError for a non-numeric matrix.
    """
    if layer is not None and layer not in adata.layers:
        raise KeyError(
            f"modality {name!r}: unknown layer {layer!r}; available layers: {list(adata.layers)}"
        )
    matrix = adata.X if layer is None else adata.layers[layer]
    if matrix is None:  # layers cannot hold None: only .X can be empty
        raise ValueError(f"modality {name!r}: .X is empty (None); pass layers={{{name!r}: ...}}")
    matrix = _materialise(matrix, name, layer)
    dtype = matrix.dtype
    if not (np.issubdtype(dtype, np.number) or dtype == np.bool_) or np.issubdtype(
        dtype, np.complexfloating
    ):
        raise TypeError(
            f"modality {name!r}: {where(layer)} must hold real numbers, found dtype {dtype}"
        )
    if matrix.shape != (adata.n_obs, adata.n_vars):
        raise ValueError(
            f"modality {name!r}: {where(layer)} has shape {matrix.shape}, expected "
            f"{(adata.n_obs, adata.n_vars)}"
        )
    return matrix


def _materialise(matrix, name: str, layer: str | None):
    """Turn whatever AnnData holds into a numpy array or a scipy sparse matrix (CSR or CSC)."""
    if sp.issparse(matrix):
        return matrix if matrix.format in ("csr", "csc") else matrix.tocsr()
    if isinstance(matrix, pd.DataFrame):
        return matrix.to_numpy()
    if hasattr(matrix, "to_memory"):  # anndata backed sparse datasets
        return _materialise(matrix.to_memory(), name, layer)
    try:
        return np.asarray(matrix)  # also np.matrix -> ndarray view
    except Exception as err:  # pragma: no cover - exotic array types
        raise TypeError(
            f"modality {name!r}: cannot read {where(layer)} of type {type(matrix).__name__}"
        ) from err


def read_modality(mdata: MuData, name: str, layer: str | None):
    """Structural checks of one modality; returns ``(adata, matrix, positions)``.

    Names unique, not empty, samples known to ``mdata.obs_names`` (else the global ``obs`` is
    stale); ``matrix`` is ``.X`` or ``layer`` as :func:`get_matrix` returns it (values not checked
    here), ``positions`` the global row of every sample.
    """
    adata: AnnData = mdata.mod[name]
    for axis, names in (("obs_names", adata.obs_names), ("var_names", adata.var_names)):
        if not names.is_unique:
            dupes = names[names.duplicated()].unique()
            raise ValueError(
                f"modality {name!r}: {axis} must be unique, found {len(dupes)} duplicated names "
                f"(e.g. {preview(dupes)})"
            )
    for size, what, axis in (
        (adata.n_obs, "samples", "observations"),
        (adata.n_vars, "features", "variables"),
    ):
        if size == 0:
            raise ValueError(
                f"modality {name!r} has no {what} (0 {axis}); remove it or pass modalities=[...] "
                "without it"
            )
    positions = mdata.obs_names.get_indexer(adata.obs_names)
    unknown = positions < 0
    if unknown.any():
        raise ValueError(
            f"modality {name!r}: {int(unknown.sum())} samples are not in mdata.obs_names "
            f"(e.g. {preview(adata.obs_names[unknown])}); the MuData's global obs looks stale: call "
            "mdata.update() and set the model up again"
        )
    return adata, get_matrix(adata, name, layer), positions.astype(np.int64)


def check_coverage(mdata: MuData, covered: np.ndarray, names: tuple[str, ...]) -> None:
    """Raise a ValueError naming samples of ``mdata.obs_names`` absent from every selected modality."""
    orphan = ~covered
    if orphan.any():
        orphans = mdata.obs_names[orphan]
        raise ValueError(
            f"{int(orphan.sum())} samples of mdata.obs_names are in none of the selected modalities "
            f"{list(names)} (e.g. {preview(orphans)}); subset the MuData to samples that have at "
            "least one of them, or call mdata.update() if mdata.obs is stale"
        )


def iter_row_chunks(n_rows: int, chunk: int = ROW_CHUNK) -> Iterator[slice]:
    """Consecutive row slices covering ``range(n_rows)``."""
    for start in range(0, n_rows, chunk):
        yield slice(start, min(start + chunk, n_rows))
