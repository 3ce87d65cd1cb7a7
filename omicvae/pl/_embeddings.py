"""UMAPs of the shared and private embeddings side by side."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scanpy as sc
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from mudata import MuData
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from .._keys import EmbeddingKeys, resolve_keys
from .._logging import logger
from .._neighbors import neighbors_anndata
from .._readers import as_list, get_obs_column, get_obsm, present_rows
from ._utils import figure_doc, finish, one_panel, subplots

__all__ = ["embeddings"]

UMAP_PREFIX = "X_umap_"
"""Default ``key_added`` of :func:`embeddings`, which describes the cache."""


def _uns_key(key_added: str, key: str) -> str:
    """``uns`` key of the UMAP parameters: ``key_added`` without a leading ``X_``, then ``key``."""
    return key_added.removeprefix("X_") + key


def _panels(
    mdata: MuData, basis: Sequence[str], modality: str | Sequence[str] | None, keys: EmbeddingKeys
) -> list[tuple[str, str]]:
    """``[(title, obsm key)]`` of the columns of the figure."""
    mods = as_list(modality) or [m for m in mdata.mod if keys.private(m) in mdata.obsm]
    panels = []
    for b in basis:
        if b == "shared":
            if modality is None:
                panels.append(("shared z (joint)", keys.shared_key))
            else:
                panels += [(f"shared z ({m})", keys.shared(m)) for m in mods]
        elif b == "private":
            panels += [(f"private w ({m})", keys.private(m)) for m in mods]
        else:
            panels.append((b, b))
    if not panels:
        raise ValueError(f"basis {basis!r}: no embeddings to draw (modalities: {mods})")
    return panels


def _umap(X: np.ndarray, n_neighbors: int, min_dist: float, random_state: int) -> np.ndarray:
    """scanpy's UMAP of the rows of ``X``, on a throw-away AnnData."""
    tmp = neighbors_anndata(X, n_neighbors=n_neighbors, random_state=random_state)
    sc.tl.umap(tmp, min_dist=min_dist, random_state=random_state)
    return tmp.obsm["X_umap"]


def _cached(mdata: MuData, key: str, params: dict, checksum: str, key_added: str) -> bool:
    """True when ``mdata`` holds a UMAP of the current ``obsm[key]`` made with ``params``."""
    coords = mdata.obsm.get(key_added + key)
    record = mdata.uns.get(_uns_key(key_added, key))
    if coords is None or not isinstance(record, dict) or np.shape(coords) != (mdata.n_obs, 2):
        return False
    stored = record.get("params", {})
    same = all(k in stored and stored[k] == v for k, v in params.items())
    return same and record.get("checksum") == checksum


def _umap_coords(
    mdata: MuData, key: str, X: np.ndarray, params: dict, recompute: bool, key_added: str
) -> np.ndarray:
    """UMAP coordinates of ``obsm[key]`` (NaN rows where it is NaN), cached in ``mdata``."""
    checksum = hashlib.sha1(np.ascontiguousarray(X, dtype=np.float64).tobytes()).hexdigest()
    if not recompute and _cached(mdata, key, params, checksum, key_added):
        logger.info(f"embeddings: reusing mdata.obsm[{key_added + key!r}]")
        return np.asarray(mdata.obsm[key_added + key], dtype=np.float64)
    have = present_rows(X)
    xy = np.full((mdata.n_obs, 2), np.nan, dtype=np.float32)
    xy[have] = _umap(X[have], params["n_neighbors"], params["min_dist"], params["random_state"])
    mdata.obsm[key_added + key] = xy
    mdata.uns[_uns_key(key_added, key)] = {
        "params": dict(params),
        "embedding": key,
        "checksum": checksum,
    }
    return xy.astype(np.float64)


MAX_CATEGORIES = 12
"""Default ``max_categories`` of :func:`embeddings`."""


