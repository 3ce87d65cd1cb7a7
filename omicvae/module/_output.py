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
        Every computed term as an unweighted scalar tensor, in the order of
        ``IDMVAEModule.loss_terms`` (the ELBO followed by its parts ``reconstruction`` and ``kl``),
        so they can be logged separately; a term whose weight is 0 is absent.
    """

    loss: torch.Tensor
    terms: dict[str, torch.Tensor] = field(default_factory=dict)
