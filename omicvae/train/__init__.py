"""Training on Lightning: the training plan, the trainer factory, the in-memory history logger, the
epoch progress bar and the default length of training."""

from ._plan import NonFiniteLossError, TrainingPlan
from ._progress import EpochProgressBar, lightning_info
from ._schedule import default_max_epochs, loss_still_falling
from ._trainer import HistoryLogger, make_trainer

__all__ = [
    "EpochProgressBar",
    "HistoryLogger",
    "NonFiniteLossError",
    "TrainingPlan",
    "default_max_epochs",
    "lightning_info",
    "loss_still_falling",
    "make_trainer",
]