def discrete_codes(values: pd.Series, max_categories: int) -> pd.Series | None:
    """A numeric column as categories when it holds few distinct integers, else None.

    The rule of the ``max_categories`` parameter of :func:`embeddings`; missing stays missing.
    """
    if max_categories < 1 or not is_numeric_dtype(values) or is_bool_dtype(values):
        return None
    known = values.dropna().to_numpy(dtype=float)
    if known.size == 0 or not np.isfinite(known).all() or (known != np.round(known)).any():
        return None
    distinct = np.unique(known)
    if len(distinct) > max_categories:
        return None
    present = values.notna().to_numpy()
    codes = np.full(len(values), None, dtype=object)
    codes[present] = values.to_numpy()[present].astype(float).astype(np.int64)
    categories = pd.Categorical(codes, categories=distinct.astype(np.int64))
    return pd.Series(categories, index=values.index)


def _scatter(
    ax: Axes, xy: np.ndarray, values: pd.Series, size: float, max_categories: int, legend: bool
) -> None:
    """Scatter coloured by a categorical (legend) or numeric (colour bar) column."""
    discrete = discrete_codes(values, max_categories)
    if discrete is not None:
        cats = discrete.array
    elif not is_numeric_dtype(values) or is_bool_dtype(values):
        cats = pd.Categorical(values.astype(object).where(values.notna()))
    else:
        cats = None
    if cats is not None:
        cmap = plt.get_cmap("tab10" if len(cats.categories) <= 10 else "tab20")
        missing = cats.codes < 0
        if missing.any():
            ax.scatter(*xy[missing].T, s=size, c="lightgrey", label="NA", linewidths=0)
        for k, cat in enumerate(cats.categories):
            sel = cats.codes == k
            ax.scatter(*xy[sel].T, s=size, color=cmap(k % cmap.N), label=str(cat), linewidths=0)
        if legend:
            ax.legend(
                loc="center left",
                bbox_to_anchor=(1.0, 0.5),
                fontsize="small",
                markerscale=2,
                frameon=False,
            )
    else:
        v = values.to_numpy(float)
        art = ax.scatter(*xy.T, s=size, c=v, cmap="viridis", linewidths=0, plotnonfinite=True)
        if legend:
            plt.colorbar(art, ax=ax, fraction=0.05)


