"""The torch module of IDMVAE: its inference step, its loss terms and their building blocks."""

from ._contrastive import cross_mi_loss, nt_xent_matrix, paired_nt_xent
from ._elbo import PRIOR_SCALE, gaussian_log_density, mixture_log_density, mmvae_plus_loss
from ._idmvae import IDMVAEModule
from ._state import LossOutput, Noise, Posterior, StepState
from ._terms import LOSS_TERMS, LossTerm, previous_present

__all__ = [
    "LOSS_TERMS",
    "PRIOR_SCALE",
    "IDMVAEModule",
    "LossOutput",
    "LossTerm",
    "Noise",
    "Posterior",
    "StepState",
    "cross_mi_loss",
    "gaussian_log_density",
    "mixture_log_density",
    "mmvae_plus_loss",
    "nt_xent_matrix",
    "paired_nt_xent",
    "previous_present",
]
