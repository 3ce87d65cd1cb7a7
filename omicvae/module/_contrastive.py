"""NT-Xent (SimCLR-style InfoNCE) between pairs of views of the same samples, every pair in one batch."""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

# Masked similarities get a large finite value instead of -inf so that an anchor with no valid
# candidate gives a finite (and then discarded) loss with finite gradients.
_MASKED = -1e4


def nt_xent_pairs(
    views: torch.Tensor,
    valid: torch.Tensor,
    first: torch.Tensor,
    second: torch.Tensor,
    temperature: float = 1.0,
    complete: bool | None = None,
) -> torch.Tensor:
    """NT-Xent of several view pairs at once, in both directions.

    Each pair ``(a, b)`` is scored SimCLR's way: the ``2B`` codes of both views form one similarity
    matrix, each anchor's positive is its own sample in the other view, and its candidates are every
    other code of the pair. All pairs share one matrix product and one ``logsumexp``.

    Parameters
    ----------
    views
        ``(V, B, d)``: ``V`` views of ``B`` samples (codes of different widths can share a stack after
        zero-padding: neither the norms nor the dot products change).
    valid
        ``(V, B)`` bool: sample ``b`` has view ``v``. A pair uses only the samples that have both views.
    first, second
        ``(P,)`` long: the two views of each pair.
    temperature
        Softmax temperature of the cosine similarities.
    complete
        Whether every sample is valid in every view used, when the caller knows (skips the masking);
        ``None`` checks it.

    Returns
    -------
    torch.Tensor
        ``(P, 2)``: ``[p, 0]`` is the mean over valid anchors ``i`` of view ``first[p]`` of ``-log
        softmax`` of the positive ``second[p]_i`` among the ``2B' - 1`` candidates (``second[p]_j``
        for all ``j``, ``first[p]_j`` for ``j != i``); ``[p, 1]`` is the same with the views swapped.
        The symmetric loss of a pair is the mean of the two.
    """
    n = views.shape[1]
    n_pairs = first.shape[0]
    unit = F.normalize(views, dim=-1)
    if temperature != 1.0:
        unit = unit / math.sqrt(temperature)
    codes = unit[torch.stack([first, second], dim=1)].flatten(1, 2)  # (P, 2B, d)
    sim = torch.bmm(codes, codes.transpose(1, 2))  # (P, 2B, 2B)
    sim.diagonal(dim1=-2, dim2=-1).fill_(_MASKED)  # an anchor is not its own candidate
    pair_ok = valid[first] & valid[second]  # (P, B)
    if complete is None:
        complete = bool(pair_ok.all())
    ok = torch.cat([pair_ok, pair_ok], dim=1)  # (P, 2B)
    if not complete:
        sim = sim.masked_fill(~ok[:, None, :], _MASKED)
    positive = torch.cat(
        [sim.diagonal(n, dim1=-2, dim2=-1), sim.diagonal(-n, dim1=-2, dim2=-1)], dim=1
    )
    per_anchor = sim.logsumexp(-1) - positive  # (P, 2B)
    if not complete:
        per_anchor = torch.where(ok, per_anchor, 0.0)
    counts = pair_ok.sum(-1, keepdim=True).clamp(min=1)
    return per_anchor.view(n_pairs, 2, n).sum(-1) / counts


@functools.lru_cache(maxsize=64)
def unordered_pairs(n_views: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Index tensors of the pairs ``(m, n)``, ``m < n``, of ``n_views`` views, built once per device."""
    first, second = torch.triu_indices(n_views, n_views, offset=1, device=device)
    return first, second


def nt_xent_matrix(
    views: torch.Tensor, valid: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """Mean NT-Xent loss of every ordered view pair.

    Parameters
    ----------
    views
        ``(G, V, B, d)``: ``G`` independent groups of ``V`` views of ``B`` samples.
    valid
        ``(G, V, B)`` bool: sample ``b`` has view ``v``.
    temperature
        Softmax temperature of the cosine similarities.

    Returns
    -------
    torch.Tensor
        ``(G, V, V)``: entry ``[g, m, n]`` is the loss of anchors in view ``m`` against view ``n``
        (see :func:`nt_xent_pairs`). The diagonal is zero. The symmetric NT-Xent loss of a pair is
        ``(T[m, n] + T[n, m]) / 2``.
    """
    n_groups, n_views = views.shape[:2]
    table = views.new_zeros(n_groups, n_views, n_views)
    if n_views < 2:
        return table
    pm, pn = unordered_pairs(n_views, views.device)
    offsets = torch.arange(n_groups, device=views.device)[:, None] * n_views
    losses = nt_xent_pairs(
        views.flatten(0, 1),
        valid.flatten(0, 1),
        (offsets + pm).flatten(),
        (offsets + pn).flatten(),
        temperature,
    ).view(n_groups, -1, 2)
    table[:, pm, pn] = losses[..., 0]
    table[:, pn, pm] = losses[..., 1]
    return table


def cross_mi_loss(
    shared_means: torch.Tensor,
    mask: torch.Tensor,
    temperature: float = 1.0,
    complete: bool | None = None,
) -> torch.Tensor:
    """L_CrossMI with the released code's normalisation: ``sum over ordered pairs of NT-Xent / (M - 1)``.

    Parameters
    ----------
    shared_means
        ``(M, B, d)`` posterior means of z from each modality.
    mask
        ``(B, M)`` presence mask.
    temperature
        Softmax temperature of the cosine similarities.
    complete
        Whether every sample has every modality, when the caller knows (see :func:`nt_xent_pairs`).

    Returns
    -------
    torch.Tensor
        A scalar; 0 for one modality.
    """
    n_mod = shared_means.shape[0]
    if n_mod < 2:
        return shared_means.new_zeros(())
    first, second = unordered_pairs(n_mod, shared_means.device)
    losses = nt_xent_pairs(shared_means, mask.T, first, second, temperature, complete)
    return losses.sum() / (n_mod - 1)


def paired_nt_xent(
    a: torch.Tensor,
    b: torch.Tensor,
    valid: torch.Tensor,
    temperature: float = 1.0,
    complete: bool | None = None,
) -> torch.Tensor:
    """Symmetric NT-Xent between two views, for ``G`` groups at once.

    Parameters
    ----------
    a, b
        ``(G, B, d)`` the two views.
    valid
        ``(G, B)`` bool: which samples take part.
    temperature
        Softmax temperature of the cosine similarities.
    complete
        Whether every sample is valid, when the caller knows (see :func:`nt_xent_pairs`).

    Returns
    -------
    torch.Tensor
        ``(G,)`` losses.
    """
    n_groups = a.shape[0]
    index = torch.arange(n_groups, device=a.device)
    losses = nt_xent_pairs(
        torch.cat([a, b]), torch.cat([valid, valid]), index, index + n_groups, temperature, complete
    )
    return losses.mean(1)
