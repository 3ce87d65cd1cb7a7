"""Encoders: one per modality, giving q(z | x_m) and q(w_m | x_m) as diagonal Gaussians."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._conv import DEFAULT_CHANNELS, ConvTower
from ._mlp import MLP

SCALE_EPS = 1e-6


def gaussian_params(
    raw_loc: torch.Tensor, raw_scale: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation, scale = softplus(raw) + 1e-6 as in the method."""
    return raw_loc, F.softplus(raw_scale) + SCALE_EPS


class _TwoLatentHeads(nn.Module):
    """Linear heads from a trunk output to (mean, raw scale) of one latent."""

    def __init__(self, n_in: int, n_latent: int):
        super().__init__()
        self.loc = nn.Linear(n_in, n_latent)
        self.raw_scale = nn.Linear(n_in, n_latent)

    def forward(self, h):
        return gaussian_params(self.loc(h), self.raw_scale(h))


class MLPEncoder(nn.Module):
    """MLP encoder of one modality.

    Parameters
    ----------
    n_input
        Width of the (already transformed) modality input.
    n_shared, n_private
        Dimensions of z and w.
    hidden
        Hidden widths of the trunk (the paper's TCGA setting: ``(128, 64)``).
    n_covariates
        Width of the one-hot covariates appended to the input (0 for none).
    separate_towers
        Use one trunk for z and another for w instead of one trunk with two heads.
    activation_name, dropout, layer_norm
        Passed to :class:`~omicvae.nn.MLP`.
    """

    def __init__(
        self,
        n_input: int,
        n_shared: int,
        n_private: int,
        hidden: Sequence[int] = (128, 64),
        *,
        n_covariates: int = 0,
        separate_towers: bool = False,
        activation_name: str = "relu",
        dropout: float = 0.0,
        layer_norm: bool = False,
    ):
        super().__init__()
        kw = dict(activation_name=activation_name, dropout=dropout, layer_norm=layer_norm)
        n_in = n_input + n_covariates
        self.trunk_z = MLP(n_in, hidden, **kw)
        self.trunk_w = MLP(n_in, hidden, **kw) if separate_towers else None
        self.head_z = _TwoLatentHeads(self.trunk_z.n_out, n_shared)
        self.head_w = _TwoLatentHeads(self.trunk_z.n_out, n_private)

    def forward(self, x: torch.Tensor, covariates: torch.Tensor | None = None):
        """Return ``(mu_z, sigma_z, mu_w, sigma_w)``."""
        if covariates is not None:
            x = torch.cat([x, covariates], dim=-1)
        h_z = self.trunk_z(x)
        h_w = h_z if self.trunk_w is None else self.trunk_w(x)
        return (*self.head_z(h_z), *self.head_w(h_w))


class ConvEncoder(nn.Module):
    """Convolutional image encoder with separate z and w towers (32x32 or 64x64 inputs).

    Parameters
    ----------
    image_shape
        ``(C, H, W)``; H = W in {32, 64}.
    n_shared, n_private
        Dimensions of z and w.
    n_covariates
        Width of the one-hot covariates, appended after the convolutions.
    channels
        Widths of the convolution stages.
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        n_shared: int,
        n_private: int,
        *,
        n_covariates: int = 0,
        channels: tuple[int, ...] = DEFAULT_CHANNELS,
    ):
        super().__init__()
        self.image_shape = tuple(int(s) for s in image_shape)
        self.tower_z = ConvTower(self.image_shape, channels)
        self.tower_w = ConvTower(self.image_shape, channels)
        n_feat = self.tower_z.n_out + n_covariates
        self.head_z = _TwoLatentHeads(n_feat, n_shared)
        self.head_w = _TwoLatentHeads(n_feat, n_private)

    def forward(self, x: torch.Tensor, covariates: torch.Tensor | None = None):
        """Return ``(mu_z, sigma_z, mu_w, sigma_w)`` for flattened images ``x``."""
        img = x.view(-1, *self.image_shape)
        h_z, h_w = self.tower_z(img), self.tower_w(img)
        if covariates is not None:
            h_z = torch.cat([h_z, covariates], dim=-1)
            h_w = torch.cat([h_w, covariates], dim=-1)
        return (*self.head_z(h_z), *self.head_w(h_w))
