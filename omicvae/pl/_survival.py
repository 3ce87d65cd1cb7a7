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
from ._utils import figure_doc, finish

__all__ = ["kaplan_meier"]


@figure_doc
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
    {figure_doc}
    """
    result = survival(mdata, groupby=groupby, time=time, event=event)
    t, e, g = survival_table(mdata, groupby=groupby, time=time, event=event)
    panel = ax if ax is not None else plt.subplots(figsize=(5, 4))[1]
    for name in result.groups.index:
        sel = g == name
        kmf = KaplanMeierFitter(label=f"{name} (n={int(sel.sum())})").fit(t[sel], e[sel])
        kmf.plot_survival_function(ax=panel, ci_show=ci)
    p = result.p_value
    text = f"log-rank p = {p:.2e}" if p < 1e-3 else f"log-rank p = {p:.3f}"
    # in the title, where it cannot cover a curve
    panel.set_title(f"{groupby}: {text}")
    panel.set_xlabel(time)
    panel.set_ylabel("survival probability")
    panel.set_ylim(0, 1.05)
    panel.set_xlim(left=0, right=float(np.max(t)))
    panel.legend(title=groupby, fontsize="small")
    return finish(panel.figure, save, show, ax_given=ax is not None)
