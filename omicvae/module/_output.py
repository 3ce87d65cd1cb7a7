"""What a forward pass of the module returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class LossOutput:
    """Total loss and its terms.

    Attributes
    ----------
    loss
        The scalar that is minimised.
    terms
        Every term as a scalar tensor, in the order it was computed: ``elbo`` (L_MMVAE+),
        ``reconstruction``, ``kl`` (the two parts of the ELBO), ``cross_mi``, ``gen_aug``, ``independence`` and
        ``diffusion`` (unweighted, as in method.md), so they can be logged separately; a term whose
        weight is 0 is absent, and a term added with ``IDMVAEModule.add_loss_term`` appears under
        its name.
    """

    loss: torch.Tensor
    terms: dict[str, torch.Tensor] = field(default_factory=dict)
