"""Training curves from ``model.history``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._readers import check_int
from ._utils import figure_doc, finish, one_panel, subplots

__all__ = ["cross_mi_chance", "history"]


def cross_mi_chance(n_modalities: int, batch_size: int) -> float:
    """Chance value of the ``cross_mi`` term: ``n_modalities * log(2 * batch_size - 1)``.

    ``cross_mi`` sums an NT-Xent loss over the ``M (M - 1)`` ordered pairs of modalities and divides
    by ``M - 1``; when the shared codes of different modalities carry nothing in common, each
    anchor's own partner is one of ``2B - 1`` equally likely candidates, so each pair scores
    ``log(2B - 1)``. ``B`` is the number of samples of a batch that both modalities of a pair have
    (smaller for the last batch and with missing modalities).

    Parameters
    ----------
    n_modalities
        Number of modalities ``M`` (at least 2; one modality has no ``cross_mi``).
    batch_size
        Samples per batch ``B`` (at least 1).
    """
    check_int(n_modalities, "n_modalities", 2)
    check_int(batch_size, "batch_size", 1)
    return float(n_modalities * np.log(2 * batch_size - 1))


@figure_doc
def history(
    model_or_history: Any,
    *,
    keys: Sequence[str] | None = None,
    ncols: int = 3,
    logy: bool = False,
    panel_size: tuple[float, float] = (3.5, 2.6),
    batch_size: int | None = None,
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
    batch_size
        The ``batch_size`` the model was trained with. Given together with a model, the
        ``cross_mi`` panel gets a dashed line at the term's chance value ``M log(2B - 1)`` (``M``
        registered modalities, ``B = batch_size``): its value when the modalities' shared codes
        have nothing in common.
    ax
        Axes to draw into when a single loss term is drawn (``keys=["loss"]``); default: a new
        figure.
    {figure_doc}
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
    chance = None
    if batch_size is not None:
        registry = getattr(model_or_history, "registry", None)
        if registry is None:
            raise ValueError(
                "history: batch_size= draws cross_mi's chance value, which needs the model (its "
                "number of modalities), not a history dict"
            )
        chance = cross_mi_chance(len(registry.modality_names()), batch_size)
    ncols = max(1, min(ncols, len(keys)))
    nrows = -(-len(keys) // ncols)
    fig, axes = subplots(ax, nrows, ncols, (panel_size[0] * ncols, panel_size[1] * nrows))
    for panel, key in zip(axes.flat, keys, strict=False):
        frame = pd.DataFrame(hist[key])
        for col, style in (("train", "-"), ("validation", "--")):
            if col in frame and frame[col].notna().any():
                panel.plot(frame.index, frame[col].to_numpy(float), style, label=col)
        if key == "cross_mi" and chance is not None:
            panel.axhline(chance, color="grey", ls="--", lw=1, label=f"chance {chance:.2f}")
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
