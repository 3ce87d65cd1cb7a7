"""How long to train: the size-aware default number of epochs and the "still improving" check."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

PRESENTATIONS = 150_000
"""Sample presentations the default schedule aims at: ``max_epochs ≈ PRESENTATIONS / n_train``."""
MIN_EPOCHS, MAX_EPOCHS = 50, 400
"""Bounds of the default number of epochs."""

MIN_EPOCHS_TO_JUDGE = 20
"""A loss curve shorter than this is never judged (too few epochs to tell a trend from noise)."""
WINDOW_FRACTION = 0.1
"""The last and the previous window each cover this fraction of the epochs (at least 2 epochs)."""
STILL_FALLING = 0.03
"""Warn when the last window lowered the loss by more than this fraction of the total decrease."""


def default_max_epochs(n_train: int) -> int:
    """The number of epochs ``IDMVAE.train(max_epochs=None)`` trains for.

    ``min(max(round(150_000 / n_train), 50), 400)``: every training sample is presented about
    150,000 / n_train times, clipped to 50-400 epochs (why: "Epochs" in the user guide's model
    page, ``docs/user_guide/model.md``).

    Parameters
    ----------
    n_train
        Number of samples in the training split.
    """
    if n_train <= 0:
        raise ValueError(f"n_train must be positive, got {n_train}")
    return int(min(max(round(PRESENTATIONS / n_train), MIN_EPOCHS), MAX_EPOCHS))


def window_size(n_epochs: int) -> int:
    """Epochs in each of the two windows :func:`loss_still_falling` compares: 10%, at least 2."""
    return max(2, int(round(WINDOW_FRACTION * n_epochs)))


def loss_still_falling(values: Sequence[float]) -> float | None:
    """How much the end of a loss curve still improved, as a fraction of the whole improvement.

    With ``k = max(2, round(0.1 * n))`` for a curve of ``n`` epochs, returns
    ``(mean of the k epochs before the last k - mean of the last k) / (first value - mean of the
    last k)``: the share of everything training achieved that the last 10% of epochs still
    contributed. About 0.1 for a loss that falls linearly, near 0 (or negative, when the loss rises
    again) for a curve that has flattened. The ratio does not depend on the loss's offset or sign,
    so it works for likelihoods whose loss is negative. Non-finite values are dropped first.

    Parameters
    ----------
    values
        The per-epoch loss, in epoch order.

    Returns
    -------
    The fraction, or None when the curve has fewer than :data:`MIN_EPOCHS_TO_JUDGE` epochs or never
    fell.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < MIN_EPOCHS_TO_JUDGE:
        return None
    k = window_size(n)
    last, previous = x[-k:].mean(), x[-2 * k : -k].mean()
    total = x[0] - last
    if not total > 0:
        return None
    fraction = float((previous - last) / total)
    return fraction if math.isfinite(fraction) else None
