"""Shared helpers of the plotting functions: saving/showing figures, ``ax=`` and drawing images."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import scanpy as sc
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["draw_image", "figure_doc", "finish", "one_panel", "subplots"]


FIGURE_DOC = """save
        Path to save the figure to.
    show
        Show the figure with ``plt.show()``. Default (None), as in scanpy: show unless an ``ax``
        is given (where the plot takes one) or ``scanpy.settings.autoshow`` is False. The figure
        is returned either way.

    Returns
    -------
    The figure (of ``ax`` when one is given)."""
"""The ``save`` and ``show`` parameters and the Returns section of every plot."""


def figure_doc(func: Callable) -> Callable:
    """Put :data:`FIGURE_DOC` in place of ``{figure_doc}`` in ``func``'s docstring (as scanpy does)."""
    if func.__doc__:  # None under python -OO
        func.__doc__ = func.__doc__.replace("{figure_doc}", FIGURE_DOC)
    return func


def finish(
    fig: Figure, save: str | Path | None, show: bool | None, *, ax_given: bool = False
) -> Figure:
    """Save ``fig`` to ``save`` (parent folders created; format from the suffix), show it, return it.

    ``show=None`` follows scanpy (``scanpy.settings.autoshow``, True unless changed), except that a
    plot drawn into the caller's ``ax`` is not shown: the caller owns that figure and may still add
    to it (showing it would close it in Jupyter).
    """
    if save is not None:
        path = Path(save)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=150, bbox_inches="tight")
    if show is None:
        show = not ax_given and sc.settings.autoshow
    if show:
        plt.show()
    return fig


def subplots(
    ax: Axes | None, nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] | None = None
) -> tuple[Figure, np.ndarray]:
    """A new figure of ``nrows × ncols`` axes, or the figure of the caller's ``ax`` (a 1 × 1 grid)."""
    if ax is not None:
        return ax.figure, np.array([[ax]])
    return plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)


def one_panel(ax: Axes | None, n_panels: int, what: str) -> None:
    """Check that a plot given ``ax`` has exactly one panel to draw."""
    if ax is not None and n_panels != 1:
        raise ValueError(
            f"ax: draws a single panel, but this plot has {n_panels} ({what}); "
            "ask for one panel or leave ax=None for a new figure"
        )


def draw_image(ax: Axes, flat: np.ndarray, image_shape: Sequence[int]) -> None:
    """Draw one flattened ``(C, H, W)`` image (values in [0, 1]; C = 1 grey, C = 3 RGB) on ``ax``."""
    c, h, w = (int(s) for s in image_shape)
    flat = np.asarray(flat, dtype=float)
    if flat.size != c * h * w:
        raise ValueError(
            f"image of {flat.size} values does not match image_shape {tuple(image_shape)} "
            f"({c * h * w} values)"
        )
    img = np.clip(flat.reshape(c, h, w), 0.0, 1.0)
    if c == 1:
        ax.imshow(img[0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    elif c == 3:
        ax.imshow(img.transpose(1, 2, 0), interpolation="nearest")
    else:
        raise ValueError(f"image_shape {tuple(image_shape)}: expected 1 (grey) or 3 (RGB) channels")
    ax.set_xticks([])
    ax.set_yticks([])
