"""A deliberately plain, loop-based computation of the IDMVAE objective, written from method.md.

Used to check the batched module: same weights, same batch and same random draws must give the same
terms. Loops run over samples, source/target modalities, pairs and anchors.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch.distributions import Normal

PRIOR = math.log(2.0)


def nt_xent(a: torch.Tensor, b: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    """SimCLR NT-Xent of two views (n, d): mean over the 2n anchors of -log softmax of the partner."""
    n = a.shape[0]
    v = F.normalize(torch.cat([a, b]), dim=-1)
    sim = v @ v.T / tau
    total = 0.0
    for k in range(2 * n):
        pos = k + n if k < n else k - n
        others = torch.stack([sim[k, j] for j in range(2 * n) if j != k])
        total = total + (torch.logsumexp(others, 0) - sim[k, pos])
    return total / (2 * n)


def _standardize(module, m, inputs):
    if not module.standardize_inputs:
        return inputs
    return (inputs - getattr(module, f"input_loc_{m}")) / getattr(module, f"input_scale_{m}")


def _encode(module, batch, m):
    return module.encoders[m](
        _standardize(module, m, module.likelihoods[m].encoder_input(batch["x"][m])), None
    )


def _lib(batch, d, rows):
    lib = batch["library"][d]
    return None if lib is None else lib[rows]


def reference_terms(module, batch, noise) -> dict[str, torch.Tensor]:
    M = module.n_mod
    mask = batch["mask"]
    n = mask.shape[0]
    enc = [_encode(module, batch, m) for m in range(M)]
    mu_z = [e[0] for e in enc]
    sd_z = [e[1] for e in enc]
    mu_w = [e[2] for e in enc]
    sd_w = [e[3] for e in enc]
    z = [mu_z[m] + sd_z[m] * noise.eps_z[m] for m in range(M)]
    w = [mu_w[m] + sd_w[m] * noise.eps_w[m] for m in range(M)]

    # ---- MMVAE+ ELBO
    rec_terms, kl_terms = [], []
    for i in range(n):
        present = [m for m in range(M) if mask[i, m]]
        rec_i, kl_i = 0.0, 0.0
        for r in present:
            for d in present:
                if d == r:
                    w_d = w[r][i]
                else:
                    w_d = F.softplus(module.aux_rho[d]) * noise.eps_aux[d, r, i]
                out = module.decoders[d](z[r][i : i + 1], w_d[None], None)
                lp = module.likelihoods[d].log_prob(
                    batch["x"][d][i : i + 1], out, _lib(batch, d, slice(i, i + 1))
                )
                rec_i = rec_i + module.likelihood_scale[d] * lp[0]
            log_pz = Normal(0.0, PRIOR).log_prob(z[r][i]).sum()
            log_pw = Normal(0.0, PRIOR).log_prob(w[r][i]).sum()
            comps = torch.stack(
                [Normal(mu_z[m][i], sd_z[m][i]).log_prob(z[r][i]).sum() for m in present]
            )
            log_qz = torch.logsumexp(comps, 0) - math.log(len(present))
            log_qw = Normal(mu_w[r][i], sd_w[r][i]).log_prob(w[r][i]).sum()
            kl_i = kl_i + module.beta * (log_pz + log_pw - log_qz - log_qw)
        rec_terms.append(rec_i / len(present))
        kl_terms.append(kl_i / len(present))
    rec = -torch.stack(rec_terms).mean()
    kl = -torch.stack(kl_terms).mean()
    terms = {"elbo": rec + kl, "reconstruction": rec, "kl": kl}

    # ---- CrossMI over ordered pairs, on samples that have both modalities
    if module.cross_mi_weight > 0:
        total = 0.0
        for a in range(M):
            for b in range(M):
                if a == b:
                    continue
                rows = mask[:, a] & mask[:, b]
                if rows.sum() > 0:
                    total = total + nt_xent(mu_z[a][rows], mu_z[b][rows], module.temperature)
        terms["cross_mi"] = total / (M - 1)

    # ---- GenAug: roll by one among the samples that have the modality
    if module.gen_aug_weight > 0:
        total = 0.0
        for m in range(M):
            rows = [i for i in range(n) if mask[i, m]]
            prev = {rows[k]: rows[k - 1] for k in range(len(rows))}
            zp, wp = [], []
            for i in rows:
                lib = _lib(batch, m, slice(i, i + 1))
                lik = module.likelihoods[m]
                out_z = module.decoders[m](z[m][i : i + 1], w[m][prev[i] : prev[i] + 1], None)
                out_w = module.decoders[m](z[m][prev[i] : prev[i] + 1], w[m][i : i + 1], None)
                zp.append(
                    module.encoders[m](
                        _standardize(module, m, lik.mean_encoder_input(out_z, lib)), None
                    )[0][0]
                )
                wp.append(
                    module.encoders[m](
                        _standardize(module, m, lik.mean_encoder_input(out_w, lib)), None
                    )[2][0]
                )
            loss_z = nt_xent(mu_z[m][rows], torch.stack(zp), module.temperature)
            loss_w = nt_xent(mu_w[m][rows], torch.stack(wp), module.temperature)
            total = total + 0.5 * (loss_z + loss_w)
        terms["gen_aug"] = total

    # ---- diffusion priors: min-SNR weighted x0 error, mean over present samples, averaged over modalities
    if module.diffusion_z is not None and module.diffusion_weight > 0:
        total = 0.0
        t_z = noise.t_z.view(M, n)
        e_z = noise.noise_z.view(M, n, -1)
        for m in range(M):
            rows = [i for i in range(n) if mask[i, m]]
            acc = 0.0
            for i in rows:
                for prior, x0, t, eps, g in (
                    (module.diffusion_z, mu_z[m][i], t_z[m, i], e_z[m, i], 0),
                    (module.diffusion_w, mu_w[m][i], noise.t_w[m, i], noise.noise_w[m, i], m),
                ):
                    ac = prior.alphas_cumprod[t]
                    x_t = ac.sqrt() * x0 + (1 - ac).sqrt() * eps
                    den = prior.denoiser
                    # evaluate group g of the batched denoiser on one row
                    h = _group_mlp(den, g, x_t, t)
                    snr = ac / (1 - ac)
                    acc = acc + snr.clamp(1, 100) * (h - x0).pow(2).sum()
            total = total + acc / len(rows)
        terms["diffusion"] = total / M

    loss = terms["elbo"]
    for name, weight in (
        ("cross_mi", module.cross_mi_weight),
        ("gen_aug", module.gen_aug_weight),
        ("diffusion", module.diffusion_weight),
    ):
        if name in terms:
            loss = loss + weight * terms[name]
    terms["loss"] = loss
    return terms


def _linear(layer, g, x):
    return x @ layer.weight[g] + layer.bias[g, 0]


def _group_mlp(den, g, x_t, t):
    """Denoiser group ``g`` written out layer by layer: the time embedding is added before the output."""
    half = den.hidden // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    emb = torch.cat([torch.sin(t.float() * freqs), torch.cos(t.float() * freqs)])
    h = F.gelu(_linear(den.inp[2], g, F.gelu(_linear(den.inp[0], g, x_t))))
    temb = _linear(den.time[2], g, F.gelu(_linear(den.time[0], g, emb)))
    return _linear(den.out, g, h + temb)
