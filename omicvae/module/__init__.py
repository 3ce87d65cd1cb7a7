"""The torch module of IDMVAE and its loss functions."""

from ._contrastive import cross_mi_loss, nt_xent_matrix, paired_nt_xent
from ._elbo import PRIOR_SCALE, gaussian_log_density, mixture_log_density, mmvae_plus_loss
from ._idmvae import IDMVAEModule, Noise, Posterior, previous_present
from ._output import LossOutput

__all__ = [
    "PRIOR_SCALE",
    "IDMVAEModule",
    "LossOutput",
    "Noise",
    "Posterior",
    "cross_mi_loss",
    "gaussian_log_density",
    "mixture_log_density",
    "mmvae_plus_loss",
    "nt_xent_matrix",
    "paired_nt_xent",
    "previous_present",
]
