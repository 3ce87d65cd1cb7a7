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

    ``HSIC(x, y) / sqrt(HSIC(x, x) HSIC(y, y))`` with Gaussian kernels, which see non-linear
    dependence too, and the unbiased estimator, whose expectation is 0 for independent rows (so a
    batch value can be slightly negative); why unbiased: ``docs/user_guide/disentanglement.md``.

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

    The counterpart of :func:`shared_private_dependence`: the private means are held fixed, so the
    term moves the shared codes only and pushes out of ``z_m`` what it knows of ``w_m``'s private
    factors (why: ``docs/user_guide/disentanglement.md``). Samples lacking ``m`` are skipped, and
    so is a modality with fewer than :data:`MIN_SAMPLES` samples in the batch. The arguments are
    those of :func:`shared_private_dependence`.
    """
    return _summed_alignment(mu_z, mu_w.detach(), mask.T, complete)


def shared_private_dependence(
    mu_z: torch.Tensor, mu_w: torch.Tensor, mask: torch.Tensor, complete: bool
) -> torch.Tensor:
    """Sum over modalities of the kernel alignment between each private code and the other modalities' shared code.

    The reference for modality ``m`` is the mean of the shared posterior means of the *other*
    modalities present, without gradient, so the term moves the private codes only; ``m``'s own
    shared code is left out because the private signal it may still hold would be pushed out of
    ``w_m`` too (see ``docs/user_guide/disentanglement.md``). A sample contributes to modality ``m``
    when it has ``m`` and at least one other modality; one-modality models get 0, and so does a
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
    if mu_z.shape[0] < 2:
        return mu_w.new_zeros(())
    mu_z = mu_z.detach()
    present = mask.T.to(mu_z.dtype).unsqueeze(-1)  # (M, B, 1)
    own = mu_z * present
    others = present.sum(0) - present  # (M, B, 1)
    references = (own.sum(0) - own) / others.clamp(min=1)
    return _summed_alignment(mu_w, references, mask.T & (others[..., 0] > 0), complete)


def _summed_alignment(
    x: torch.Tensor, y: torch.Tensor, rows: torch.Tensor, complete: bool
) -> torch.Tensor:
    """Sum over ``m`` of ``kernel_alignment(x[m][rows[m]], y[m][rows[m]])`` (all rows if complete)."""
    total = x.new_zeros(())
    for m in range(x.shape[0]):
        xm, ym = (x[m], y[m]) if complete else (x[m][rows[m]], y[m][rows[m]])
        if xm.shape[0] >= MIN_SAMPLES:
            total = total + kernel_alignment(xm, ym)
    return total
