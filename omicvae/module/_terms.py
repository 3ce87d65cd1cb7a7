"""The terms of the IDMVAE objective, each a :class:`LossTerm`: a function of the step state."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from ._contrastive import cross_mi_loss, paired_nt_xent
from ._elbo import (
    PRIOR_SCALE,
    centred_gaussian_log_density,
    gaussian_log_density,
    mixture_log_density,
    mmvae_plus_loss,
)
from ._independence import own_private_dependence, shared_private_dependence
from ._state import StepState

if TYPE_CHECKING:
    from ._idmvae import IDMVAEModule

TermValue = torch.Tensor | Mapping[str, torch.Tensor]


@dataclass(frozen=True)
class LossTerm:
    """One term of the objective.

    Parameters
    ----------
    name
        The logged name; also the key of the term's weight in ``IDMVAEModule.weights``.
    compute
        ``compute(module, state) -> scalar tensor``, or a dict with the scalar under ``name`` and
        further entries that are logged but not added to the loss.
    weighted
        ``False``: the term always counts once (the ELBO); ``True``: it counts ``weights[name]``
        times and is skipped when that weight is 0.
    """

    name: str
    compute: Callable[[IDMVAEModule, StepState], TermValue]
    weighted: bool = True


def previous_present(present: torch.Tensor) -> torch.Tensor:
    """For each row, the previous row (cyclically) that is present; absent rows point to themselves.

    Parameters
    ----------
    present
        ``(B,)`` bool.
    """
    n = present.shape[0]
    partner = torch.arange(n, device=present.device)
    if bool(present.all()):
        return partner.roll(1)
    rows = present.nonzero().squeeze(1)
    partner[rows] = rows.roll(1)
    return partner


def reconstruction_log_likelihood(module: IDMVAEModule, state: StepState) -> torch.Tensor:
    """``(R, D, B)`` log p(x_d | z_r, w~_d): own w for d = r, a draw from r_d(w) otherwise."""
    z, w, noise = state.z, state.w, state.noise
    n_mod, n = z.shape[:2]
    z_flat = z.reshape(n_mod * n, -1)
    cov = state.covariates
    cov_rep = None if cov is None else cov.repeat(n_mod, 1)
    rows = []
    for d in range(n_mod):
        w_in = F.softplus(module.aux_rho[d]) * noise.eps_aux[d]  # (R, B, n_private)
        w_in = torch.cat([w_in[:d], w[d : d + 1], w_in[d + 1 :]])
        out = module.decode(d, z_flat, w_in.reshape(n_mod * n, -1), cov_rep)
        lib = state.library[d]
        lib = None if lib is None else lib.repeat(n_mod, 1)
        x = state.x[d]
        x_rep = x.repeat(n_mod, *([1] * (x.dim() - 1)))
        lp = module.likelihoods[d].log_prob(x_rep, out, lib).view(n_mod, n)
        rows.append(module.likelihood_scale[d] * lp)
    return torch.stack(rows, dim=1)


def elbo(module: IDMVAEModule, state: StepState) -> dict[str, torch.Tensor]:
    """Negative MMVAE+ ELBO (``elbo``) and its parts ``reconstruction`` and ``kl`` (β-weighted)."""
    post, z, w = state.posterior, state.z, state.w
    loss, rec, kl = mmvae_plus_loss(
        reconstruction_log_likelihood(module, state),
        centred_gaussian_log_density(z, PRIOR_SCALE),
        centred_gaussian_log_density(w, PRIOR_SCALE),
        mixture_log_density(z, post.mu_z, post.sd_z, state.mask),
        gaussian_log_density(w, post.mu_w, post.sd_w),
        state.mask,
        module.weights["beta"],
    )
    return {"elbo": loss, "reconstruction": rec, "kl": kl}


def cross_mi(module: IDMVAEModule, state: StepState) -> torch.Tensor:
    """L_CrossMI: NT-Xent between the shared means of every two modalities (0 for one modality)."""
    return cross_mi_loss(state.posterior.mu_z, state.mask, module.temperature, state.complete)


def swapped_views(module: IDMVAEModule, state: StepState) -> tuple[torch.Tensor, torch.Tensor]:
    """Re-encoded decoder means of swapped (z, w) pairs: ``(M, B, n_shared)`` and ``(M, B, n_private)``.

    For sample ``i`` of modality ``m``, the z-view decodes ``(z_i, w_prev(i))`` and keeps the
    re-encoded z mean; the w-view decodes ``(z_prev(i), w_i)`` and keeps the re-encoded w mean, where
    ``prev(i)`` is the previous sample of the batch that has modality ``m``.
    """
    z, w, cov = state.z, state.w, state.covariates
    n = z.shape[1]
    plus_z, plus_w = [], []
    cov2 = None if cov is None else torch.cat([cov, cov])
    roll = torch.arange(n, device=z.device).roll(1) if state.complete else None
    for m in range(module.n_mod):
        prev = roll if state.complete else previous_present(state.mask[:, m])
        z2 = torch.cat([z[m], z[m][prev]])  # z-branch keeps z_i; w-branch takes z_{i-1}
        w2 = torch.cat([w[m][prev], w[m]])
        lib = state.library[m]
        lib2 = None if lib is None else torch.cat([lib, lib])
        mean_input = module.likelihoods[m].mean_encoder_input(module.decode(m, z2, w2, cov2), lib2)
        mu_z_plus, _, mu_w_plus, _ = module.encoders[m](module.standardize(m, mean_input), cov2)
        plus_z.append(mu_z_plus[:n])
        plus_w.append(mu_w_plus[n:])
    return torch.stack(plus_z), torch.stack(plus_w)


def gen_aug(module: IDMVAEModule, state: StepState) -> torch.Tensor:
    """L_GenAug: each modality contributes (symmetric NT-Xent of z + that of w) / 2."""
    post, valid = state.posterior, state.mask.T
    plus_z, plus_w = swapped_views(module, state)
    temperature, complete = module.temperature, state.complete
    loss_z = paired_nt_xent(post.mu_z, plus_z, valid, temperature, complete)
    loss_w = paired_nt_xent(post.mu_w, plus_w, valid, temperature, complete)
    return 0.5 * (loss_z.sum() + loss_w.sum())


def independence(module: IDMVAEModule, state: StepState) -> torch.Tensor:
    """Kernel dependence between each private code and the other modalities' shared codes."""
    post = state.posterior
    return shared_private_dependence(post.mu_z, post.mu_w, state.mask, state.complete)


