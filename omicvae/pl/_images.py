"""Image grids: reconstructions and z/w swaps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from mudata import MuData

from .._readers import image_modalities, modality_matrix, resolve_random_state
from ._utils import draw_image, figure_doc, finish, subplots

__all__ = ["image_grid", "swap_grid"]


def _as_rows(images: Any, ncols: int) -> list[np.ndarray]:
    """Rows of flattened images from an (n, F) array, an (rows, cols, F) array or a list of arrays."""
    if isinstance(images, np.ndarray) and images.ndim == 3:
        return list(images)
    if isinstance(images, np.ndarray) and images.ndim == 2:
        return [images[i : i + ncols] for i in range(0, len(images), ncols)]
    rows = [np.atleast_2d(np.asarray(r, dtype=float)) for r in images]
    if not rows:
        raise ValueError("image_grid: no images given")
    return rows


@figure_doc
def image_grid(
    images: np.ndarray | Sequence[np.ndarray],
    image_shape: Sequence[int],
    *,
    ncols: int = 8,
    row_labels: Sequence[str] | None = None,
    title: str | None = None,
    panel_size: float = 1.0,
    save: str | Path | None = None,
    show: bool | None = None,
) -> Figure:
    """A grid of flattened images, e.g. originals above their reconstructions.

    Parameters
    ----------
    images
        ``(n, C·H·W)`` array (wrapped into rows of ``ncols``), ``(rows, cols, C·H·W)`` array, or a
        list of ``(n_i, C·H·W)`` arrays, one per row (e.g. ``[X[:8], model_reconstruction[:8]]``).
    image_shape
        ``(C, H, W)``, as in ``mdata.mod[mod].uns["image_shape"]``; C = 1 (grey) or 3 (RGB).
    ncols
        Images per row for a 2-D ``images`` array.
    row_labels
        Label shown left of each row.
    title
        Figure title.
    panel_size
        Size of one image in inches.
    {figure_doc}
    """
    rows = _as_rows(images, ncols)
    if row_labels is not None and len(row_labels) != len(rows):
        raise ValueError(f"row_labels: expected {len(rows)} labels, got {len(row_labels)}")
    width = max(len(r) for r in rows)
    fig, axes = subplots(None, len(rows), width, (panel_size * width, panel_size * len(rows)))
    for i, row in enumerate(rows):
        for j in range(width):
            ax = axes[i, j]
            if j < len(row):
                draw_image(ax, row[j], image_shape)
            else:
                ax.set_axis_off()
        if row_labels is not None:
            axes[i, 0].set_ylabel(row_labels[i], rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    return finish(fig, save, show)


@figure_doc
def swap_grid(
    model: Any,
    mdata: MuData,
    *,
    modality: str,
    n: int = 6,
    indices: Sequence[int] | None = None,
    random_state: int = 0,
    panel_size: float = 1.0,
    save: str | Path | None = None,
    show: bool | None = None,
    seed: int | None = None,
) -> Figure:
    """Decode the shared z of one sample with the private w of another.

    Cell (i, j) is ``model.decode(z_i, w_j)``: along a row the shared content (e.g. the digit) should
    stay fixed while the private style follows the column; the top row and left column show the
    original images of the w and z sources.

    Parameters
    ----------
    model
        Trained model with ``get_latent_representation``, ``decode`` and a ``registry``
        (``registry[modality].likelihood``).
    mdata
        The data; ``mdata.mod[modality].uns["image_shape"]`` gives the image shape.
    modality
        Image modality (likelihood ``"image"``) to encode and decode; any other raises a
        ``ValueError``.
    n
        Number of samples (the grid is n × n) when ``indices`` is not given.
    indices
        Positions in ``mdata.obs`` of the samples to use; default: ``n`` random samples that have
        the modality.
    random_state
        Seed of the random choice of samples.
    panel_size
        Size of one image in inches.
    seed
        Deprecated name of ``random_state`` (``FutureWarning``).
    {figure_doc}
    """
    random_state = resolve_random_state(random_state, seed, where="swap_grid")
    image_modalities(model, [modality], what="swap_grid")
    X, present = modality_matrix(mdata, modality)
    shape = mdata.mod[modality].uns.get("image_shape")
    if shape is None:
        raise KeyError(f"modality {modality!r}: uns['image_shape'] = (C, H, W) not found")
    if indices is None:
        rng = np.random.default_rng(random_state)
        candidates = np.flatnonzero(present)
        idx = np.sort(rng.choice(candidates, min(n, len(candidates)), replace=False))
    else:
        idx = np.asarray(indices, dtype=int)
        if not present[idx].all():
            raise ValueError(
                f"indices: samples {idx[~present[idx]].tolist()} lack modality {modality!r}"
            )
    k = len(idx)
    # indices are rows of ``mdata``, which need not be the MuData the model was trained on
    z = model.get_latent_representation(kind="shared", modality=modality, indices=idx, mdata=mdata)
    w = model.get_latent_representation(kind="private", modality=modality, indices=idx, mdata=mdata)
    swapped = np.asarray(model.decode(np.repeat(z, k, axis=0), np.tile(w, (k, 1)), modality))
    swapped = swapped.reshape(k, k, -1)

    fig, axes = plt.subplots(k + 1, k + 1, figsize=(panel_size * (k + 1), panel_size * (k + 1)))
    axes[0, 0].set_axis_off()
    axes[0, 0].text(0.5, 0.5, "z ↓  w →", ha="center", va="center", transform=axes[0, 0].transAxes)
    for j in range(k):
        draw_image(axes[0, j + 1], X[idx[j]], shape)
        draw_image(axes[j + 1, 0], X[idx[j]], shape)
        for i in range(k):
            draw_image(axes[i + 1, j + 1], swapped[i, j], shape)
    for ax in (*axes[0, 1:], *axes[1:, 0]):
        for spine in ax.spines.values():
            spine.set(edgecolor="tab:red", linewidth=2)
    fig.suptitle(f"{modality}: z of row sample, w of column sample")
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    return finish(fig, save, show)
