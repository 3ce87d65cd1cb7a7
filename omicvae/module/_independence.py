"""Kernel dependence between shared and private codes (normalised HSIC), for the independence term."""

from __future__ import annotations

import torch

MIN_SAMPLES = 8
"""Fewer samples of a modality in a batch than this give no estimate (the term skips them)."""


def _rbf_gram(x: torch.Tensor) -> torch.Tensor:
    """Gaussian-kernel Gram matrix of the rows of ``x`` ``(n, d)`` with a zero diagonal.

    The bandwidth is the median squared distance between rows (held constant for the gradient), so
    the measure does not change when a code is rescaled.
    """
    sq = torch.cdist(x, x).pow(2)
    off_diagonal = ~torch.eye(x.shape[0], dtype=torch.bool, device=x.device)
    bandwidth = sq[off_diagonal].median().detach().clamp(min=1e-12)
    return torch.exp(-sq / bandwidth) * off_diagonal


def _unbiased_hsic(gram_a: torch.Tensor, gram_b: torch.Tensor) -> torch.Tensor:
    """Unbiased HSIC estimate (Song et al., 2012) from zero-diagonal Gram matrices, ``n >= 4``."""
    n = gram_a.shape[0]
    product = gram_a @ gram_b
    value = (
        product.trace()
        + gram_a.sum() * gram_b.sum() / ((n - 1) * (n - 2))
        - 2.0 * product.sum() / (n - 2)
    )
    return value / (n * (n - 3))


def kernel_alignment(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Normalised HSIC of two codes of the same samples: about 0 when independent, 1 at most.

    ``HSIC(x, y) / sqrt(HSIC(x, x) HSIC(y, y))`` with Gaussian kernels and the unbiased estimator,
    whose expectation is exactly 0 when the rows of ``x`` and ``y`` are independent (so a batch
    value can be slightly negative). The usual biased estimator is positive even then, more so for
    clustered codes: as a penalty it made the private codes give up their own class structure.
    Unlike a linear correlation it also sees non-linear dependence.

    Parameters
    ----------
    x, y
        ``(n, d_x)`` and ``(n, d_y)``, rows are samples; ``n >= 4``.
    """
    kx, ky = _rbf_gram(x), _rbf_gram(y)
    norm = (_unbiased_hsic(kx, kx) * _unbiased_hsic(ky, ky)).clamp(min=1e-12).sqrt()
    return _unbiased_hsic(kx, ky) / norm


def own_private_dependence(
    mu_z: torch.Tensor, mu_w: torch.Tensor, mask: torch.Tensor, complete: bool
) -> torch.Tensor:
    """Sum over modalities of the kernel alignment between each shared code and its own private code.

    The counterpart of :func:`shared_private_dependence`: it moves the shared codes only (the
    private means carry no gradient), so whatever modality ``m``'s shared code ``z_m`` knows of the
    private factors that ``w_m`` holds is pushed out of ``z_m``. A shared code that keeps ``m``'s
    private signal lets the decoders read it from ``z``, and ``variance_explained`` then gives the
    shared part variance that is ``m``'s own. Samples lacking ``m`` are skipped, and so is a modality
    with fewer than :data:`MIN_SAMPLES` samples in the batch. The arguments are those of
    :func:`shared_private_dependence`.
    """
    total = mu_z.new_zeros(())
    mu_w = mu_w.detach()
    for m in range(mu_z.shape[0]):
        shared, private = mu_z[m], mu_w[m]
        if not complete:
            shared, private = shared[mask[:, m]], private[mask[:, m]]
        if shared.shape[0] >= MIN_SAMPLES:
            total = total + kernel_alignment(shared, private)
    return total


def shared_private_dependence(
    mu_z: torch.Tensor, mu_w: torch.Tensor, mask: torch.Tensor, complete: bool
) -> torch.Tensor:
    """Sum over modalities of the kernel alignment between each private code and the other modalities' shared code.

    The reference for modality ``m`` is the mean of the shared posterior means of the *other*
    modalities present, without gradient. What those codes know about a sample is information that
    modality ``m`` shares with the others by construction; the modality's own shared code is not used,
    because whatever private information it still holds would then be pushed out of ``w_m`` as well.
    The term moves the private codes only, never the shared ones. A sample contributes to modality
    ``m`` when it has ``m`` and at least one other modality; one-modality models get 0, and so does a
    modality with fewer than :data:`MIN_SAMPLES` such samples in the batch.

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
        private = mu_w[m]
        if not complete:
            rows = mask[:, m] & (others[:, 0] > 0)
            private, reference = private[rows], reference[rows]
        if private.shape[0] >= MIN_SAMPLES:
            total = total + kernel_alignment(private, reference)
    return total
