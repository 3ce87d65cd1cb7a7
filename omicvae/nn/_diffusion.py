"""Denoising-diffusion latent priors (x0-prediction, sigmoid schedule, min-SNR weights, DDIM sampling).

Several independent priors of the same dimension (one per modality's private latent) are evaluated as
one batched computation: every weight has a leading *group* axis.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class GroupedLinear(nn.Module):
    """``G`` independent linear maps applied with one batched matmul: ``(G, N, n_in) -> (G, N, n_out)``."""

    def __init__(self, n_groups: int, n_in: int, n_out: int):
        super().__init__()
        bound = 1.0 / math.sqrt(n_in)  # nn.Linear's default initialisation range
        self.weight = nn.Parameter(torch.empty(n_groups, n_in, n_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_groups, 1, n_out).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


def sinusoidal_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer time steps ``t`` (any shape) -> ``t.shape + (dim,)``."""
    half = dim // 2
    freqs = torch.exp(
        -math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half
    )
    angles = t.to(torch.float32)[..., None] * freqs
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


class Denoiser(nn.Module):
    """MLP predicting the clean latent ``x0`` from ``(x_t, t)``; the time embedding is added before the output layer.

    Parameters
    ----------
    dim
        Latent dimension.
    n_groups
        Number of independent denoisers evaluated together.
    hidden
        Width of the hidden layers and of the time embedding (512 in the published runs).
    n_steps
        Number of diffusion steps, when known: the embeddings of all steps are then computed once per
        device and looked up (the same values as computing them per call).
    """

    def __init__(self, dim: int, n_groups: int = 1, hidden: int = 512, n_steps: int | None = None):
        super().__init__()
        self.hidden, self.n_steps = hidden, n_steps
        # a cache, not a buffer: it is not state to save, and DDP would broadcast buffers every step
        self._time_table: torch.Tensor | None = None
        self.inp = nn.Sequential(
            GroupedLinear(n_groups, dim, hidden),
            nn.GELU(),
            GroupedLinear(n_groups, hidden, hidden),
            nn.GELU(),
        )
        self.time = nn.Sequential(
            GroupedLinear(n_groups, hidden, hidden),
            nn.GELU(),
            GroupedLinear(n_groups, hidden, hidden),
        )
        self.out = GroupedLinear(n_groups, hidden, dim)

    def time_embedding(self, t: torch.Tensor) -> torch.Tensor:
        """Sinusoidal embedding of the integer steps ``t``: ``t.shape + (hidden,)``."""
        if self.n_steps is None:
            return sinusoidal_embedding(t, self.hidden)
        table = self._time_table
        if table is None or table.device != t.device:
            steps = torch.arange(self.n_steps, device=t.device)
            table = self._time_table = sinusoidal_embedding(steps, self.hidden)
        return table[t]

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``x_t`` ``(G, N, dim)``, ``t`` integer ``(G, N)`` -> predicted ``x0`` ``(G, N, dim)``."""
        return self.out(self.inp(x_t) + self.time(self.time_embedding(t)))


def sigmoid_alphas_cumprod(
    n_steps: int, start: float = -3.0, end: float = 3.0, tau: float = 1.0, max_beta: float = 0.999
) -> torch.Tensor:
    """Cumulative signal fractions ``alpha_bar_t`` (``t = 0..n_steps-1``) of the sigmoid beta schedule."""
    s = torch.linspace(0, 1, n_steps + 1, dtype=torch.float64)
    v_start, v_end = torch.sigmoid(torch.tensor([start / tau, end / tau]))
    ac = (v_end - torch.sigmoid((s * (end - start) + start) / tau)) / (v_end - v_start)
    ac = ac / ac[0]
    betas = (1 - ac[1:] / ac[:-1]).clamp(0, max_beta)
    return torch.cumprod(1 - betas, dim=0).to(torch.float32)


class LatentDiffusion(nn.Module):
    """A diffusion prior over a ``dim``-dimensional latent (``n_groups`` independent ones at once).

    Parameters
    ----------
    dim
        Latent dimension.
    n_groups
        Number of independent priors (e.g. one per modality's private latent).
    hidden
        Denoiser width.
    n_steps
        Diffusion steps T (1000 in the published runs).
    snr_clamp
        The min-SNR loss weight is ``clamp(SNR_t, *snr_clamp)``.
    """

    def __init__(
        self,
        dim: int,
        n_groups: int = 1,
        hidden: int = 512,
        n_steps: int = 1000,
        snr_clamp: tuple[float, float] = (1.0, 100.0),
    ):
        super().__init__()
        self.dim, self.n_groups, self.n_steps = dim, n_groups, n_steps
        self.denoiser = Denoiser(dim, n_groups, hidden, n_steps)
        ac = sigmoid_alphas_cumprod(n_steps)
        self.register_buffer("alphas_cumprod", ac, persistent=False)
        self.register_buffer("loss_weight", (ac / (1 - ac)).clamp(*snr_clamp), persistent=False)

    def _noised(self, x0, t, noise):
        ac = self.alphas_cumprod[t][..., None]
        return ac.sqrt() * x0 + (1 - ac).sqrt() * noise

    def per_sample_loss(
        self, x0: torch.Tensor, t: torch.Tensor | None = None, noise: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Min-SNR-weighted squared error of the x0 prediction, summed over dims: ``(G, N)``.

        ``t`` (uniform over steps) and ``noise`` (standard normal) are drawn when not given.
        """
        if t is None:
            t = torch.randint(0, self.n_steps, x0.shape[:-1], device=x0.device)
        if noise is None:
            noise = torch.randn_like(x0)
        pred = self.denoiser(self._noised(x0, t, noise), t)
        return self.loss_weight[t] * (pred - x0).pow(2).sum(-1)

    @torch.no_grad()
    def sample(
        self, n: int, n_sample_steps: int = 100, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """DDIM (eta = 0) from standard normal noise: ``(G, n, dim)``."""
        device = self.alphas_cumprod.device
        x = torch.randn(self.n_groups, n, self.dim, device=device, generator=generator)
        times = torch.linspace(self.n_steps - 1, 0, n_sample_steps, device=device).round().long()
        for i, t in enumerate(times):
            x0 = self.denoiser(x, t.expand(self.n_groups, n))
            if i + 1 == len(times):
                return x0
            ac, ac_next = self.alphas_cumprod[t], self.alphas_cumprod[times[i + 1]]
            eps = (x - ac.sqrt() * x0) / (1 - ac).sqrt()
            x = ac_next.sqrt() * x0 + (1 - ac_next).sqrt() * eps
        return x
