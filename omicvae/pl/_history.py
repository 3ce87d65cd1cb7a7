"""Training curves from ``model.history``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._utils import finish, one_panel

__all__ = ["history"]


def history(
    model_or_history: Any,
    *,
    keys: Sequence[str] | None = None,
    ncols: int = 3,
    logy: bool = False,
    panel_size: tuple[float, float] = (3.5, 2.6),
    ax: Axes | None = None,
    save: str | Path | None = None,
    show: bool | None = None,
) -> Figure:
    """Training curves: one panel per loss term, train and validation against epoch.

    Parameters
    ----------
    model_or_history
        A trained model (its ``history`` is used) or a ``{term: DataFrame}`` dict whose frames are
        indexed by epoch with columns ``"train"`` and optionally ``"validation"``.
    keys
        Loss terms to draw, in order; default: all.
    ncols
        Panels per row.
    logy
        Logarithmic y axes (only for terms that stay positive).
    panel_size
        Width and height of one panel in inches.
    ax
        Axes to draw into when a single loss term is drawn (``keys=["loss"]``); default: a new
        figure.
    save
        Path to save the figure to.
    show
        Show the figure with ``plt.show()``. Default (None), as in scanpy: show unless ``ax`` is
        given or ``scanpy.settings.autoshow`` is False. The figure is returned either way.

    Returns
    -------
    The figure (of ``ax`` when given).
    """
    hist = getattr(model_or_history, "history", model_or_history)
    if not isinstance(hist, Mapping) or not hist:
        raise ValueError(
            "history: expected a model with a non-empty .history or a {term: DataFrame} dict"
        )
    keys = list(keys) if keys is not None else list(hist)
    missing = [k for k in keys if k not in hist]
    if missing:
        raise KeyError(f"history has no loss terms {missing}; available: {list(hist)}")
    one_panel(ax, len(keys), f"{len(keys)} loss terms")
    if ax is None:
        ncols = max(1, min(ncols, len(keys)))
        nrows = -(-len(keys) // ncols)
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows), squeeze=False
        )
    else:
        fig, axes = ax.figure, np.array([[ax]])
    for panel, key in zip(axes.flat, keys, strict=False):
        frame = pd.DataFrame(hist[key])
        for col, style in (("train", "-"), ("validation", "--")):
            if col in frame and frame[col].notna().any():
                panel.plot(frame.index, frame[col].to_numpy(float), style, label=col)
        values = frame.to_numpy(float)
        values = values[np.isfinite(values)]
        if logy and values.size and values.min() > 0:
            panel.set_yscale("log")
        panel.set_title(key)
        panel.set_xlabel("epoch")
        panel.legend(fontsize="small")
    for panel in axes.flat[len(keys) :]:
        panel.set_visible(False)
    if ax is None:
        fig.tight_layout()
    return finish(fig, save, show, ax_given=ax is not None)
