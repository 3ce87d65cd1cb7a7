"""Decoders p(x_m | z, w_m): networks that output the heads their likelihood asks for."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._conv import DEFAULT_CHANNELS, ConvDecoderTower
from ._mlp import MLP


def _joined(z: torch.Tensor, w: torch.Tensor, covariates: torch.Tensor | None) -> torch.Tensor:
    return torch.cat([z, w] if covariates is None else [z, w, covariates], dim=-1)


class MLPDecoder(nn.Module):
    """MLP from ``[z, w_m, covariates]`` to the likelihood's output heads.

    Parameters
    ----------
    n_shared, n_private
        Dimensions of z and w.
    heads
        Output head name -> width (from :attr:`omicvae.distributions.Likelihood.heads`).
    hidden
        Hidden widths (the paper's TCGA setting: ``(64, 128)``).
    n_covariates
        Width of the one-hot covariates.
    activation_name, dropout, layer_norm
        Passed to :class:`~omicvae.nn.MLP`.
    """

    def __init__(
        self,
        n_shared: int,
        n_private: int,
        heads: dict[str, int],
        hidden: Sequence[int] = (64, 128),
        *,
        n_covariates: int = 0,
        activation_name: str = "relu",
        dropout: float = 0.0,
        layer_norm: bool = False,
    ):
        super().__init__()
        kw = dict(activation_name=activation_name, dropout=dropout, layer_norm=layer_norm)
        self.body = MLP(n_shared + n_private + n_covariates, hidden, **kw)
        self.heads = nn.ModuleDict({k: nn.Linear(self.body.n_out, n) for k, n in heads.items()})

    def forward(self, z: torch.Tensor, w: torch.Tensor, covariates: torch.Tensor | None = None):
        h = self.body(_joined(z, w, covariates))
        return {k: head(h) for k, head in self.heads.items()}


class ConvDecoder(nn.Module):
    """Transposed-convolution image decoder from ``[z, w_m, covariates]`` to pixel logits."""

    def __init__(
        self,
        n_shared: int,
        n_private: int,
        heads: dict[str, int],
        image_shape: tuple[int, int, int],
        *,
        n_covariates: int = 0,
        channels: tuple[int, ...] = DEFAULT_CHANNELS,
    ):
        super().__init__()
        if set(heads) != {"logits"}:
            raise ValueError(
                f"the convolutional decoder produces pixel logits only, not heads {sorted(heads)}"
            )
        self.tower = ConvDecoderTower(n_shared + n_private + n_covariates, image_shape, channels)

    def forward(self, z: torch.Tensor, w: torch.Tensor, covariates: torch.Tensor | None = None):
        return {"logits": self.tower(_joined(z, w, covariates))}
