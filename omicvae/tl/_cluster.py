"""Leiden clustering of a representation and its agreement with known labels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scanpy as sc
from mudata import MuData
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from .._keys import resolve_keys
from .._neighbors import neighbors_anndata
from .._readers import as_list, get_obsm, label_array, present_rows
from ._utils import _missing_key_hint

__all__ = ["cluster"]


def cluster(
    mdata: MuData,
    *,
    key: str | None = None,
    key_prefix: str | None = None,
    resolution: float = 1.0,
    n_neighbors: int = 15,
    labels: str | Sequence[str] | None = None,
    key_added: str = "idmvae_leiden",
    random_state: int = 0,
) -> pd.DataFrame:
    """Leiden clusters of an embedding, scored against known labels.

    Builds a temporary AnnData from ``mdata.obsm[key]`` (samples with NaN rows are left out), runs
    ``scanpy.pp.neighbors`` and ``scanpy.tl.leiden`` (igraph flavour, 2 iterations, undirected,
    seeded) and writes the clusters to ``mdata.obs[key_added]`` (categorical; NaN for left-out
    samples). Nothing else of ``mdata`` is changed.

    Parameters
    ----------
    mdata
        Data with the embedding in ``.obsm``.
    key
        ``.obsm`` key of the embedding (any, e.g. ``"X_pca"`` for a baseline); default: the joint
        shared embedding of ``key_prefix``.
    key_prefix
        A model's ``key_prefix`` (e.g. ``"X_mmvaeplus"``); default: the embeddings recorded last
        in ``mdata.uns["idmvae"]``, else ``"X_idmvae"``.
    resolution
        Leiden resolution.
    n_neighbors
        Neighbours of the kNN graph.
    labels
        ``mdata.obs`` column(s) to compare the clusters with.
    key_added
        ``mdata.obs`` column that receives the clusters.
    random_state
        Seed of the neighbour search and of Leiden.

    Returns
    -------
    One row per label column: ``ari`` (adjusted Rand index), ``nmi`` (normalised mutual
    information), ``n_obs`` (samples with an embedding and the label), ``n_clusters`` (over all
    clustered samples). Without labels, a single row ``"-"`` with ``n_clusters`` only.
    """
    key = resolve_keys(mdata, key_prefix, shared_key=key).shared_key
    X = get_obsm(mdata, key, hint=_missing_key_hint("key"))
    have = present_rows(X)
    if have.sum() < 3:
        raise ValueError(
            f"obsm key {key!r}: expected at least 3 rows without NaN, found {int(have.sum())}"
        )
    tmp = neighbors_anndata(X[have], n_neighbors=n_neighbors, random_state=random_state)
    sc.tl.leiden(
        tmp,
        resolution=resolution,
        flavor="igraph",
        n_iterations=2,
        directed=False,
        random_state=random_state,
        key_added="leiden",
    )
    clusters = np.full(mdata.n_obs, np.nan, dtype=object)
    clusters[have] = tmp.obs["leiden"].astype(str).to_numpy()
    order = sorted(set(clusters[have]), key=int)
    mdata.obs[key_added] = pd.Categorical(clusters, categories=order)
    n_clusters = len(order)

    rows = {}
    for col in as_list(labels):
        y, ok = label_array(mdata, col, what="labels")
        use = have & ok
        truth, pred = y[use].astype(str), clusters[use].astype(str)
        rows[col] = {
            "ari": adjusted_rand_score(truth, pred),
            "nmi": normalized_mutual_info_score(truth, pred),
            "n_obs": int(use.sum()),
            "n_clusters": n_clusters,
        }
    if not rows:
        rows["-"] = dict(ari=np.nan, nmi=np.nan, n_obs=int(have.sum()), n_clusters=n_clusters)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("label")
