"""Training and validation splits of a model's samples."""

from __future__ import annotations

import numpy as np


def split_indices(
    n: int, train_size: float, validation_size: float | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted positions of the training and validation samples among ``n``.

    The samples are shuffled with ``numpy.random.default_rng(seed)``; the first
    ``max(1, round(train_size * n))`` form the training split (all of them when ``train_size >= 1``)
    and the next ones the validation split.

    Parameters
    ----------
    n
        Number of samples.
    train_size
        Fraction of samples in the training split, in ``(0, 1]``.
    validation_size
        Fraction in the validation split; None: every sample not in the training split.
    seed
        Seed of the shuffle.

    Returns
    -------
    tuple of numpy.ndarray
        ``(train, validation)``, each sorted int64; ``validation`` may be empty.
    """
    order = np.random.default_rng(seed).permutation(n)
    n_train = n if train_size >= 1 else max(1, int(round(train_size * n)))
    n_val = n - n_train if validation_size is None else int(round(validation_size * n))
    if n_train + n_val > n:
        raise ValueError(
            f"train_size {train_size} and validation_size {validation_size} take more than the "
            f"{n} samples"
        )
    return np.sort(order[:n_train]), np.sort(order[n_train : n_train + n_val])
