"""Value checks shared by several likelihoods (they read a data ``ValueSummary``)."""

from __future__ import annotations

import numpy as np


def require_non_negative_integers(summary, what: str, location: str) -> None:
    """Raise a ValueError starting with ``what`` when ``summary`` has negative or non-integers."""
    if summary.n_negative:
        raise ValueError(
            f"{what}, found {summary.n_negative} negative values in {location} "
            f"(min {summary.min:g})"
        )
    if summary.n_non_integer:
        raise ValueError(
            f"{what}, found {summary.n_non_integer} non-integer values in {location} "
            f"(e.g. {summary.example_non_integer:g})"
        )


def show_shape(raw) -> str:
    """Render a raw ``image_shape`` (tuple, list or numpy array) as a plain tuple."""
    if isinstance(raw, list | tuple | np.ndarray):
        return str(tuple(np.asarray(raw).tolist()))
    return repr(raw)
