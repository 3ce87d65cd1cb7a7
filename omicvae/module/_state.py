"""What one evaluation of the loss computes once and every loss term reads, and what it returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch


@dataclass
class Posterior:
    """Unimodal posterior parameters stacked over modalities: ``(M, B, d)`` each."""

    mu_z: torch.Tensor
    sd_z: torch.Tensor
    mu_w: torch.Tensor
    sd_w: torch.Tensor


@dataclass
class Noise:
    """Every random draw of one training step, so a step can be replayed exactly.

    ``eps_z`` ``(M, B, n_shared)`` and ``eps_w`` ``(M, B, n_private)`` reparameterise the posterior samples;
    ``eps_aux`` ``(M, M, B, n_private)`` draws w~_d from the auxiliary prior for source r (entry ``[d, r]``);
    ``t_z``, ``noise_z``, ``t_w``, ``noise_w`` are the diffusion times and noises (``None`` without priors).
    """

    eps_z: torch.Tensor
    eps_w: torch.Tensor
    eps_aux: torch.Tensor
    t_z: torch.Tensor | None = None
    noise_z: torch.Tensor | None = None
    t_w: torch.Tensor | None = None
    noise_w: torch.Tensor | None = None


@dataclass
class StepState:
    """The inference step of one batch: built once by :meth:`IDMVAEModule.infer`, read by every term.

    Attributes
    ----------
    batch
        The batch as served (``x``, ``mask``, ``library``, ``batch_index`` and anything a variant adds,
        such as labels).
    mask
        ``(B, M)`` bool: sample ``b`` has modality ``m``.
    complete
        Every sample has every modality (terms may skip their masking).
    covariates
        One-hot covariates ``(B, n_batch)``, or ``None``.
    posterior
        The unimodal posteriors.
    noise
        The random draws of the step.
    z, w
        Posterior samples ``(M, B, n_shared)`` and ``(M, B, n_private)``, one per source modality.
    """

    batch: Mapping
    mask: torch.Tensor
    complete: bool
    covariates: torch.Tensor | None
    posterior: Posterior
    noise: Noise
    z: torch.Tensor
    w: torch.Tensor

    @property
    def x(self) -> Sequence[torch.Tensor]:
        """The data of every modality (rows of absent samples hold placeholders)."""
        return self.batch["x"]

    @property
    def library(self) -> Sequence[torch.Tensor | None]:
        """Library sizes of every modality (``None`` where the likelihood needs none)."""
        return self.batch["library"]


@dataclass
class LossOutput:
    """Total loss and its terms.

    Attributes
    ----------
    loss
        The scalar that is minimised.
    terms
        Every computed term as an unweighted scalar tensor, in the order of
        ``IDMVAEModule.loss_terms`` (the ELBO followed by its parts ``reconstruction`` and ``kl``),
        so they can be logged separately; a term whose weight is 0 is absent.
    """

    loss: torch.Tensor
    terms: dict[str, torch.Tensor] = field(default_factory=dict)