@figure_doc
def embeddings(
    mdata: MuData,
    *,
    color: str | Sequence[str],
    modality: str | Sequence[str] | None = None,
    basis: Sequence[str] = ("shared", "private"),
    key_prefix: str | None = None,
    shared_key: str | None = None,
    shared_prefix: str | None = None,
    private_prefix: str | None = None,
    n_neighbors: int = 15,
    min_dist: float = 0.5,
    random_state: int = 0,
    point_size: float | None = None,
    panel_size: float = 3.2,
    recompute: bool = False,
    max_categories: int = MAX_CATEGORIES,
    key_added: str = UMAP_PREFIX,
    ax: Axes | None = None,
    save: str | Path | None = None,
    show: bool | None = None,
) -> Figure:
    """UMAPs of shared and private embeddings side by side, one row per colour column.

    With a disentangled model the shared panels separate by the shared label and mix the private
    one, and the private panels the reverse. UMAPs are computed with scanpy on temporary AnnData
    objects (samples with NaN rows, i.e. lacking the modality, are left out).

    Writes to ``mdata`` (scanpy style): the UMAP of each drawn embedding ``mdata.obsm[key]`` is
    stored in ``mdata.obsm[key_added + key]`` (by default ``"X_umap_" + key``, e.g.
    ``X_umap_X_idmvae_shared``; NaN rows where the embedding is NaN) and its parameters with a
    checksum of the embedding in ``mdata.uns["umap_" + key]`` (``key_added`` without its leading
    ``"X_"``, then ``key``). Later calls reuse it, so only the first call pays for the UMAP;
    it is recomputed when absent, when ``recompute=True``, or when the embedding or
    ``n_neighbors``/``min_dist``/``random_state`` changed since. Nothing else of ``mdata`` changes.

    Parameters
    ----------
    mdata
        Data with the embeddings in ``.obsm``.
    color
        ``mdata.obs`` column(s) to colour by: categories (strings, categoricals, booleans, and
        numeric columns of few distinct integers, see ``max_categories``) with a legend, other
        numbers with a colour bar.
    modality
        Modalities whose private (and, when given, per-modality shared) embeddings are drawn;
        default: all with a private embedding, next to the joint shared embedding.
    basis
        Columns of the figure, in order: ``"shared"`` (the joint shared embedding ``shared_key``
        when ``modality`` is None, else each modality's ``shared_prefix + m``), ``"private"``
        (``private_prefix + m`` per modality) or any ``.obsm`` key (e.g. ``"X_pca"``).
    key_prefix
        A model's ``key_prefix`` (e.g. ``"X_mmvaeplus"``); default: the embeddings recorded last
        in ``mdata.uns["idmvae"]``, else ``"X_idmvae"``.
    shared_key, shared_prefix, private_prefix
        obsm keys of the embeddings; each overrides its part of ``key_prefix``.
    n_neighbors, min_dist
        UMAP graph size and spread.
    random_state
        Seed of the neighbour search and of UMAP.
    point_size
        Marker size; default scales with the number of samples.
    panel_size
        Size of one panel in inches.
    recompute
        Recompute the UMAPs even when ``mdata`` holds them (see above).
    max_categories
        A numeric colour column whose values are all integers (``2`` or ``2.0``; missing values
        allowed) with at most this many distinct values, e.g. a tumour stage 1-4 or cluster ids,
        is drawn as categories with a legend, in increasing order; otherwise with a colour bar.
        ``0`` draws every numeric column with a colour bar (as scanpy does).
    key_added
        Prefix of the ``.obsm`` keys that receive the UMAPs (see above).
    ax
        Axes to draw into when the plot has a single panel (one ``color`` and one embedding);
        default: a new figure.
    {figure_doc}
    """
    if isinstance(max_categories, bool) or not isinstance(max_categories, int | np.integer):
        raise TypeError(f"max_categories must be an integer, got {max_categories!r}")
    if max_categories < 0:
        raise ValueError(f"max_categories must be >= 0, got {max_categories}")
    colors = as_list(color)
    if not colors:
        raise ValueError("color: expected at least one mdata.obs column")
    columns = {c: get_obs_column(mdata, c, what="color") for c in colors}
    if not isinstance(key_added, str) or not key_added:
        raise ValueError(f"key_added must be a non-empty string, got {key_added!r}")
    keys = resolve_keys(
        mdata,
        key_prefix,
        shared_key=shared_key,
        shared_prefix=shared_prefix,
        private_prefix=private_prefix,
    )
    panels = _panels(mdata, basis, modality, keys)
    one_panel(ax, len(colors) * len(panels), f"{len(colors)} colours × {len(panels)} embeddings")
    size = point_size if point_size is not None else max(2.0, 120000 / max(mdata.n_obs, 1) ** 1.5)
    size = min(size, 30.0)

    params = {
        "n_neighbors": int(n_neighbors),
        "min_dist": float(min_dist),
        "random_state": int(random_state),
    }
    coords = {}
    for _, key in panels:
        X = get_obsm(
            mdata, key, hint="run model.train() or write_embeddings() first, or pass the key"
        )
        have = present_rows(X)
        coords[key] = (have, _umap_coords(mdata, key, X, params, recompute, key_added)[have])

    figsize = (panel_size * len(panels) + 1.5, panel_size * len(colors))
    fig, axes = subplots(ax, len(colors), len(panels), figsize)
    for r, c in enumerate(colors):
        for j, (title, key) in enumerate(panels):
            panel = axes[r, j]
            have, xy = coords[key]
            _scatter(panel, xy, columns[c][have], size, max_categories, legend=j == len(panels) - 1)
            panel.set_title(f"{title}\ncoloured by {c}", fontsize="medium")
            panel.set_xticks([])
            panel.set_yticks([])
            panel.set_aspect("equal", adjustable="datalim")
    if ax is None:
        fig.tight_layout()
    return finish(fig, save, show, ax_given=ax is not None)
