"""Plotting (``ov.pl``): embeddings, training curves, image grids, z/w swaps, survival curves and
the interpretation plots (variance explained, feature attribution).

Every function returns the matplotlib Figure and takes ``save=`` (path) and ``show=``. As in scanpy,
``show=None`` (the default) shows the figure (``scanpy.settings.autoshow``) unless it was drawn into
a caller's ``ax=``; every function that can draw a single panel (``embeddings``, ``history``,
``kaplan_meier``, ``variance_explained``, ``feature_attribution``) takes ``ax=``."""

from ._embeddings import embeddings
from ._history import history
from ._images import image_grid, swap_grid
from ._interpret import feature_attribution, variance_explained
from ._survival import kaplan_meier

__all__ = [
    "embeddings",
    "feature_attribution",
    "history",
    "image_grid",
    "kaplan_meier",
    "swap_grid",
    "variance_explained",
]
