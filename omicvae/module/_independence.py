"""Kernel dependence between shared and private codes (normalised HSIC), for the independence term."""

from __future__ import annotations

import torch


def _centred_rbf_gram(x: torch.Tensor) -> torch.Tensor:
    """Double-centred Gaussian-kernel Gram matrix of the rows of ``x`` ``(n, d)``.

    The bandwidth is the median squared distance between rows (held constant for the gradient), so
    the measure does not change when a code is rescaled.
    """
    sq = torch.cdist(x, x).pow(2)
    n = x.shape[0]
    off_diagonal = sq[~torch.eye(n, dtype=torch.bool, device=x.device)]
    bandwidth = off_diagonal.median().detach().clamp(min=1e-12)
    gram = torch.exp(-sq / bandwidth)
    gram = gram - gram.mean(0, keepdim=True)
    return gram - gram.mean(1, keepdim=True)


def kernel_alignment(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Normalised HSIC (centred kernel alignment) of two codes of the same samples, in [0, 1].

    ``HSIC(x, y) / sqrt(HSIC(x, x) HSIC(y, y))`` with Gaussian kernels: 0 when the rows of ``x`` and
    ``y`` are independent (up to the finite-batch bias), 1 when one is a function of the other that
    keeps all distances. Unlike a linear correlation it also sees non-linear dependence.

    Parameters
    ----------
    x, y
        ``(n, d_x)`` and ``(n, d_y)``, rows are samples.
    """
    kx, ky = _centred_rbf_gram(x), _centred_rbf_gram(y)
    cross = (kx * ky).sum()
    norm = (kx.pow(2).sum() * ky.pow(2).sum()).sqrt().clamp(min=1e-12)
    return cross / norm


def shared_private_dependence(
    mu_z: torch.Tensor, mu_w: torch.Tensor, mask: torch.Tensor, complete: bool
) -> torch.Tensor:
    """Sum over modalities of the kernel alignment between each private code and the other modalities' shared code.

    The reference for modality ``m`` is the mean of the shared posterior means of the *other*
    modalities present, without gradient. What those codes know about a sample is information that
    modality ``m`` shares with the others by construction; the modality's own shared code is not used,
    because whatever private information it still holds would then be pushed out of ``w_m`` as well.
    The term moves the private codes only, never the shared ones. A sample contributes to modality
    ``m`` when it has ``m`` and at least one other modality; one-modality models get 0.

    Parameters
    ----------
    mu_z, mu_w
        ``(M, B, n_shared)`` and ``(M, B, n_private)`` posterior means.
    mask
        ``(B, M)`` bool presence mask.
    complete
        Whether every sample has every modality (skips the masking).
    """
    n_mod = mu_z.shape[0]
    total = mu_w.new_zeros(())
    if n_mod < 2:
        return total
    mu_z = mu_z.detach()
    present = mask.T.to(mu_z.dtype).unsqueeze(-1)  # (M, B, 1)
    z_sum, count = (mu_z * present).sum(0), present.sum(0)
    for m in range(n_mod):
        others = count - present[m]  # (B, 1)
        reference = (z_sum - mu_z[m] * present[m]) / others.clamp(min=1)
        if complete:
            total = total + kernel_alignment(mu_w[m], reference)
            continue
        rows = mask[:, m] & (others[:, 0] > 0)
        if int(rows.sum()) >= 4:  # too few samples to estimate a dependence
            total = total + kernel_alignment(mu_w[m][rows], reference[rows])
    return total
