"""An in-memory torch Dataset over :class:`MultiModalTensors` with batched fetching."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ._tensors import MultiModalTensors


class MultiModalDataset(Dataset):
    """Rows of :class:`MultiModalTensors`, optionally restricted to a subset (a view, no copy).

    ``torch.utils.data.DataLoader`` calls :meth:`__getitems__` with a whole batch of indices, which
    fetches the batch by tensor indexing; pass ``collate_fn=collate_batch`` so the batch dict is
    used as it is. Sparse modalities are densified per batch.

    Parameters
    ----------
    tensors
        From :func:`build_tensors`.
    indices
        Global row numbers this dataset exposes (e.g. the training split), or None for all rows.

    Notes
    -----
    A batch is a dict with ``"x"`` (list of float32 B x F_m), ``"mask"`` (bool B x M),
    ``"batch_index"`` (long (B,) or None), ``"library"`` (list of float32 B x 1 or None) and
    ``"index"`` (long (B,), global row numbers).
    """

    def __init__(self, tensors: MultiModalTensors, indices: np.ndarray | None = None):
        self.tensors = tensors
        self.indices = None if indices is None else _as_index_tensor(indices, tensors.n_obs)

    def __len__(self) -> int:
        return self.tensors.n_obs if self.indices is None else int(self.indices.numel())

    def __getitems__(self, idx: Sequence[int]) -> dict:
        """A batch for dataset positions ``idx`` (a list of ints or a 1-D integer tensor/array)."""
        positions = torch.as_tensor(np.asarray(idx, dtype=np.int64).reshape(-1))
        _check_positions(positions, len(self))
        rows = positions if self.indices is None else self.indices[positions]
        return self._fetch(rows)

    def __getitem__(self, i: int) -> dict:
        """One sample: the structure of a batch without the leading batch dimension."""
        if not isinstance(i, int | np.integer):
            raise TypeError(f"index must be an int, got {type(i).__name__}; use __getitems__")
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for a dataset of {n} samples")
        batch = self.__getitems__([int(i) % n])
        return {key: _first_row(value) for key, value in batch.items()}

    def _fetch(self, rows: torch.Tensor) -> dict:
        t = self.tensors
        return {
            "x": [t.rows(m, rows) for m in range(len(t.x))],
            "mask": t.mask[rows],
            "batch_index": None if t.batch_index is None else t.batch_index[rows],
            "library": [None if lib is None else lib[rows] for lib in t.library],
            "index": rows,
        }


def _first_row(value):
    """Drop the batch dimension of a batch entry (a tensor, None, or a list of those)."""
    if isinstance(value, list):
        return [_first_row(v) for v in value]
    return None if value is None else value[0]


def _as_index_tensor(indices, n_obs: int) -> torch.Tensor:
    """Validate global row numbers and return them as a long tensor."""
    array = np.asarray(indices)
    if array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise ValueError(
            f"indices must be a 1-D array of integer row numbers, got {array.dtype} "
            f"with shape {array.shape}"
        )
    index = torch.as_tensor(array.astype(np.int64))
    _check_positions(index, n_obs)
    return index


def _check_positions(positions: torch.Tensor, n: int) -> None:
    if positions.numel() and (int(positions.min()) < 0 or int(positions.max()) >= n):
        raise IndexError(
            f"row numbers must lie in 0..{n - 1}, got values from {int(positions.min())} to "
            f"{int(positions.max())}"
        )


def collate_batch(batch):
    """``collate_fn`` for a DataLoader over :class:`MultiModalDataset`.

    A batch dict (from ``__getitems__``) is returned unchanged. A list of single-sample dicts (from
    ``__getitem__``, e.g. with a custom fetcher) is stacked into a batch dict.
    """
    return batch if isinstance(batch, dict) else _stack_samples(list(batch))


def _stack_samples(samples: list[dict]) -> dict:
    def stack(values):
        return None if values[0] is None else torch.stack(values)

    return {
        key: [stack([s[key][m] for s in samples]) for m in range(len(value))]
        if isinstance(value, list)
        else stack([s[key] for s in samples])
        for key, value in samples[0].items()
    }