def shared_purity(module: IDMVAEModule, state: StepState) -> torch.Tensor:
    """Kernel dependence between each shared code and its own modality's private code."""
    post = state.posterior
    return own_private_dependence(post.mu_z, post.mu_w, state.mask, state.complete)


def private_reconstruction(module: IDMVAEModule, state: StepState) -> torch.Tensor:
    """Negative log p(x_d | z_r, w_d) for every other source r, own private sample w_d.

    Another modality's shared sample cannot know d's private factors, so the decoders must take the
    private signal from w (why the ELBO alone does not: ``docs/user_guide/disentanglement.md``).
    Mean over the samples that have both modalities, averaged over the ordered pairs; 0 for one
    modality.
    """
    z, w, mask = state.z, state.w, state.mask
    pairs = list(itertools.permutations(range(module.n_mod), 2))
    total = z.new_zeros(())
    for d, r in pairs:
        out = module.decode(d, z[r], w[d], state.covariates)
        log_lik = module.likelihoods[d].log_prob(state.x[d], out, state.library[d])
        both = mask[:, d] & mask[:, r]
        mean = torch.where(both, log_lik, 0.0).sum() / both.sum().clamp(min=1)
        total = total - module.likelihood_scale[d] * mean
    return total / max(len(pairs), 1)


def diffusion(module: IDMVAEModule, state: StepState) -> torch.Tensor:
    """L_diff = (1/M) sum_m [D_z(mu_z,m) + D_w,m(mu_w,m)], each a mean over the samples present."""
    if module.diffusion_z is None:
        raise RuntimeError("the diffusion term needs a module built with diffusion_prior=True")
    post, noise = state.posterior, state.noise
    n_mod, n = post.mu_z.shape[:2]
    loss_z = module.diffusion_z.per_sample_loss(
        post.mu_z.reshape(1, n_mod * n, -1), noise.t_z, noise.noise_z
    )
    loss_w = module.diffusion_w.per_sample_loss(post.mu_w, noise.t_w, noise.noise_w)
    valid = state.mask.T
    per_sample = loss_z.view(n_mod, n) + loss_w
    per_mod = torch.where(valid, per_sample, 0.0).sum(1) / valid.sum(1).clamp(min=1)
    return per_mod.mean()


LOSS_TERMS: tuple[LossTerm, ...] = (
    LossTerm("elbo", elbo, weighted=False),
    LossTerm("cross_mi", cross_mi),
    LossTerm("gen_aug", gen_aug),
    LossTerm("independence", independence),
    LossTerm("shared_purity", shared_purity),
    LossTerm("private_reconstruction", private_reconstruction),
    LossTerm("diffusion", diffusion),
)
"""The terms of IDMVAE's objective, in the order they are computed and logged."""
