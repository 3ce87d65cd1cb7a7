"""Label-free redundancy check of the shared/private split: how much each w_m duplicates z."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from mudata import MuData
from sklearn.decomposition import PCA
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .._keys import resolve_keys
from .._readers import as_list, check_int, get_obsm, present_rows
from ..data import get_matrix
from ._utils import modality_representation, modality_table, resolve_modalities

__all__ = ["redundancy"]

COLUMNS = (
    "r2_z_from_w",
    "r2_z_from_w_knn",
    "r2_w_from_z",
    "r2_w_from_z_knn",
    "other_r2_z",
    "other_gain",
)
PAIR_COLUMNS = ("modality", "other", "r2_z", "r2_zw", "gain", "n_samples")
ALPHAS = np.logspace(-3, 4, 15)
_DENSE_LIMIT = 50_000_000
"""Sparse target matrices with at most this many entries are densified before the PCA."""


def _ridge() -> object:
    return make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS))


def _knn(n_neighbors: int) -> object:
    return make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=n_neighbors))


def _cv_r2(model, X: np.ndarray, Y: np.ndarray, folds: KFold) -> float:
    """Out-of-fold R² of ``model`` predicting ``Y`` from ``X``, variance-weighted over outputs."""
    if Y.shape[1] == 0 or not np.any(Y.var(axis=0) > 0):
        return np.nan
    pred = cross_val_predict(model, X, Y, cv=folds)
    return float(r2_score(Y, pred, multioutput="variance_weighted"))


def _is_counts(X) -> bool:
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return False
    return bool(np.all(values >= 0) and np.all(values == np.round(values)) and np.max(values) > 1)


def _targets(
    mdata: MuData,
    mod: str,
    *,
    layer: str | None,
    normalize: bool | str,
    n_components: int,
    random_state: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Top principal components of ``mod``'s standardised data, ``(n_obs, k)`` with NaN rows where
    ``mod`` is absent, and the presence mask."""
    adata = mdata.mod[mod]
    pos = adata.obs_names.get_indexer(mdata.obs_names)
    present = pos >= 0
    X = get_matrix(adata, mod, layer)
    X = X[pos[present]]
    X = X.astype(np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    if normalize is True or (normalize == "auto" and _is_counts(X)):
        totals = np.asarray(X.sum(axis=1), dtype=np.float64).ravel()
        target = np.median(totals[totals > 0]) if np.any(totals > 0) else 1.0
        scale = np.divide(target, totals, out=np.zeros_like(totals), where=totals > 0)
        X = sp.diags(scale) @ X if sp.issparse(X) else X * scale[:, None]
        X = X.log1p() if sp.issparse(X) else np.log1p(X)
    if sp.issparse(X) and X.shape[0] * X.shape[1] <= _DENSE_LIMIT:
        X = X.toarray()
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        mean = np.asarray(X.mean(axis=0)).ravel()
        var = np.asarray(X.multiply(X).mean(axis=0)).ravel() - mean**2
    else:
        var = X.var(axis=0)
    keep = var > 1e-12 * max(float(var.max(initial=0.0)), 1e-300)
    X = X[:, keep]
    inv_sd = 1.0 / np.sqrt(var[keep])
    X = X @ sp.diags(inv_sd) if sp.issparse(X) else (X - X.mean(axis=0)) * inv_sd
    k = min(n_components, X.shape[1], X.shape[0] - 1)
    out = np.full((mdata.n_obs, max(k, 0)), np.nan)
    if k < 1:
        return out, present
    if sp.issparse(X):
        k = min(k, min(X.shape) - 1)
        pca = PCA(n_components=k, svd_solver="arpack", random_state=random_state)
        out = out[:, :k]
    else:
        pca = PCA(n_components=k, random_state=random_state)
    out[present] = pca.fit_transform(X)
    return out, present


def redundancy(
    mdata: MuData,
    *,
    modalities: str | Sequence[str] | None = None,
    key_prefix: str | None = None,
    shared_key: str | None = None,
    shared_prefix: str | None = None,
    private_prefix: str | None = None,
    others: str | Sequence[str] | None = None,
    layers: Mapping[str, str | None] | None = None,
    normalize: bool | str = "auto",
    n_folds: int = 5,
    n_components: int = 10,
    n_neighbors: int = 15,
    random_state: int = 0,
) -> pd.DataFrame:
    """How much each private code ``w_m`` duplicates the shared code ``z``, without labels.

    Three questions, each answered by the R² of out-of-fold predictions (``KFold(n_folds,
    shuffle=True)``), variance-weighted over the output dimensions:

    - **Can z be predicted from w_m?** (``r2_z_from_w``, ``r2_z_from_w_knn``; target: the joint
      shared embedding ``obsm[shared_key]``). Near 0 (or negative) is good; towards 1, ``w_m``
      duplicates ``z``.
    - **Can w_m be predicted from z?** (``r2_w_from_z``, ``r2_w_from_z_knn``). Near 0 is good; high
      means ``w_m`` is largely a function of ``z``.
    - **Does w_m know about the other modalities beyond z?** (``other_gain``). For every other
      modality ``n``, the top ``n_components`` principal components of ``n``'s data are predicted
      from ``z_m = obsm[shared_prefix + m]`` alone and from ``[z_m, w_m]``; ``other_gain`` is the
      mean over ``n`` of R²([z_m, w_m]) − R²(z_m). Near 0 is good; clearly positive (above about
      0.02–0.05) means shared information sits in ``w_m``. ``other_r2_z`` is the baseline R²(z_m)
      (near 0, the gain says little). The baseline is ``z_m`` rather than the joint ``z``, which is
      partly computed from ``n``'s own data and would hide shared information held in ``w_m``.

    The ``_knn`` columns use a ``KNeighborsRegressor``, the others ``RidgeCV``, both on
    standardised inputs; a non-linear copy such as ``w = z**2`` shows only in ``r2_w_from_z_knn``.
    With no dependence the kNN R² is about ``-1/n_neighbors``, the ridge R² about 0. The numbers
    are lower bounds of dependence: near 0 means no redundancy was found with these regressors and
    samples, not independence (see the user guide's disentanglement page).

    Parameters
    ----------
    mdata
        Data with ``obsm[shared_key]`` and, for every analysed modality ``m``,
        ``obsm[shared_prefix + m]`` and ``obsm[private_prefix + m]`` (written by ``model.train()``
        or ``model.write_embeddings()``). Rows of samples lacking a modality are NaN and are skipped.
        ``mdata`` is not modified.
    modalities
        Modalities whose private codes are checked; default: every modality with both obsm keys.
    others
        Modalities whose data are predicted for ``other_gain``; default: every modality of
        ``mdata.mod``. Each modality ``m`` is compared with the ones of ``others`` other than ``m``.
    key_prefix
        A model's ``key_prefix`` (e.g. ``"X_mmvaeplus"``); default: the embeddings recorded last
        in ``mdata.uns["idmvae"]``, else ``"X_idmvae"``.
    shared_key
        ``obsm`` key of the joint shared embedding ``z``; overrides ``key_prefix``'s.
    shared_prefix, private_prefix
        Key prefixes of the per-modality shared and private representations; each overrides its
        part of ``key_prefix``, e.g. to check a baseline model.
    layers
        ``{modality: layer}`` read for ``other_gain``; default ``.X``.
    normalize
        How the other modalities' data are transformed before standardising: ``"auto"`` scales each
        row of count matrices (non-negative integers with values above 1) to the median row total
        and applies ``log1p``, and leaves other matrices as they are; ``True`` always does this,
        ``False`` never.
    n_folds
        Number of cross-validation folds. Every modality needs at least ``2 * n_folds`` samples.
    n_components
        Principal components of each other modality predicted for ``other_gain``. The PCA is fit
        once on every sample having that modality (it only sees the target's own data, so it
        favours neither predictor set); columns are standardised first, constant columns dropped.
        The matrix is read as numeric features (image pixels work; leave token modalities out
        with ``others=``).
    n_neighbors
        Neighbours of the kNN regressor.
    random_state
        Seed of the fold assignment (and of randomised PCA solvers).

    Returns
    -------
    One row per modality plus a ``"mean"`` row (mean over modalities). Columns:
    ``r2_z_from_w``, ``r2_z_from_w_knn``, ``r2_w_from_z``, ``r2_w_from_z_knn``, ``other_r2_z``,
    ``other_gain`` (NaN when there is no other modality, or none with at least ``2 * n_folds``
    samples in common) and ``n_samples`` (samples with both ``z`` and ``w_m``). The per-pair numbers
    behind ``other_gain`` are in ``table.attrs["other_pairs"]``, a DataFrame with columns
    ``modality``, ``other``, ``r2_z``, ``r2_zw``, ``gain`` and ``n_samples`` (samples having both).

    Examples
    --------
    >>> model.train()  # writes the embeddings into mdata.obsm  # doctest: +SKIP
    >>> ov.tl.redundancy(mdata)  # doctest: +SKIP
    """
    n_folds = check_int(n_folds, "n_folds", 2)
    n_components = check_int(n_components, "n_components", 1)
    n_neighbors = check_int(n_neighbors, "n_neighbors", 1)
    if normalize not in (True, False, "auto"):
        raise ValueError(f"normalize must be True, False or 'auto', got {normalize!r}")
    others = list(mdata.mod) if others is None else as_list(others)
    missing = [o for o in others if o not in mdata.mod]
    if missing:
        raise KeyError(f"others names modalities {missing} not in mdata.mod {list(mdata.mod)}")
    layers = dict(layers or {})
    unknown = set(layers) - set(mdata.mod)
    if unknown:
        raise KeyError(
            f"layers names modalities {sorted(unknown)} not in mdata.mod {list(mdata.mod)}"
        )
    keys = resolve_keys(
        mdata,
        key_prefix,
        shared_key=shared_key,
        shared_prefix=shared_prefix,
        private_prefix=private_prefix,
    )
    shared_key = keys.shared_key
    shared_prefix, private_prefix = keys.shared_prefix, keys.private_prefix
    hint = (
        "train the model (model.train() or model.write_embeddings() writes it) or pass shared_key="
    )
    z = get_obsm(mdata, shared_key, hint=hint)
    mods = resolve_modalities(
        mdata, modalities, {"shared_prefix": shared_prefix, "private_prefix": private_prefix}
    )
    folds = KFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    min_n = 2 * n_folds

    rows, pairs, targets = {}, [], {}
    for m in mods:
        z_m = modality_representation(mdata, shared_prefix, m, param="shared_prefix")
        w_m = modality_representation(mdata, private_prefix, m, param="private_prefix")
        have = present_rows(z) & present_rows(w_m)
        n = int(have.sum())
        if n < min_n:
            raise ValueError(
                f"modality {m!r}: {n} samples have both {shared_key!r} and "
                f"{private_prefix + m!r}; n_folds={n_folds} needs at least {min_n}"
            )
        Z, W = z[have], w_m[have]
        k = min(n_neighbors, n - n // n_folds - 1)
        rows[m] = {
            "r2_z_from_w": _cv_r2(_ridge(), W, Z, folds),
            "r2_z_from_w_knn": _cv_r2(_knn(k), W, Z, folds),
            "r2_w_from_z": _cv_r2(_ridge(), Z, W, folds),
            "r2_w_from_z_knn": _cv_r2(_knn(k), Z, W, folds),
            "n_samples": n,
        }
        for other in others:
            if other == m:
                continue
            if other not in targets:
                targets[other] = _targets(
                    mdata,
                    other,
                    layer=layers.get(other),
                    normalize=normalize,
                    n_components=n_components,
                    random_state=random_state,
                )
            Y, present = targets[other]
            both = present_rows(z_m) & present_rows(w_m) & present
            n_both = int(both.sum())
            r2_z = r2_zw = np.nan
            if n_both >= min_n:
                r2_z = _cv_r2(_ridge(), z_m[both], Y[both], folds)
                r2_zw = _cv_r2(_ridge(), np.hstack([z_m[both], w_m[both]]), Y[both], folds)
            pairs.append((m, other, r2_z, r2_zw, r2_zw - r2_z, n_both))

    pair_table = pd.DataFrame(pairs, columns=list(PAIR_COLUMNS))
    for m in mods:
        sub = pair_table[pair_table["modality"] == m]
        rows[m]["other_r2_z"], rows[m]["other_gain"] = sub["r2_z"].mean(), sub["gain"].mean()

    table = modality_table(rows, COLUMNS, ["n_samples"])
    table.attrs["other_pairs"] = pair_table
    return table
