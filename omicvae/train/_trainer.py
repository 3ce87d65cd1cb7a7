"""The Lightning ``Trainer`` a model trains with, built in one place, and its in-memory logger that
turns epoch metrics into one DataFrame per loss term."""

from __future__ import annotations

from collections import defaultdict

import lightning.pytorch as pl
import pandas as pd
from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities import rank_zero_only

from ._progress import EpochProgressBar

DEFAULTS = dict(
    enable_checkpointing=False,
    enable_model_summary=False,
    num_sanity_val_steps=0,
    log_every_n_steps=1,
)
"""``Trainer`` arguments that differ from Lightning's unless given."""

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


def make_trainer(
    max_epochs: int,
    *,
    accelerator: str = "auto",
    devices="auto",
    strategy="auto",
    logger=None,
    callbacks=None,
    enable_progress_bar: bool = True,
    early_stopping: bool = False,
    early_stopping_patience: int = 10,
    early_stopping_monitor: str = "validation_loss",
    **trainer_kwargs,
) -> tuple[pl.Trainer, HistoryLogger]:
    """A :class:`lightning.pytorch.Trainer` with the package's callbacks, loggers and defaults.

    Parameters
    ----------
    max_epochs
        Passes over the training data.
    accelerator, devices, strategy
        As in :class:`lightning.pytorch.Trainer`.
    logger
        A Lightning logger or a list of them (None or False: none), after the history logger.
    callbacks
        Lightning callbacks.
    enable_progress_bar
        Add an :class:`EpochProgressBar` unless ``callbacks`` hold a ``ProgressBar``.
    early_stopping, early_stopping_patience, early_stopping_monitor
        Stop when the monitored epoch metric has not fallen for this many epochs.
    **trainer_kwargs
        Further ``Trainer`` arguments (``max_time``, ``gradient_clip_val``, ...); :data:`DEFAULTS`
        unless given (no checkpointing, model summary or sanity steps; every step logged).

    Returns
    -------
    tuple
        The trainer and its :class:`HistoryLogger`, which collects every logged epoch metric.
    """
    history = HistoryLogger()
    if logger in (None, False):
        logger = []
    loggers = [history, *(logger if isinstance(logger, list | tuple) else [logger])]
    callbacks = list(callbacks or [])
    if enable_progress_bar and not any(isinstance(c, pl.callbacks.ProgressBar) for c in callbacks):
        callbacks.append(EpochProgressBar())
    if early_stopping:
        callbacks.append(
            pl.callbacks.EarlyStopping(
                monitor=early_stopping_monitor, patience=early_stopping_patience, mode="min"
            )
        )
    trainer = pl.Trainer(
        max_epochs=max_epochs,
        accelerator=accelerator,
        devices=devices,
        strategy=strategy,
        logger=loggers,
        callbacks=callbacks,
        enable_progress_bar=enable_progress_bar,
        **{**DEFAULTS, **trainer_kwargs},
    )
    return trainer, history
