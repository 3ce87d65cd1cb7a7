"""Library sizes of count modalities (likelihoods with ``needs_library``): computed here only.

A sample's library size is the total of its row. Setup fits a log-normal to the positive totals;
predictions use its ``exp(library_log_mean)`` for samples without the modality, generation draws
from it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from ..distributions import likelihood_class
from ._access import iter_row_chunks


def row_totals(matrix) -> np.ndarray:
    """Sum of every row as float64 (row-chunked for dense input, no densifying for sparse)."""
    if sp.issparse(matrix):
        return np.asarray(matrix.sum(axis=1), dtype=np.float64).ravel()
    totals = np.empty(matrix.shape[0], dtype=np.float64)
    for rows in iter_row_chunks(matrix.shape[0]):
        totals[rows] = np.asarray(matrix[rows]).sum(axis=1, dtype=np.float64)
    return totals


def library_log_stats(matrix) -> tuple[float, float] | None:
    """Mean and std of ``log`` of the positive row totals; None when no row total is positive."""
    totals = row_totals(matrix)
    positive = totals[totals > 0]
    if positive.size == 0:
        return None
    logs = np.log(positive)
    return float(logs.mean()), float(logs.std())


def library_column(n_obs: int, matrix, positions: np.ndarray) -> torch.Tensor:
    """``(n_obs, 1)`` float32 library sizes: the row totals of ``matrix`` at ``positions``, else 1."""
    library = torch.ones((n_obs, 1), dtype=torch.float32)
    library[torch.from_numpy(positions), 0] = torch.from_numpy(
        row_totals(matrix).astype(np.float32)
    )
    return library


def typical_library(spec) -> float:
    """``exp(library_log_mean)`` of a registered count modality."""
    return float(np.exp(spec.library_log_mean))


def library_rows(spec, tensors, m: int, rows, minimum: float | None = None) -> torch.Tensor | None:
    """Library sizes ``(len(rows), 1)`` of modality ``m`` of ``tensors``: observed, else typical.

    Clamped from below at ``minimum`` when given; None for a likelihood without library sizes.
    """
    if not likelihood_class(spec.likelihood).needs_library:
        return None
    rows = torch.as_tensor(rows)
    observed = tensors.library[m][rows]
    present = tensors.mask[rows, m]
    out = torch.where(present[:, None], observed, torch.full_like(observed, typical_library(spec)))
    return out if minimum is None else torch.clamp(out, min=minimum)


def draw_library(spec, n: int, generator: torch.Generator, device) -> torch.Tensor | None:
    """``(n, 1)`` sizes drawn from the fitted log-normal; None (no draw) without library sizes."""
    if not likelihood_class(spec.likelihood).needs_library:
        return None
    noise = torch.randn(n, 1, device=device, generator=generator)
    return (spec.library_log_mean + (spec.library_log_std or 0.0) * noise).exp()
