"""Helpers of the analysis functions: which modalities to analyse, their representations, splits
and per-modality result tables (the readers ``ov.pl`` needs too live in :mod:`omicvae._readers`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from mudata import MuData
from sklearn.model_selection import train_test_split

from .._readers import as_list, get_obs_column, get_obsm


def _missing_key_hint(param: str) -> str:
    return f"run model.train() or write_embeddings() first, or pass {param}="


def resolve_modalities(
    mdata: MuData,
    modalities: str | Sequence[str] | None,
    prefixes: dict[str, str],
) -> list[str]:
    """The requested ``modalities``, or (None) those of ``mdata.mod`` with an ``.obsm`` key for each
    of ``prefixes`` (``{parameter name: obsm key prefix}``, named in the errors)."""
    if modalities is None:
        mods = [m for m in mdata.mod if all(p + m in mdata.obsm for p in prefixes.values())]
        if not mods:
            expected = ", ".join(f"{p}<mod> ({param}=)" for param, p in prefixes.items())
            raise KeyError(
                f"no modality of {list(mdata.mod)} has obsm keys {expected}; "
                f"{_missing_key_hint('key_prefix')} (or the prefix arguments)"
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


def modality_table(rows: dict, columns: Sequence[str], counts: Sequence[str]) -> pd.DataFrame:
    """``{modality: row}`` as a table plus a ``"mean"`` row of the float ``columns``; the ``counts``
    columns are Int64, NA in that row."""
    table = pd.DataFrame.from_dict(rows, orient="index")[[*columns, *counts]]
    table = table.astype(dict.fromkeys(columns, float))
    table.loc["mean"] = table[list(columns)].mean(axis=0)
    table[list(counts)] = table[list(counts)].astype("Int64")
    return table.rename_axis("modality")


def index_mask(n: int, indices: np.ndarray) -> np.ndarray:
    """Boolean mask of length ``n``, True at ``indices``."""
    mask = np.zeros(n, dtype=bool)
    mask[indices] = True
    return mask


def split_masks(
    mdata: MuData, *, split: str | None, test_size: float, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test masks over ``mdata.obs``: from the ``"train"``/``"test"`` values of column
    ``split`` (other values are ignored), or a random split when None."""
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
    n = mdata.n_obs
    tr, te = train_test_split(np.arange(n), test_size=test_size, random_state=random_state)
    return index_mask(n, tr), index_mask(n, te)
