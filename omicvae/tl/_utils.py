"""Shared helpers for the analysis functions: reading representations, labels and splits."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from mudata import MuData
from sklearn.model_selection import train_test_split

__all__ = [
    "as_list",
    "get_obs_column",
    "get_obsm",
    "label_array",
    "modality_matrix",
    "modality_representation",
    "present_rows",
    "resolve_modalities",
    "split_masks",
]


def as_list(value: str | Sequence[str] | None) -> list[str]:
    """Return ``value`` as a list of strings (``None`` becomes an empty list)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def get_obsm(mdata: MuData, key: str, *, hint: str = "") -> np.ndarray:
    """Return ``mdata.obsm[key]`` as a 2-D float array.

    Parameters
    ----------
    mdata
        The data.
    key
        ``.obsm`` key.
    hint
        Text appended to the error message when the key is missing (what to do about it).
    """
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


def _missing_key_hint(param: str) -> str:
    return f"run model.train() or write_embeddings() first, or pass {param}="


def resolve_modalities(
    mdata: MuData,
    modalities: str | Sequence[str] | None,
    prefixes: dict[str, str],
) -> list[str]:
    """Choose the modalities to analyse.

    Parameters
    ----------
    mdata
        The data.
    modalities
        Requested modality names, or ``None`` for every modality of ``mdata.mod`` that has an
        ``.obsm`` entry for each of ``prefixes``.
    prefixes
        ``{parameter name: obsm key prefix}`` that every chosen modality must have.

    Returns
    -------
    The modality names, in ``mdata.mod`` order when inferred.
    """
    if modalities is None:
        mods = [m for m in mdata.mod if all(p + m in mdata.obsm for p in prefixes.values())]
        if not mods:
            expected = ", ".join(f"{p}<mod> ({param}=)" for param, p in prefixes.items())
            raise KeyError(
                f"no modality of {list(mdata.mod)} has obsm keys {expected}; "
                "run model.train() or write_embeddings() first, or pass the prefix arguments"
            )
        return mods
    mods = as_list(modalities)
    for m in mods:
        for param, p in prefixes.items():
            if p + m not in mdata.obsm:
                raise KeyError(
                    f"modality {m!r}: obsm key {p + m!r} not found; {_missing_key_hint(param)}"
                )
    return mods


def modality_representation(mdata: MuData, prefix: str, mod: str, *, param: str) -> np.ndarray:
    """Return ``mdata.obsm[prefix + mod]``; rows of samples lacking ``mod`` are NaN."""
    return get_obsm(mdata, prefix + mod, hint=f"modality {mod!r}: " + _missing_key_hint(param))


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
    valid = series.notna().to_numpy()
    values = series.astype(object).to_numpy()
    return values, valid


def split_masks(
    mdata: MuData,
    *,
    split: str | None,
    test_size: float,
    seed: int,
    stratify: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test masks over ``mdata.obs``.

    Parameters
    ----------
    mdata
        The data.
    split
        ``mdata.obs`` column with values ``"train"`` and ``"test"`` (other values are ignored; with no
        ``"test"`` values, every non-``"train"`` sample is held out), or ``None`` for a random split.
    test_size
        Held-out fraction of a random split.
    seed
        Seed of a random split.
    stratify
        Optional labels (no missing values) to stratify a random split on.
    """
    n = mdata.n_obs
    if split is not None:
        col = get_obs_column(mdata, split, what="split").astype(str).to_numpy()
        train = col == "train"
        # without explicit "test" rows, everything that is not training data is held out
        test = col == "test" if (col == "test").any() else ~train & (col != "nan")
        if not train.any() or not test.any():
            raise ValueError(
                f"split column {split!r}: expected values 'train' and 'test', "
                f"found {sorted(set(col))}"
            )
        return train, test
    idx = np.arange(n)
    tr, te = train_test_split(idx, test_size=test_size, random_state=seed, stratify=stratify)
    train = np.zeros(n, dtype=bool)
    test = np.zeros(n, dtype=bool)
    train[tr] = True
    test[te] = True
    return train, test


def modality_matrix(mdata: MuData, mod: str) -> tuple[np.ndarray, np.ndarray]:
    """Dense ``mdata.mod[mod].X`` aligned to ``mdata.obs``.

    Returns
    -------
    The matrix (rows of samples lacking ``mod`` are NaN) and the presence mask.
    """
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
