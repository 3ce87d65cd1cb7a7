"""Shared helpers of the plotting functions: saving/showing figures and drawing images."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["draw_image", "finish"]


def finish(fig: Figure, save: str | Path | None, show: bool) -> Figure:
    """Save ``fig`` to ``save`` (parent folders created; format from the suffix) and/or show it."""
    if save is not None:
        path = Path(save)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=150, bbox_inches="tight")
    if show:
        plt.show()
    return fig


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
