"""Reading what ``ov.tl`` and ``ov.pl`` both need from a MuData or a model, in one place.

Embeddings (:func:`get_obsm`, :func:`present_rows`), ``obs`` columns (:func:`get_obs_column`,
:func:`label_array`, :func:`survival_table`), modality values (:func:`modality_matrix`), the image
modalities of a model (:func:`image_modalities`), the deprecated ``seed=`` keyword
(:func:`resolve_random_state`) and integer arguments (:func:`check_int`). Neither subpackage
imports the other's private modules.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from mudata import MuData


def as_list(value: str | Sequence[str] | None) -> list[str]:
    """Return ``value`` as a list of strings (``None`` becomes an empty list)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def check_int(value: Any, name: str, minimum: int) -> int:
    """Return ``value`` as an int, or raise a ValueError unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def get_obsm(mdata: MuData, key: str, *, hint: str = "") -> np.ndarray:
    """``mdata.obsm[key]`` as a 2-D float array; ``hint`` (what to do) replaces the list of keys
    in the error message when the key is missing."""
    if key not in mdata.obsm:
        msg = f"obsm key {key!r} not found"
        msg += f"; {hint}" if hint else f"; available keys: {sorted(mdata.obsm.keys())}"
        raise KeyError(msg)
    X = mdata.obsm[key]
    if isinstance(X, pd.DataFrame):
        X = X.to_numpy()
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != mdata.n_obs:
        raise ValueError(
            f"obsm key {key!r}: expected a 2-D array with {mdata.n_obs} rows, found shape {X.shape}"
        )
    return X


def present_rows(X: np.ndarray) -> np.ndarray:
    """Boolean mask of rows whose entries are all finite (NaN rows mark a missing modality)."""
    return np.isfinite(X).all(axis=1)


def get_obs_column(mdata: MuData, column: str, *, what: str = "label") -> pd.Series:
    """Return ``mdata.obs[column]`` or raise an error naming the column."""
    if column not in mdata.obs.columns:
        raise KeyError(
            f"{what} column {column!r} not found in mdata.obs; "
            f"available columns: {list(mdata.obs.columns)}"
        )
    return mdata.obs[column]


def label_array(
    mdata: MuData, column: str, *, what: str = "label"
) -> tuple[np.ndarray, np.ndarray]:
    """Labels of ``mdata.obs[column]`` as an object array plus a mask of non-missing entries."""
    series = get_obs_column(mdata, column, what=what)
    return series.astype(object).to_numpy(), series.notna().to_numpy()


def modality_matrix(mdata: MuData, mod: str) -> tuple[np.ndarray, np.ndarray]:
    """Dense ``mdata.mod[mod].X`` aligned to ``mdata.obs`` (NaN rows for samples lacking ``mod``)
    and the presence mask."""
    if mod not in mdata.mod:
        raise KeyError(f"modality {mod!r} not found; available modalities: {list(mdata.mod)}")
    adata = mdata.mod[mod]
    pos = adata.obs_names.get_indexer(mdata.obs_names)
    present = pos >= 0
    X = adata.X
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    out = np.full((mdata.n_obs, X.shape[1]), np.nan, dtype=np.float64)
    out[present] = X[pos[present]]
    return out, present


def time_event(mdata: MuData, time: str, event: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Durations, event indicators (0/1) and the mask of samples where both are known."""
    t = pd.to_numeric(get_obs_column(mdata, time, what="time"), errors="coerce").to_numpy(float)
    e_col = get_obs_column(mdata, event, what="event")
    e = pd.to_numeric(e_col.astype(object).where(e_col.notna()), errors="coerce").to_numpy(float)
    ok = np.isfinite(t) & np.isfinite(e)
    if (t[ok] < 0).any():
        raise ValueError(f"time column {time!r}: expected non-negative durations")
    if not np.isin(e[ok], (0, 1)).all():
        raise ValueError(f"event column {event!r}: expected 0/1 or boolean values")
    return t, np.where(ok, e, 0).astype(int), ok


def survival_table(
    mdata: MuData, *, groupby: str, time: str, event: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Durations, events and group labels of the samples with all three known."""
    t, e, ok = time_event(mdata, time, event)
    g = get_obs_column(mdata, groupby, what="groupby")
    ok = ok & g.notna().to_numpy()
    return t[ok], e[ok], g.astype(str).to_numpy()[ok]


def _is_image(likelihood: str) -> bool:
    from omicvae.distributions import likelihood_class

    return likelihood_class(likelihood).network == "conv"


def image_modalities(model: Any, modalities: str | Sequence[str] | None, *, what: str) -> list[str]:
    """The image modalities to use: ``modalities`` (each checked) or, when None, all of
    ``model.registry``'s; a ValueError names the caller ``what`` and the offending likelihoods."""
    registry = model.registry
    likelihoods = {m: registry[m].likelihood for m in registry.modality_names()}
    if modalities is None:
        mods = [m for m, lik in likelihoods.items() if _is_image(lik)]
        if not mods:
            raise ValueError(
                f"{what} is for image modalities (likelihood 'image'), and the model "
                f"has none: its modalities have likelihoods {likelihoods}"
            )
        return mods
    mods = as_list(modalities)
    for m in mods:
        lik = registry[m].likelihood
        if not _is_image(lik):
            raise ValueError(
                f"{what} is for image modalities (likelihood 'image'): modality {m!r} "
                f"has likelihood {lik!r}"
            )
    return mods


def resolve_random_state(random_state: int, seed: int | None, *, where: str) -> int:
    """The seed of function ``where``, whose ``seed=`` keyword was renamed ``random_state=``.

    A given ``seed`` is used, with a FutureWarning at the caller's line; a TypeError when
    ``random_state`` (default 0 in every function) was given too, with another value.
    """
    if seed is None:
        return random_state
    if random_state not in (0, seed):
        raise TypeError(
            f"{where}: got seed={seed!r} and random_state={random_state!r}; pass random_state only"
        )
    warnings.warn(
        f"{where}: seed= is deprecated and will be removed; use random_state= (the same seed, "
        "the name every ov.tl and ov.pl function uses)",
        FutureWarning,
        stacklevel=3,
    )
    return seed
