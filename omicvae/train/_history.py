"""An in-memory Lightning logger that turns epoch metrics into one DataFrame per loss term."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities import rank_zero_only

_PREFIXES = ("train", "validation")


class HistoryLogger(Logger):
    """Keeps every ``train_<term>`` / ``validation_<term>`` epoch value in memory."""

    def __init__(self):
        super().__init__()
        self._rows: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))

    @property
    def name(self) -> str:
        return "history"

    @property
    def version(self) -> int:
        return 0

    @rank_zero_only
    def log_hyperparams(self, params, *args, **kwargs) -> None:
        """Nothing to do: the hyper-parameters live on the model."""

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        epoch = int(metrics.get("epoch", step or 0))
        for key, value in metrics.items():
            prefix, _, term = key.partition("_")
            if prefix in _PREFIXES and term:
                self._rows[term][prefix][epoch] = float(value)

    def history(self) -> dict[str, pd.DataFrame]:
        """One DataFrame per term, indexed by epoch, with columns ``train`` and ``validation``."""
        out = {}
        for term, cols in self._rows.items():
            frame = pd.DataFrame({p: pd.Series(cols.get(p, {}), dtype=float) for p in _PREFIXES})
            frame.index.name = "epoch"
            out[term] = frame.sort_index()
        return out
