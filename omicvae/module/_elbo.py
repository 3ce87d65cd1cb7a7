"""The MMVAE+ ELBO (K = 1, stratified over the modalities a sample has)."""

from __future__ import annotations

import math

import torch
from torch.distributions import Normal

PRIOR_SCALE = math.log(2.0)  # softplus(0): the fixed prior N(0, 0.693^2) of z and w
_MASKED = -1e30


def gaussian_log_density(x: torch.Tensor, mu: torch.Tensor, sd: torch.Tensor) -> torch.Tensor:
    """Diagonal Gaussian log-density summed over the last axis."""
    return Normal(mu, sd, validate_args=False).log_prob(x).sum(-1)


def centred_gaussian_log_density(x: torch.Tensor, scale: float) -> torch.Tensor:
    """Log-density of ``N(0, scale^2)`` in every dimension, summed over the last axis."""
    const = x.shape[-1] * (math.log(scale) + 0.5 * math.log(2 * math.pi))
    return (x / scale).pow(2).sum(-1) * -0.5 - const


def mixture_log_density(
    z: torch.Tensor, mu: torch.Tensor, sd: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """log q(z_r | X) = log of the mean of the unimodal densities of the modalities present.

    Parameters
    ----------
    z
        ``(R, B, d)`` one sample per source modality.
    mu, sd
        ``(M, B, d)`` unimodal posterior parameters.
    mask
        ``(B, M)`` presence mask.

    Returns
    -------
    torch.Tensor
        ``(R, B)``.
    """
    lp = gaussian_log_density(z[:, None], mu[None], sd[None])  # (R, M, B)
    lp = lp.masked_fill(~mask.T[None], _MASKED)
    return lp.logsumexp(1) - mask.sum(1).clamp(min=1).log()


def mmvae_plus_loss(
    recon_log_lik: torch.Tensor,
    log_prior_z: torch.Tensor,
    log_prior_w: torch.Tensor,
    log_q_z_joint: torch.Tensor,
    log_q_w: torch.Tensor,
    mask: torch.Tensor,
    beta: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Negative MMVAE+ ELBO and its reconstruction / regularisation parts.

    Parameters
    ----------
    recon_log_lik
        ``(R, D, B)``: log p(x_d | z_r, w~_d) (likelihood scale already applied).
    log_prior_z, log_prior_w, log_q_z_joint, log_q_w
        ``(R, B)``: log p(z_r), log p(w_r), log q(z_r | X), log q(w_r | x_r).
    mask
        ``(B, M)`` presence mask (R = D = M).
    beta
        Weight of the regularisation.

    Returns
    -------
    tuple
        ``(loss, reconstruction, kl)`` scalars with ``loss = reconstruction + kl``: each is minus the
        mean over samples of the mean over the sample's present source modalities.
    """
    present = mask.T  # (M, B)
    recon = torch.where(present[:, None] & present[None], recon_log_lik, 0.0).sum(1)  # (R, B)
    reg = beta * (log_prior_z + log_prior_w - log_q_z_joint - log_q_w)
    n_sources = present.sum(0).clamp(min=1)

    def source_mean(t):
        return (torch.where(present, t, 0.0).sum(0) / n_sources).mean()

    rec_loss, kl_loss = -source_mean(recon), -source_mean(reg)
    return rec_loss + kl_loss, rec_loss, kl_loss
