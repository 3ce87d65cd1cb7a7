"""Value checks shared by several likelihoods (they read a data ``ValueSummary``)."""

from __future__ import annotations

import numpy as np


def require_non_negative_integers(summary, what: str, location: str) -> None:
    """Raise a ValueError naming ``what`` when the summary has negative or non-integer values.

    Parameters
    ----------
    summary
        A :class:`~omicvae.data._validate.ValueSummary`.
    what
        Start of the message, e.g. ``"modality 'rna': likelihood 'nb' needs non-negative integer
        counts"``.
    location
        Where the values live (``".X"`` or ``"layer 'counts'"``).
    """
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


def is_non_negative_integer(summary) -> bool:
    """True when every finite value is a non-negative integer."""
    return summary.n_negative == 0 and summary.n_non_integer == 0


def show_shape(raw) -> str:
    """Render a raw ``image_shape`` (tuple, list or numpy array) as a plain tuple."""
    if isinstance(raw, list | tuple | np.ndarray):
        return str(tuple(np.asarray(raw).tolist()))
    return repr(raw)
