"""Training output: one progress bar over epochs, and Lightning's info messages kept quiet."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager

from lightning.pytorch.callbacks.progress.progress_bar import ProgressBar
from tqdm.auto import tqdm

LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric")
"""Loggers whose INFO messages (accelerator, strategy, tips, "`Trainer.fit` stopped") are hidden."""

_POSTFIX = {"train_loss": "loss", "validation_loss": "val_loss"}


class EpochProgressBar(ProgressBar):
    """One progress bar over the epochs of a run, with the last epoch's losses and the time left.

    Replaces Lightning's default bar, which draws one bar per epoch over its mini-batches and shows
    ``v_num`` but no loss. The bar counts finished epochs; its postfix holds ``loss`` (the last
    finished epoch's mean training loss) and ``val_loss`` when there is a validation split; tqdm
    adds the elapsed and remaining time. Only the process of global rank 0 draws it.
    """

    def __init__(self, description: str = "Training") -> None:
        super().__init__()
        self.description = description
        self._enabled = True
        self._bar = None
        self._start_epoch = 0

    @property
    def is_enabled(self) -> bool:
        return self._enabled

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def on_train_start(self, trainer, pl_module) -> None:
        if not (self._enabled and trainer.is_global_zero):
            return
        self._start_epoch = trainer.current_epoch
        total = trainer.max_epochs
        total = None if total is None or total < 0 else total - self._start_epoch
        self._bar = tqdm(
            total=total, desc=self.description, unit="epoch", dynamic_ncols=True, leave=True
        )

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        # the previous epoch's losses are logged by the training plan's on_train_epoch_end, after
        # the non-monitoring callbacks' on_train_epoch_end: read them when the next epoch starts
        self._show(trainer)

    def on_train_end(self, trainer, pl_module) -> None:
        self._show(trainer)
        self._close()

    def on_exception(self, trainer, pl_module, exception) -> None:
        self._close()

    def teardown(self, trainer, pl_module, stage: str) -> None:
        self._close()

    def _show(self, trainer) -> None:
        if self._bar is None:
            return
        self._bar.n = trainer.current_epoch - self._start_epoch
        postfix = {}
        for key, label in _POSTFIX.items():
            value = trainer.callback_metrics.get(key)
            if value is not None and math.isfinite(float(value)):
                postfix[label] = f"{float(value):.4g}"
        self._bar.set_postfix(postfix, refresh=False)
        self._bar.refresh()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __getstate__(self) -> dict:  # a tqdm bar does not pickle (DDP spawn)
        return {k: (None if k == "_bar" else v) for k, v in vars(self).items()}


@contextmanager
def lightning_info(show: bool) -> Iterator[None]:
    """Hide Lightning's INFO messages while the block runs (unless ``show``), then restore.

    Raises the level of the :data:`LIGHTNING_LOGGERS` to WARNING where it is lower, so warnings and
    errors still come through; the levels are put back afterwards, even after an exception.
    """
    if show:
        yield
        return
    changed = []
    for name in LIGHTNING_LOGGERS:
        log = logging.getLogger(name)
        if log.getEffectiveLevel() < logging.WARNING:
            changed.append((log, log.level))
            log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for log, level in changed:
            log.setLevel(level)
