"""Torch tensors for a registered MuData, aligned on the global ``mdata.obs_names``.

Storage: a dense modality is held as one dense float32 tensor (n_obs x n_features). A modality
given as a scipy sparse matrix is held as one torch sparse CSR float32 tensor of the same shape
(``x[m].layout == torch.sparse_csr``); rows are densified per batch by
:meth:`MultiModalTensors.rows`, which every consumer should use instead of indexing ``x[m]``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from mudata import MuData

from omicvae._logging import logger
from omicvae.distributions import likelihood_class

from ._access import (
    check_coverage,
    check_global_obs_names,
    check_is_mudata,
    iter_row_chunks,
    preview,
    read_modality,
)
from ._batch import batch_codes, batch_column
from ._library import library_column
from ._registry import DataRegistry, ModalitySpec
from ._validate import check_modality_values


@dataclass
class MultiModalTensors:
    """The values of every registered modality as torch tensors, in global sample order.

    Attributes
    ----------
    x
        Per modality, float32 (n_obs x n_features); rows of samples missing the modality are zero.
        Dense (strided) tensors, or sparse CSR tensors for modalities given as scipy sparse.
    mask
        bool (n_obs x M): whether each sample has each modality.
    batch_index
        long (n_obs,) codes into ``registry.batch_categories``, or None without a batch key.
    library
        Per modality: float32 (n_obs x 1) observed row totals for nb/zinb (1.0 on missing rows),
        None for other likelihoods.
    obs_names
        ``mdata.obs_names`` (the global sample order).
    """

    x: list[torch.Tensor]
    mask: torch.Tensor
    batch_index: torch.Tensor | None
    library: list[torch.Tensor | None]
    obs_names: pd.Index

    @property
    def n_obs(self) -> int:
        """Number of samples (global rows)."""
        return int(self.mask.shape[0])

    def is_sparse(self, m: int) -> bool:
        """Whether modality ``m`` is stored as a sparse CSR tensor."""
        return self.x[m].layout == torch.sparse_csr

    def rows(self, m: int, index: torch.Tensor) -> torch.Tensor:
        """Dense float32 rows ``index`` (long, global row numbers) of modality ``m``."""
        x = self.x[m]
        if not self.is_sparse(m):
            return x[index]
        return csr_rows_to_dense(x.crow_indices(), x.col_indices(), x.values(), index, x.shape[1])


def csr_rows_to_dense(
    crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor, index: torch.Tensor, n_cols: int
) -> torch.Tensor:
    """Gather rows ``index`` of a CSR matrix (given by its three arrays) into a dense tensor."""
    index = index.to(torch.long)
    starts = crow[index]
    lengths = crow[index + 1] - starts
    out = torch.zeros((index.numel(), n_cols), dtype=values.dtype)
    total = int(lengths.sum())
    if total == 0:
        return out
    out_row = torch.repeat_interleave(torch.arange(index.numel()), lengths)
    # position of every gathered entry: its row's start + its rank within the row
    offsets = torch.cumsum(lengths, 0) - lengths
    rank = torch.arange(total) - torch.repeat_interleave(offsets, lengths)
    source = torch.repeat_interleave(starts, lengths) + rank
    out[out_row, col[source]] = values[source]
    return out


def build_tensors(
    mdata: MuData, registry: DataRegistry, *, check_features: bool = True, query: bool = False
) -> MultiModalTensors:
    """Validate ``mdata`` against ``registry`` and convert it to tensors.

    Used for the training data and for new data (``write_embeddings``, ``load``, queries).

    Parameters
    ----------
    mdata
        The data; never modified. Must hold every registered modality (KeyError otherwise) unless
        ``query``.
    registry
        From :func:`setup_registry`.
    check_features
        Require each modality's ``var_names`` to equal the registered ones, in order. When False,
        only the number of features must match.
    query
        New samples to embed or impute from. Any non-empty subset of the registered modalities
        may be present: an absent modality gets an all-False ``mask`` column and an all-zero
        (sparse) value tensor, so every consumer treats its samples as missing it. Features are
        matched by ``var_names`` (with ``check_features``): columns in another order are
        reordered, registered features that are absent raise a ValueError naming the modality and
        the first absent names, and features the model does not know are ignored (reported with
        ``logger.info``).

    Returns
    -------
    MultiModalTensors
    """
    check_is_mudata(mdata)
    check_global_obs_names(mdata)
    n_obs = mdata.n_obs
    names = registry.modality_names()
    if query and not any(name in mdata.mod for name in names):
        raise KeyError(
            f"mdata has none of the modalities the model was set up with ({list(names)}); found "
            f"{list(mdata.mod)}"
        )
    mask = torch.zeros((n_obs, len(names)), dtype=torch.bool)
    xs: list[torch.Tensor] = []
    libraries: list[torch.Tensor | None] = []
    for m, spec in enumerate(registry.modalities):
        if query and spec.name not in mdata.mod:  # no rows: all-zero sparse values, no memory
            matrix = sp.csr_matrix((0, spec.n_features), dtype=np.float32)
            positions = np.zeros(0, dtype=np.int64)
        else:
            matrix, positions = _checked_matrix(mdata, spec, check_features, query)
        to_global = _sparse_global if sp.issparse(matrix) else _dense_global
        xs.append(to_global(matrix, positions, n_obs))
        needs_library = likelihood_class(spec.likelihood).needs_library
        libraries.append(library_column(n_obs, matrix, positions) if needs_library else None)
        mask[torch.from_numpy(positions), m] = True
    present = tuple(name for name in names if name in mdata.mod)
    check_coverage(mdata, mask.any(dim=1).numpy(), present)

    batch_index = None
    if registry.batch_key is not None:
        column = batch_column(mdata, registry.batch_key)
        codes = batch_codes(column, registry.batch_categories, registry.batch_key)
        batch_index = torch.from_numpy(codes)
    return MultiModalTensors(
        x=xs, mask=mask, batch_index=batch_index, library=libraries, obs_names=mdata.obs_names
    )


def _checked_matrix(mdata: MuData, spec: ModalitySpec, check_features: bool, query: bool):
    """Validate one modality of ``mdata`` against its spec; return its matrix and global rows."""
    name = spec.name
    if name not in mdata.mod:
        raise KeyError(
            f"modality {name!r}, which the model was set up with, is missing from mdata.mod "
            f"(found {list(mdata.mod)})"
        )
    adata, matrix, positions = read_modality(mdata, name, spec.layer)
    if query and check_features:
        columns = _match_features(adata.var_names, spec)
        if columns is not None:
            matrix = matrix[:, columns]
    else:
        _check_features(adata.var_names, spec, check_features)
    check_modality_values(matrix, name, spec.layer, spec.likelihood, spec.n_categories)
    return matrix, positions


def _check_features(var_names: pd.Index, spec: ModalitySpec, check_features: bool) -> None:
    """Raise a ValueError when the features differ from the registered ones."""
    found = tuple(str(v) for v in var_names)
    same = found == spec.var_names if check_features else len(found) == spec.n_features
    if same:
        return
    mismatch = next(
        (i for i, (a, b) in enumerate(zip(spec.var_names, found, strict=False)) if a != b),
        min(len(found), spec.n_features),
    )
    raise ValueError(
        f"modality {spec.name!r}: features differ from those the model was set up with "
        f"(expected {spec.n_features} features starting {preview(spec.var_names[mismatch:], 3)}, "
        f"found {len(found)} features starting {preview(found[mismatch:], 3)} at position "
        f"{mismatch})"
    )


def _match_features(var_names: pd.Index, spec: ModalitySpec) -> np.ndarray | None:
    """Columns of new data that hold the registered features, in registered order.

    None when the features are exactly the registered ones (nothing to reorder). Raises a
    ValueError naming the registered features that are absent; features the model does not know
    are reported with ``logger.info`` and left out.
    """
    found = pd.Index([str(v) for v in var_names])
    if tuple(found) == spec.var_names:
        return None
    columns = found.get_indexer(pd.Index(spec.var_names))
    absent = columns < 0
    if absent.any():
        missing = [v for v, a in zip(spec.var_names, absent, strict=True) if a]
        raise ValueError(
            f"modality {spec.name!r}: {len(missing)} of the {spec.n_features} features the model "
            f"was set up with are not in the new data's var_names (first missing: "
            f"{preview(missing)}); the new data must hold every registered feature (extra "
            "features are ignored and the order does not matter)"
        )
    extra = found[~found.isin(spec.var_names)]
    if len(extra):
        logger.info(
            f"modality {spec.name!r}: ignoring {len(extra)} features the model was not set up "
            f"with (e.g. {preview(extra, 3)})"
        )
    return columns.astype(np.int64)


def _dense_global(matrix: np.ndarray, positions: np.ndarray, n_obs: int) -> torch.Tensor:
    """A dense matrix as an (n_obs, F) float32 tensor with its rows at ``positions`` (zeros elsewhere).

    A float32, C-contiguous numpy array that already holds every sample in the global order is used
    as it is (the tensor shares its memory: no copy of the data); anything else is copied once.
    Nothing in the package writes into these tensors.
    """
    if (
        type(matrix) is np.ndarray
        and matrix.dtype == np.float32
        and matrix.flags.c_contiguous
        and matrix.flags.writeable  # torch warns about read-only arrays
        and matrix.shape[0] == n_obs
        and np.array_equal(positions, np.arange(n_obs))
    ):
        return torch.from_numpy(matrix)
    out = torch.zeros((n_obs, matrix.shape[1]), dtype=torch.float32)
    for rows in iter_row_chunks(matrix.shape[0]):
        block = np.ascontiguousarray(matrix[rows], dtype=np.float32)
        out[torch.from_numpy(positions[rows])] = torch.from_numpy(block)
    return out


def _sparse_global(matrix, positions: np.ndarray, n_obs: int) -> torch.Tensor:
    """A sparse CSR float32 tensor (n_obs, F) holding the matrix rows at ``positions``."""
    n_rows = matrix.shape[0]
    placement = sp.csr_matrix(
        (np.ones(n_rows, dtype=np.float32), (positions, np.arange(n_rows))), shape=(n_obs, n_rows)
    )
    placed = (placement @ matrix.astype(np.float32)).tocsr()
    placed.sort_indices()
    with warnings.catch_warnings():
        # torch warns (once per process) that sparse CSR support is in beta; we only store rows
        # and gather them with plain tensor indexing (csr_rows_to_dense), so it does not apply
        warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
        return torch.sparse_csr_tensor(
            torch.from_numpy(placed.indptr.astype(np.int64)),
            torch.from_numpy(placed.indices.astype(np.int64)),
            torch.from_numpy(placed.data.astype(np.float32, copy=False)),
            size=(n_obs, matrix.shape[1]),
            dtype=torch.float32,
            check_invariants=True,
        )
