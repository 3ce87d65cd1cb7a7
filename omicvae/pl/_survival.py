"""Kaplan–Meier curves per group with the log-rank p-value."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from lifelines import KaplanMeierFitter
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from mudata import MuData

from .._readers import survival_table
from ..tl import survival
from ._utils import finish

__all__ = ["kaplan_meier"]


def kaplan_meier(
    mdata: MuData,
    *,
    groupby: str,
    time: str = "survival_time",
    event: str = "survival_event",
    ci: bool = False,
    ax: Axes | None = None,
    save: str | Path | None = None,
    show: bool | None = None,
) -> Figure:
    """Kaplan–Meier survival curves of each group, with the log-rank p-value in the title.

    Parameters
    ----------
    mdata
        Data with the survival columns in ``.obs``.
    groupby
        ``mdata.obs`` column of the groups (e.g. leiden clusters).
    time, event
        ``mdata.obs`` columns of durations and event indicators.
    ci
        Draw the 95 % confidence bands.
    ax
        Axes to draw into; default: a new figure.
    save
        Path to save the figure to.
    show
        Show the figure with ``plt.show()``. Default (None), as in scanpy: show unless ``ax`` is
        given or ``scanpy.settings.autoshow`` is False. The figure is returned either way.

    Returns
    -------
    The figure (of ``ax`` when given).
    """
    result = survival(mdata, groupby=groupby, time=time, event=event)
    t, e, g = survival_table(mdata, groupby=groupby, time=time, event=event)
    given = ax is not None
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    for name in result.groups.index:
        sel = g == name
        label = f"{name} (n={int(sel.sum())})"
        KaplanMeierFitter(label=label).fit(t[sel], e[sel]).plot_survival_function(ax=ax, ci_show=ci)
    p = result.p_value
    text = f"log-rank p = {p:.2e}" if p < 1e-3 else f"log-rank p = {p:.3f}"
    # in the title, where it cannot cover a curve
    ax.set_title(f"{groupby}: {text}")
    ax.set_xlabel(time)
    ax.set_ylabel("survival probability")
    ax.set_ylim(0, 1.05)
    ax.set_xlim(left=0, right=float(np.max(t)))
    ax.legend(title=groupby, fontsize="small")
    return finish(ax.figure, save, show, ax_given=given)
