"""NT-Xent (SimCLR-style InfoNCE) between several views of the same samples, batched over groups and pairs."""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Masked similarities get a large finite value instead of -inf so that an anchor with no valid
# candidate gives a finite (and then discarded) loss with finite gradients.
_MASKED = -1e4


def nt_xent_matrix(views: torch.Tensor, valid: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Mean NT-Xent loss of every ordered view pair.

    Parameters
    ----------
    views
        ``(G, V, B, d)``: ``G`` independent groups of ``V`` views of ``B`` samples.
    valid
        ``(G, V, B)`` bool: sample ``b`` has view ``v``. A pair of views uses only the samples that
        have both.
    temperature
        Softmax temperature of the cosine similarities.

    Returns
    -------
    torch.Tensor
        ``(G, V, V)``: entry ``[g, m, n]`` is the mean over valid anchors ``i`` in view ``m`` of
        ``-log softmax`` of the positive ``(m_i, n_i)`` among the ``2B' - 1`` candidates of the pair
        (``n_j`` for all ``j`` and ``m_j`` for ``j != i``). The diagonal is zero. The symmetric NT-Xent
        loss of a pair is ``(T[m, n] + T[n, m]) / 2``.
    """
    u = F.normalize(views, dim=-1)
    n_views, n = u.shape[1], u.shape[2]
    cross = torch.einsum("gmid,gnjd->gmnij", u, u) / temperature  # (G, V, V, B, B)
    pair = valid[:, :, None, :] & valid[:, None, :, :]  # (G, V, V, B)
    col_ok = pair[..., None, :]
    eye = torch.eye(n, dtype=torch.bool, device=u.device)
    within = torch.einsum("gmid,gmjd->gmij", u, u)[:, :, None] / temperature  # (G, V, 1, B, B)
    lse = torch.logaddexp(
        cross.masked_fill(~col_ok, _MASKED).logsumexp(-1),
        within.masked_fill(~col_ok | eye, _MASKED).logsumexp(-1),
    )
    positive = torch.diagonal(cross, dim1=-2, dim2=-1)  # (G, V, V, B)
    per_anchor = torch.where(pair, lse - positive, torch.zeros_like(lse))
    mean = per_anchor.sum(-1) / pair.sum(-1).clamp(min=1)
    off_diagonal = ~torch.eye(n_views, dtype=torch.bool, device=u.device)
    return mean * off_diagonal


def cross_mi_loss(shared_means: torch.Tensor, mask: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """L_CrossMI with the released code's normalisation: ``sum over ordered pairs of NT-Xent / (M - 1)``.

    Parameters
    ----------
    shared_means
        ``(M, B, d)`` posterior means of z from each modality.
    mask
        ``(B, M)`` presence mask.
    """
    n_mod = shared_means.shape[0]
    if n_mod < 2:
        return shared_means.new_zeros(())
    table = nt_xent_matrix(shared_means[None], mask.T[None], temperature)[0]
    return table.sum() / (n_mod - 1)


def paired_nt_xent(a: torch.Tensor, b: torch.Tensor, valid: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Symmetric NT-Xent between two views, for ``G`` groups at once.

    Parameters
    ----------
    a, b
        ``(G, B, d)`` the two views.
    valid
        ``(G, B)`` bool: which samples take part.

    Returns
    -------
    torch.Tensor
        ``(G,)`` losses.
    """
    table = nt_xent_matrix(torch.stack([a, b], dim=1), torch.stack([valid, valid], dim=1), temperature)
    return 0.5 * (table[:, 0, 1] + table[:, 1, 0])
