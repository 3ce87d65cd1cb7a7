"""Training on Lightning: the training plan and the in-memory history logger."""

from ._history import HistoryLogger
from ._plan import NonFiniteLossError, TrainingPlan

__all__ = ["HistoryLogger", "NonFiniteLossError", "TrainingPlan"]
