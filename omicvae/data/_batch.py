"""The categorical batch covariate: its categories and integer codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from mudata import MuData

from ._access import preview


def batch_column(mdata: MuData, batch_key: str) -> pd.Series:
    """Return ``mdata.obs[batch_key]``; KeyError if absent, ValueError if it has missing values."""
    if not isinstance(batch_key, str):
        raise TypeError(f"batch_key must be a column name (str), got {batch_key!r}")
    if batch_key not in mdata.obs.columns:
        raise KeyError(
            f"batch_key {batch_key!r} is not a column of mdata.obs; available columns: "
            f"{list(mdata.obs.columns)}"
        )
    column = mdata.obs[batch_key]
    missing = column.isna().to_numpy()
    if missing.any():
        raise ValueError(
            f"batch_key {batch_key!r}: mdata.obs[{batch_key!r}] has {int(missing.sum())} missing "
            f"(NaN) values (e.g. samples {preview(mdata.obs_names[missing])}); give every sample "
            "a batch"
        )
    return column


def batch_categories(column: pd.Series) -> tuple[str, ...]:
    """Categories observed in the column, as strings.

    Declared order for a categorical column (unused categories dropped), sorted order otherwise
    (numerically for numbers).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        used = set(column.unique())
        return tuple(str(c) for c in column.cat.categories if c in used)
    values = pd.unique(column.to_numpy())
    try:
        values = sorted(values)
    except TypeError:  # mixed types: order by their text
        values = sorted(values, key=str)
    return tuple(str(v) for v in values)


def batch_codes(column: pd.Series, categories: tuple[str, ...], batch_key: str) -> np.ndarray:
    """Integer code of every sample's batch in ``categories``; ValueError for unknown batches."""
    text = column.astype(str).to_numpy()
    codes = pd.Index(categories).get_indexer(text)
    unknown = codes < 0
    if unknown.any():
        raise ValueError(
            f"batch_key {batch_key!r}: batches {preview(pd.unique(text[unknown]))} were not seen "
            f"when the model was set up (known: {preview(categories, 20)})"
        )
    return codes.astype(np.int64)
