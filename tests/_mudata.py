"""Test helpers: toy MuData objects and a check that a MuData was left unchanged.

Used by the tests that must show that an omicvae call leaves the user's MuData as it was.
"""

from __future__ import annotations

import copy
from typing import Any

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd
import scipy.sparse as sp

from omicvae.data._registry import SETUP_UNS_KEY


def toy_modality(
    values, obs_names, prefix: str, *, layers: dict | None = None, uns: dict | None = None
) -> ad.AnnData:
    """An AnnData with the given X (dense or sparse), sample names and features ``prefix0..``."""
    n_vars = values.shape[1]
    return ad.AnnData(
        X=values,
        obs=pd.DataFrame(index=pd.Index([str(o) for o in obs_names])),
        var=pd.DataFrame(index=pd.Index([f"{prefix}{j}" for j in range(n_vars)])),
        layers=layers,
        uns=uns,
    )


def make_mudata(mods: dict[str, ad.AnnData], obs: dict[str, Any] | None = None) -> md.MuData:
    """A MuData of ``mods``; ``obs`` columns (aligned to the global obs_names) are added after."""
    with md.set_options(pull_on_update=False):
        mdata = md.MuData(mods)
    for key, values in (obs or {}).items():
        mdata.obs[key] = values
    return mdata


# --------------------------------------------------------------------------------------------------
# unchanged check


def _copy_matrix(matrix):
    if matrix is None:
        return None
    if sp.issparse(matrix):
        return matrix.copy()
    return np.array(matrix, copy=True)


def _snapshot_anndata_like(obj) -> dict[str, Any]:
    is_anndata = isinstance(obj, ad.AnnData)
    return {
        "X": _copy_matrix(obj.X) if is_anndata else None,
        "X_ref": obj.X if is_anndata else None,
        "layers": {k: _copy_matrix(v) for k, v in obj.layers.items()} if is_anndata else {},
        "obs": obj.obs.copy(deep=True),
        "var": obj.var.copy(deep=True),
        "obs_names": obj.obs_names.copy(),
        "var_names": obj.var_names.copy(),
        "uns": copy.deepcopy(dict(obj.uns)),
        "obsm": {
            k: _copy_matrix(np.asarray(v) if isinstance(v, pd.DataFrame) else v)
            for k, v in obj.obsm.items()
        },
    }


def snapshot_mudata(mdata: md.MuData) -> dict[str, Any]:
    """Deep copies of everything a setup could touch: X, layers, obs, var, uns, obsm (all levels)."""
    return {
        "global": _snapshot_anndata_like(mdata),
        "mods": {name: _snapshot_anndata_like(a) for name, a in mdata.mod.items()},
    }


def _matrices_equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if sp.issparse(a) or sp.issparse(b):
        if not (sp.issparse(a) and sp.issparse(b)) or a.format != b.format:
            return False
        pairs = ((a.data, b.data), (a.indices, b.indices), (a.indptr, b.indptr))
    else:
        a, b = np.asarray(a), np.asarray(b)
        pairs = ((a, b),)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return all(np.array_equal(x, y, equal_nan=x.dtype.kind == "f") for x, y in pairs)


def _values_equal(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_values_equal(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray | list | tuple) or isinstance(b, np.ndarray | list | tuple):
        if type(a) is not type(b):
            return False
        return bool(np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))
    return bool(a == b) if not (a is None or b is None) else a is b


def _diff_anndata_like(before: dict, obj, where: str, allowed_uns=()) -> list[str]:
    now = _snapshot_anndata_like(obj)
    problems = []
    if isinstance(obj, ad.AnnData) and obj.X is not before["X_ref"]:
        problems.append(f"{where}.X was replaced")
    if not _matrices_equal(before["X"], now["X"]):
        problems.append(f"{where}.X changed")
    problems += _diff_matrices(before, now, "layers", where)
    for attr in ("obs", "var"):
        a, b = before[attr], now[attr]
        if not (a.equals(b) and a.index.equals(b.index) and list(a.dtypes) == list(b.dtypes)):
            problems.append(f"{where}.{attr} changed")
    for attr in ("obs_names", "var_names"):
        if not before[attr].equals(now[attr]):
            problems.append(f"{where}.{attr} changed")
    uns_before = {k: v for k, v in before["uns"].items() if k not in allowed_uns}
    uns_now = {k: v for k, v in now["uns"].items() if k not in allowed_uns}
    if not _values_equal(uns_before, uns_now):
        problems.append(f"{where}.uns changed")
    return problems + _diff_matrices(before, now, "obsm", where)


def _diff_matrices(before: dict, now: dict, attr: str, where: str) -> list[str]:
    """Differences between two snapshots' ``layers`` or ``obsm``."""
    if before[attr].keys() != now[attr].keys():
        return [f"{where}.{attr} keys changed"]
    return [
        f"{where}.{attr}[{k!r}] changed"
        for k in before[attr]
        if not _matrices_equal(before[attr][k], now[attr][k])
    ]


def assert_mudata_unchanged(
    mdata: md.MuData, snapshot: dict[str, Any], *, allowed_uns: tuple[str, ...] = (SETUP_UNS_KEY,)
) -> None:
    """Raise AssertionError listing every difference between ``mdata`` and ``snapshot``.

    ``allowed_uns``: keys of the global ``mdata.uns`` that may have been added or changed; by
    default the one key ``setup_mudata`` writes (``SETUP_UNS_KEY``). Pass ``()`` to allow none.
    """
    problems = _diff_anndata_like(snapshot["global"], mdata, "mdata", allowed_uns)
    if list(mdata.mod) != list(snapshot["mods"]):
        problems.append("mdata.mod keys changed")
    else:
        for name, before in snapshot["mods"].items():
            problems += _diff_anndata_like(before, mdata.mod[name], f"mdata.mod[{name!r}]")
    assert not problems, "; ".join(problems)
