"""NT-Xent (SimCLR-style InfoNCE) between several views of the same samples, batched over groups and pairs."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

# Masked similarities get a large finite value instead of -inf so that an anchor with no valid
# candidate gives a finite (and then discarded) loss with finite gradients.
_MASKED = -1e4


@functools.lru_cache(maxsize=64)
def _ordered_pairs(n_views: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Index tensors of the ordered pairs ``(m, n)``, ``m != n``, built once per size and device."""
    pairs = [(m, n) for m in range(n_views) for n in range(n_views) if m != n]
    index = torch.tensor(pairs, dtype=torch.long).T.to(device)
    return index[0], index[1]


def nt_xent_matrix(
    views: torch.Tensor, valid: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
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
    n_groups, n_views, n = u.shape[:3]
    table = u.new_zeros(n_groups, n_views, n_views)
    if n_views < 2:
        return table
    # only the ordered pairs m != n are computed (the diagonal of the table is zero by definition)
    pm, pn = _ordered_pairs(n_views, u.device)
    u_m, u_n = u[:, pm], u[:, pn]  # (G, P, B, d)
    cross = torch.einsum("gpid,gpjd->gpij", u_m, u_n) / temperature  # (G, P, B, B)
    within = (torch.einsum("gmid,gmjd->gmij", u, u) / temperature)[:, pm]  # (G, P, B, B)
    pair = valid[:, pm] & valid[:, pn]  # (G, P, B)
    col_ok = pair[..., None, :]
    eye = torch.eye(n, dtype=torch.bool, device=u.device)
    lse = torch.logaddexp(
        cross.masked_fill(~col_ok, _MASKED).logsumexp(-1),
        within.masked_fill(~col_ok | eye, _MASKED).logsumexp(-1),
    )
    positive = torch.diagonal(cross, dim1=-2, dim2=-1)  # (G, P, B)
    per_anchor = torch.where(pair, lse - positive, torch.zeros_like(lse))
    table[:, pm, pn] = per_anchor.sum(-1) / pair.sum(-1).clamp(min=1)
    return table


def cross_mi_loss(
    shared_means: torch.Tensor, mask: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
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


def paired_nt_xent(
    a: torch.Tensor, b: torch.Tensor, valid: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
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
    table = nt_xent_matrix(
        torch.stack([a, b], dim=1), torch.stack([valid, valid], dim=1), temperature
    )
    return 0.5 * (table[:, 0, 1] + table[:, 1, 0])
