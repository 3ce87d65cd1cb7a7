"""Plotting (``ov.pl``): embeddings, training curves, image grids, z/w swaps and survival curves.

Every function returns the matplotlib Figure and takes ``save=`` (path) and ``show=``. As in scanpy,
``show=None`` (the default) shows the figure (``scanpy.settings.autoshow``) unless it was drawn into
a caller's ``ax=``; every function that can draw a single panel (``embeddings``, ``history``,
``kaplan_meier``) takes ``ax=``."""

from ._embeddings import embeddings
from ._history import history
from ._images import image_grid, swap_grid
from ._survival import kaplan_meier

__all__ = ["embeddings", "history", "image_grid", "kaplan_meier", "swap_grid"]
