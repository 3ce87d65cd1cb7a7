"""Helpers of the analysis functions: which modalities to analyse, their representations, splits.

The readers ``ov.pl`` needs too live in :mod:`omicvae._readers` (re-exported here) and the
embedding key names in :mod:`omicvae._keys`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mudata import MuData
from sklearn.model_selection import train_test_split

from .._readers import (
    as_list,
    get_obs_column,
    get_obsm,
    label_array,
    modality_matrix,
    present_rows,
)

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
                "run model.train() or write_embeddings() first, or pass key_prefix= (or the prefix "
                "arguments)"
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


def split_masks(
    mdata: MuData,
    *,
    split: str | None,
    test_size: float,
    random_state: int,
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
    random_state
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
    tr, te = train_test_split(
        idx, test_size=test_size, random_state=random_state, stratify=stratify
    )
    train = np.zeros(n, dtype=bool)
    test = np.zeros(n, dtype=bool)
    train[tr] = True
    test[te] = True
    return train, test
