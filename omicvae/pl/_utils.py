"""Shared helpers of the plotting functions: saving/showing figures, ``ax=`` and drawing images."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import scanpy as sc
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["draw_image", "finish", "one_panel"]


def resolve_show(show: bool | None, *, ax_given: bool = False) -> bool:
    """Whether to call ``plt.show()``.

    ``show=None`` follows scanpy (``scanpy.settings.autoshow``, True unless changed), except that a
    plot drawn into the caller's ``ax`` is not shown: the caller owns that figure and may still add
    to it (showing it would close it in Jupyter).
    """
    if show is None:
        return not ax_given and bool(sc.settings.autoshow)
    return bool(show)


def finish(
    fig: Figure, save: str | Path | None, show: bool | None, *, ax_given: bool = False
) -> Figure:
    """Save ``fig`` to ``save`` (parent folders created; format from the suffix) and show it when
    :func:`resolve_show` says so. Returns ``fig`` either way."""
    if save is not None:
        path = Path(save)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=150, bbox_inches="tight")
    if resolve_show(show, ax_given=ax_given):
        plt.show()
    return fig


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
