"""The neighbour graph ``ov.tl.cluster`` and ``ov.pl.embeddings`` build on an embedding."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
from sklearn.neighbors import KNeighborsTransformer

EXACT_NEIGHBORS_BELOW = 8192
"""Below this many samples scanpy's neighbour search is exact (brute force)."""


def neighbors_anndata(X: np.ndarray, *, n_neighbors: int, random_state: int) -> ad.AnnData:
    """A throw-away AnnData holding ``X`` (as ``obsm["X_rep"]``) with scanpy's neighbour graph.

    Keeps scanpy's graphs off the user's MuData. On fewer than :data:`EXACT_NEIGHBORS_BELOW`
    samples scanpy runs an exact search and then writes the distance graph's diagonal in place;
    when ties (identical rows, e.g. a collapsed embedding) leave a sample out of its own neighbour
    list, that write adds entries to a CSR matrix and scipy warns (``SparseEfficiencyWarning``).
    The same exact search passed as a transformer (``KNeighborsTransformer``, brute force) skips
    that step, without the warning: the connectivities (what Leiden and UMAP use) are scanpy's
    own, entry for entry; the distance graph lists one further neighbour per sample.
    """
    k = min(n_neighbors, X.shape[0] - 1)
    tmp = ad.AnnData(obs=pd.DataFrame(index=np.arange(X.shape[0]).astype(str)))
    tmp.obsm["X_rep"] = np.ascontiguousarray(X, dtype=np.float32)
    transformer = (
        KNeighborsTransformer(n_neighbors=k, mode="distance", algorithm="brute")
        if X.shape[0] < EXACT_NEIGHBORS_BELOW
        else None
    )
    sc.pp.neighbors(
        tmp, n_neighbors=k, use_rep="X_rep", random_state=random_state, transformer=transformer
    )
    return tmp
