"""Plots of the interpretation methods: the variance-explained heatmap and the feature ranking."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from mudata import MuData

from ._utils import figure_doc, finish, subplots

__all__ = ["feature_attribution", "variance_explained"]

_PARTS = ("shared", "private")


def _variance_table(data, key: str) -> pd.DataFrame:
    if isinstance(data, MuData):
        if key not in data.uns:
            raise KeyError(
                f"mdata.uns[{key!r}] is missing: run model.variance_explained() first, or pass its "
                "DataFrame"
            )
        table = pd.DataFrame(data.uns[key])
    elif isinstance(data, pd.DataFrame):
        table = data.reset_index()
    else:
        raise TypeError(f"data must be a MuData or a DataFrame, got {type(data).__name__}")
    missing = [c for c in ("modality", *_PARTS) if c not in table.columns]
    if missing:
        raise ValueError(f"the variance-explained table lacks the columns {missing}")
    if "feature" in table.columns:
        raise ValueError(
            "the table is per feature (by_feature=True); draw the per-modality one "
            "(model.variance_explained()) or rank features with ov.pl.feature_attribution"
        )
    return table


@figure_doc
def variance_explained(
    data: MuData | pd.DataFrame,
    *,
    key: str = "idmvae_variance_explained",
    ax: Axes | None = None,
    cmap: str = "Blues",
    save: str | Path | None = None,
    show: bool | None = None,
) -> Figure:
    """Heatmap of the variance each modality's shared and private codes explain (MOFA+-style).

    Rows are modalities, columns ``shared`` and ``private``; each cell shows the percentage, and
    the row label the joint value (z and w_m together). With groups (``groupby=``), one panel per
    group.

    Parameters
    ----------
    data
        A MuData holding ``uns[key]`` (written by ``model.variance_explained``) or the DataFrame
        that method returned.
    key
        ``mdata.uns`` key (``"mmvaeplus_variance_explained"`` for MMVAE+).
    ax
        Axes to draw into (a single panel: a table without groups); default: a new figure.
    cmap
        Matplotlib colour map.
    {figure_doc}
    """
    table = _variance_table(data, key)
    groups = list(pd.unique(table["group"])) if "group" in table.columns else [None]
    if ax is not None and len(groups) != 1:
        raise ValueError(
            f"ax: draws a single panel, but this table has {len(groups)} groups; "
            "leave ax=None for one panel per group"
        )
    figsize = (2.6 * len(groups) + 1.2, 0.55 * table["modality"].nunique() + 1.4)
    fig, axes = subplots(ax, 1, len(groups), figsize)
    vmax = max(float(np.nanmax(table[list(_PARTS)].to_numpy())), 1e-6)
    for panel, g in zip(axes[0], groups, strict=True):
        sub = table if g is None else table[table["group"] == g]
        values = sub[list(_PARTS)].to_numpy(dtype=float)
        image = panel.imshow(values, cmap=cmap, vmin=0.0, vmax=vmax, aspect="auto")
        for (i, j), v in np.ndenumerate(values):
            colour = "white" if v > 0.6 * vmax else "black"
            panel.text(j, i, f"{100 * v:.0f}%", ha="center", va="center", color=colour)
        panel.set_xticks(range(len(_PARTS)), list(_PARTS))
        labels = [
            f"{mod} (joint {100 * j:.0f}%)"
            for mod, j in zip(sub["modality"], sub["joint"], strict=True)
        ]
        panel.set_yticks(range(len(labels)), labels)
        panel.set_title("variance explained" if g is None else str(g))
    fig.colorbar(image, ax=list(axes[0]), label="R²", shrink=0.8)
    return finish(fig, save, show, ax_given=ax is not None)


@figure_doc
def feature_attribution(
    frame: pd.DataFrame,
    *,
    column: str = "shared",
    other: str | None = "private",
    n_top: int = 20,
    ax: Axes | None = None,
    save: str | Path | None = None,
    show: bool | None = None,
) -> Figure:
    """Horizontal bars of the ``n_top`` features with the largest ``column``, ``other`` beside.

    Parameters
    ----------
    frame
        A table indexed by feature names, e.g. ``model.feature_attribution(modality)``
        (columns ``shared`` / ``private``) or ``model.encoder_attribution(...)``.
    column
        Column ranked (largest first).
    other
        A second column drawn beside each bar for comparison (None: none).
    n_top
        Number of features shown.
    ax
        Axes to draw into; default: a new figure.
    {figure_doc}
    """
    for name in (column, other):
        if name is not None and name not in frame.columns:
            raise KeyError(f"column {name!r} is not in the table; columns: {list(frame.columns)}")
    if isinstance(n_top, bool) or not isinstance(n_top, int) or n_top < 1:
        raise ValueError(f"n_top must be a positive integer, got {n_top!r}")
    top = frame.sort_values(column, ascending=False).head(n_top).iloc[::-1]
    panel = ax if ax is not None else plt.subplots(figsize=(4.5, 0.25 * len(top) + 1.0))[1]
    y = np.arange(len(top))
    height = 0.4 if other is not None else 0.8
    panel.barh(y + (height / 2 if other else 0), top[column], height=height, label=column)
    if other is not None:
        panel.barh(y - height / 2, top[other], height=height, label=other, color="0.6")
        panel.legend(loc="lower right", fontsize="small")
    panel.set_yticks(y, [str(i) for i in top.index])
    panel.set_xlabel(column if other is None else f"{column} / {other}")
    panel.set_title(f"top {len(top)} features by {column}")
    return finish(panel.figure, save, show, ax_given=ax is not None)
