"""The IDMVAE torch module: networks for every modality and the full objective of method.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..distributions import likelihood_class, make_likelihood
from ..nn import ConvDecoder, ConvEncoder, LatentDiffusion, MLPDecoder, MLPEncoder
from ._contrastive import nt_xent_pairs, unordered_pairs
from ._elbo import (
    PRIOR_SCALE,
    centred_gaussian_log_density,
    gaussian_log_density,
    mixture_log_density,
    mmvae_plus_loss,
)
from ._independence import shared_private_dependence
from ._output import LossOutput


@dataclass
class Posterior:
    """Unimodal posterior parameters stacked over modalities: ``(M, B, d)`` each."""

    mu_z: torch.Tensor
    sd_z: torch.Tensor
    mu_w: torch.Tensor
    sd_w: torch.Tensor


@dataclass
class Noise:
    """Every random draw of one training step, so a step can be replayed exactly.

    ``eps_z`` ``(M, B, n_shared)`` and ``eps_w`` ``(M, B, n_private)`` reparameterise the posterior samples;
    ``eps_aux`` ``(M, M, B, n_private)`` draws w~_d from the auxiliary prior for source r (entry ``[d, r]``);
    ``t_z``, ``noise_z``, ``t_w``, ``noise_w`` are the diffusion times and noises (``None`` without priors).
    """

    eps_z: torch.Tensor
    eps_w: torch.Tensor
    eps_aux: torch.Tensor
    t_z: torch.Tensor | None = None
    noise_z: torch.Tensor | None = None
    t_w: torch.Tensor | None = None
    noise_w: torch.Tensor | None = None


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


class IDMVAEModule(nn.Module):
    """Encoders, decoders, likelihoods, auxiliary priors and diffusion priors of IDMVAE, and its loss.

    Parameters
    ----------
    modalities
        One entry per modality with attributes ``name``, ``likelihood``, ``n_features`` and, where they
        apply, ``image_shape`` and ``n_categories`` (a :class:`~omicvae.data.ModalitySpec` fits).
    n_shared, n_private
        Dimensions of z and of each w_m.
    n_batch
        Number of categories of the covariate given to encoders and decoders (0: none).
    beta
        Weight of the prior/posterior terms of the ELBO.
    cross_mi_weight, gen_aug_weight, diffusion_weight
        λ1, λ2 and λ_diff of method.md.
    independence_weight
        Weight of a term beyond the paper: the kernel dependence (normalised HSIC) between each
        private posterior mean and the (gradient-free) shared posterior mean, summed over
        modalities. It pushes shared information out of the private codes. 0 turns it off.
    diffusion_prior
        Train diffusion priors for z and each w_m jointly.
    encoder_hidden, decoder_hidden
        Hidden widths of the MLP networks (images use convolutional networks).
    separate_towers
        Separate MLP trunks for z and w in each encoder.
    activation, dropout, layer_norm
        MLP options.
    likelihood_scale
        Per-modality multiplier of the log-likelihood (default 1).
    image_scale, image_family
        The image likelihood's fixed Laplace scale, and ``"laplace"`` or ``"bernoulli"``.
    diffusion_hidden, diffusion_steps, diffusion_sample_steps
        Denoiser width, steps T, DDIM steps.
    temperature
        NT-Xent temperature.
    conv_channels
        Widths of the convolution stages of image encoders and decoders.
    standardize_inputs
        Centre and scale each encoder input feature with statistics of the training data (set with
        :meth:`fit_input_standardization`); off in the published setting. Images are never standardised.
    """

    def __init__(
        self,
        modalities: Sequence,
        *,
        n_shared: int = 16,
        n_private: int = 32,
        n_batch: int = 0,
        beta: float = 2.5,
        cross_mi_weight: float = 10.0,
        gen_aug_weight: float = 1e-3,
        independence_weight: float = 0.0,
        diffusion_prior: bool = True,
        diffusion_weight: float = 0.1,
        encoder_hidden: Sequence[int] = (128, 64),
        decoder_hidden: Sequence[int] = (64, 128),
        separate_towers: bool = False,
        activation: str = "relu",
        dropout: float = 0.0,
        layer_norm: bool = False,
        likelihood_scale: Mapping[str, float] | None = None,
        image_scale: float = 0.75,
        image_family: str = "laplace",
        diffusion_hidden: int = 512,
        diffusion_steps: int = 1000,
        diffusion_sample_steps: int = 100,
        temperature: float = 1.0,
        conv_channels: Sequence[int] = (32, 64, 128, 256),
        standardize_inputs: bool = False,
    ):
        super().__init__()
        self.names = tuple(m.name for m in modalities)
        self.n_mod = len(self.names)
        self.n_shared, self.n_private, self.n_batch = n_shared, n_private, n_batch
        self.beta = beta
        self.cross_mi_weight, self.gen_aug_weight = cross_mi_weight, gen_aug_weight
        self.independence_weight = independence_weight
        self.diffusion_weight = diffusion_weight if diffusion_prior else 0.0
        self.temperature = temperature
        self.diffusion_sample_steps = diffusion_sample_steps
        scale = dict(likelihood_scale or {})
        self.likelihood_scale = tuple(float(scale.get(n, 1.0)) for n in self.names)
        mlp_kw = dict(activation_name=activation, dropout=dropout, layer_norm=layer_norm)

        self.likelihoods, self.encoders, self.decoders = (
            nn.ModuleList(),
            nn.ModuleList(),
            nn.ModuleList(),
        )
        for m in modalities:
            lik = make_likelihood(
                m.likelihood,
                m.n_features,
                n_categories=getattr(m, "n_categories", None),
                image_scale=image_scale,
                image_family=image_family,
            )
            self.likelihoods.append(lik)
            if lik.network == "conv":
                shape = tuple(m.image_shape)
                conv = tuple(conv_channels)
                self.encoders.append(
                    ConvEncoder(shape, n_shared, n_private, n_covariates=n_batch, channels=conv)
                )
                self.decoders.append(
                    ConvDecoder(
                        n_shared, n_private, lik.heads, shape, n_covariates=n_batch, channels=conv
                    )
                )
            else:
                self.encoders.append(
                    MLPEncoder(
                        lik.encoder_dim,
                        n_shared,
                        n_private,
                        encoder_hidden,
                        n_covariates=n_batch,
                        separate_towers=separate_towers,
                        **mlp_kw,
                    )
                )
                self.decoders.append(
                    MLPDecoder(
                        n_shared,
                        n_private,
                        lik.heads,
                        decoder_hidden,
                        n_covariates=n_batch,
                        **mlp_kw,
                    )
                )
        self.standardize_inputs = standardize_inputs
        for m, lik in enumerate(self.likelihoods):
            width = lik.encoder_dim if m not in self._image_modalities(modalities) else 0
            self.register_buffer(f"input_loc_{m}", torch.zeros(width))
            self.register_buffer(f"input_scale_{m}", torch.ones(width))
        # auxiliary prior r_d(w_d) = N(0, softplus(rho_d)^2) used for cross-reconstruction
        self.aux_rho = nn.Parameter(torch.zeros(self.n_mod, n_private))
        self.diffusion_z = self.diffusion_w = None
        if diffusion_prior:
            self.diffusion_z = LatentDiffusion(n_shared, 1, diffusion_hidden, diffusion_steps)
            self.diffusion_w = LatentDiffusion(
                n_private, self.n_mod, diffusion_hidden, diffusion_steps
            )

    # ------------------------------------------------------------------ building blocks
    @staticmethod
    def _image_modalities(modalities) -> set[int]:
        return {
            m
            for m, spec in enumerate(modalities)
            if likelihood_class(spec.likelihood).network == "conv"
        }

    def standardize(self, m: int, inputs: torch.Tensor) -> torch.Tensor:
        """Apply modality ``m``'s input standardisation (identity when off or for images)."""
        loc = getattr(self, f"input_loc_{m}")
        if not self.standardize_inputs or loc.numel() == 0:
            return inputs
        return (inputs - loc) / getattr(self, f"input_scale_{m}")

    @torch.no_grad()
    def fit_input_standardization(self, rows_of_modality, min_scale: float = 1e-3) -> None:
        """Set each modality's input mean and standard deviation from its observed rows.

        The likelihoods receive the same statistics (:meth:`Likelihood.fit_data_scale`): the
        real-valued ones then decode in standardised units too.

        Parameters
        ----------
        rows_of_modality
            Callable ``m -> iterable of (n, n_features) data chunks`` (observed samples only).
        min_scale
            Features whose standard deviation is below this are only centred (scale 1).
        """
        for m, lik in enumerate(self.likelihoods):
            loc = getattr(self, f"input_loc_{m}")
            if loc.numel() == 0:
                continue
            total, total_sq, count = 0.0, 0.0, 0
            for chunk in rows_of_modality(m):
                inp = lik.encoder_input(chunk.to(loc.device)).double()
                total = total + inp.sum(0)
                total_sq = total_sq + inp.pow(2).sum(0)
                count += inp.shape[0]
            if count == 0:
                continue
            mean = total / count
            std = (total_sq / count - mean.pow(2)).clamp(min=0).sqrt()
            loc.copy_(mean.float())
            # a feature (almost) constant in the training data is only centred: dividing by a tiny
            # scale would turn any other value it takes on new samples into an enormous input
            scale = torch.where(std < min_scale, torch.ones_like(std), std)
            getattr(self, f"input_scale_{m}").copy_(scale.float())
            lik.fit_data_scale(mean.float(), scale.float())

    def covariates(self, batch_index: torch.Tensor | None) -> torch.Tensor | None:
        """One-hot covariates, or ``None`` when the model has none."""
        if self.n_batch == 0 or batch_index is None:
            return None
        return F.one_hot(batch_index.long(), self.n_batch).to(self.aux_rho.dtype)

    def encode(self, x: Sequence[torch.Tensor], cov: torch.Tensor | None) -> Posterior:
        """Unimodal posteriors of every modality (rows of absent samples are computed and ignored later)."""
        outs = [
            enc(self.standardize(m, lik.encoder_input(xm)), cov)
            for m, (enc, lik, xm) in enumerate(zip(self.encoders, self.likelihoods, x, strict=True))
        ]
        return Posterior(*(torch.stack(parts) for parts in zip(*outs, strict=True)))

    def decode(
        self, m: int, z: torch.Tensor, w: torch.Tensor, cov: torch.Tensor | None
    ) -> dict[str, torch.Tensor]:
        """Decoder output heads of modality ``m``."""
        return self.decoders[m](z, w, cov)

    def draw_noise(self, post: Posterior) -> Noise:
        """Fresh random draws for one step."""
        mu_z, mu_w = post.mu_z, post.mu_w
        n_mod, n = mu_z.shape[:2]
        noise = Noise(
            torch.randn_like(mu_z),
            torch.randn_like(mu_w),
            mu_w.new_empty(n_mod, *mu_w.shape).normal_(),
        )
        if self.diffusion_z is not None and self.diffusion_weight > 0:
            steps = self.diffusion_z.n_steps
            noise.t_z = torch.randint(0, steps, (1, n_mod * n), device=mu_z.device)
            noise.noise_z = torch.randn(
                1, n_mod * n, self.n_shared, device=mu_z.device, dtype=mu_z.dtype
            )
            noise.t_w = torch.randint(0, steps, (n_mod, n), device=mu_z.device)
            noise.noise_w = torch.randn_like(mu_w)
        return noise

    # ------------------------------------------------------------------ loss terms
    def _reconstruction(self, batch, cov, z, w, noise: Noise) -> torch.Tensor:
        """``(R, D, B)`` log p(x_d | z_r, w~_d): own w for d = r, a draw from r_d(w) otherwise."""
        n_mod, n = z.shape[:2]
        z_flat = z.reshape(n_mod * n, -1)
        cov_rep = None if cov is None else cov.repeat(n_mod, 1)
        rows = []
        for d in range(n_mod):
            w_in = F.softplus(self.aux_rho[d]) * noise.eps_aux[d]  # (R, B, n_private)
            w_in = torch.cat([w_in[:d], w[d : d + 1], w_in[d + 1 :]])
            out = self.decode(d, z_flat, w_in.reshape(n_mod * n, -1), cov_rep)
            lib = batch["library"][d]
            lib = None if lib is None else lib.repeat(n_mod, 1)
            x_rep = batch["x"][d].repeat(n_mod, *([1] * (batch["x"][d].dim() - 1)))
            lp = self.likelihoods[d].log_prob(x_rep, out, lib).view(n_mod, n)
            rows.append(self.likelihood_scale[d] * lp)
        return torch.stack(rows, dim=1)

    def _gen_aug_views(self, batch, cov, z, w, mask, complete: bool):
        """Re-encoded decoder means of swapped (z, w) pairs: ``(M, B, n_shared)`` and ``(M, B, n_private)``.

        For sample ``i`` of modality ``m``, the z-view decodes ``(z_i, w_prev(i))`` and keeps the
        re-encoded z mean; the w-view decodes ``(z_prev(i), w_i)`` and keeps the re-encoded w mean.
        """
        n = z.shape[1]
        plus_z, plus_w = [], []
        cov2 = None if cov is None else torch.cat([cov, cov])
        roll = torch.arange(n, device=z.device).roll(1) if complete else None
        for m in range(self.n_mod):
            prev = roll if complete else previous_present(mask[:, m])
            z2 = torch.cat([z[m], z[m][prev]])  # z-branch keeps z_i; w-branch takes z_{i-1}
            w2 = torch.cat([w[m][prev], w[m]])
            lib = batch["library"][m]
            lib2 = None if lib is None else torch.cat([lib, lib])
            x_plus = self.standardize(
                m, self.likelihoods[m].mean_encoder_input(self.decode(m, z2, w2, cov2), lib2)
            )
            mu_z_plus, _, mu_w_plus, _ = self.encoders[m](x_plus, cov2)
            plus_z.append(mu_z_plus[:n])
            plus_w.append(mu_w_plus[n:])
        return torch.stack(plus_z), torch.stack(plus_w)

    def _contrastive(self, post: Posterior, plus, mask, complete: bool) -> dict[str, torch.Tensor]:
        """L_CrossMI and the contrastive part of L_GenAug, every view pair in one NT-Xent batch.

        CrossMI pairs the shared means of every two modalities; GenAug pairs each modality's z (w)
        means with their re-encoded swaps ``plus``, or is left out when ``plus`` is ``None``.
        """
        n_mod = self.n_mod
        cross = self.cross_mi_weight > 0 and n_mod > 1
        if not cross and plus is None:  # nothing to contrast: one modality and no GenAug
            return {"cross_mi": post.mu_z.new_zeros(())} if self.cross_mi_weight > 0 else {}
        width = max(self.n_shared, self.n_private)

        def padded(codes):
            return F.pad(codes, (0, width - codes.shape[-1])) if codes.shape[-1] < width else codes

        blocks = [post.mu_z]
        if plus is not None:
            blocks += [plus[0], post.mu_w, plus[1]]
        views = torch.cat([padded(b) for b in blocks])  # (V, B, width), blocks of M views
        valid = mask.T.repeat(len(blocks), 1)
        device = views.device
        firsts, seconds = [], []
        if cross:
            first, second = unordered_pairs(n_mod, device)
            firsts.append(first)
            seconds.append(second)
        if plus is not None:
            own = torch.arange(n_mod, device=device)
            firsts += [own, own + 2 * n_mod]  # z means with their swaps, then w means with theirs
            seconds += [own + n_mod, own + 3 * n_mod]
        losses = nt_xent_pairs(
            views, valid, torch.cat(firsts), torch.cat(seconds), self.temperature, complete
        )
        terms = {}
        n_cross = n_mod * (n_mod - 1) // 2 if cross else 0
        if self.cross_mi_weight > 0:
            # sum over ordered pairs / (M - 1), the released code's normalisation
            terms["cross_mi"] = (
                losses[:n_cross].sum() / (n_mod - 1) if cross else losses.new_zeros(())
            )
        if plus is not None:
            # each modality contributes (symmetric NT-Xent of z + that of w) / 2
            terms["gen_aug"] = 0.25 * losses[n_cross:].sum()
        return terms

    def _diffusion(self, post: Posterior, mask, noise: Noise) -> torch.Tensor:
        """L_diff = (1/M) sum_m [D_z(mu_z,m) + D_w,m(mu_w,m)], each a mean over the samples present."""
        n_mod, n = post.mu_z.shape[:2]
        loss_z = self.diffusion_z.per_sample_loss(
            post.mu_z.reshape(1, n_mod * n, -1), noise.t_z, noise.noise_z
        )
        loss_w = self.diffusion_w.per_sample_loss(post.mu_w, noise.t_w, noise.noise_w)
        valid = mask.T
        per_sample = loss_z.view(n_mod, n) + loss_w
        per_mod = torch.where(valid, per_sample, 0.0).sum(1) / valid.sum(1).clamp(min=1)
        return per_mod.mean()

    def loss(self, batch: Mapping, noise: Noise | None = None) -> LossOutput:
        """All loss terms for one batch; ``noise`` replays given random draws (fresh ones otherwise)."""
        mask = batch["mask"]
        complete = bool(mask.all())  # every sample has every modality: no masking needed
        cov = self.covariates(batch.get("batch_index"))
        post = self.encode(batch["x"], cov)
        if noise is None:
            noise = self.draw_noise(post)
        z = post.mu_z + post.sd_z * noise.eps_z
        w = post.mu_w + post.sd_w * noise.eps_w

        recon = self._reconstruction(batch, cov, z, w, noise)
        elbo, rec, kl = mmvae_plus_loss(
            recon,
            centred_gaussian_log_density(z, PRIOR_SCALE),
            centred_gaussian_log_density(w, PRIOR_SCALE),
            mixture_log_density(z, post.mu_z, post.sd_z, mask),
            gaussian_log_density(w, post.mu_w, post.sd_w),
            mask,
            self.beta,
        )
        terms = {"elbo": elbo, "reconstruction": rec, "kl": kl}
        total = elbo
        if self.cross_mi_weight > 0 or self.gen_aug_weight > 0:
            plus = None
            if self.gen_aug_weight > 0:
                plus = self._gen_aug_views(batch, cov, z, w, mask, complete)
            terms.update(self._contrastive(post, plus, mask, complete))
            for name, weight in (
                ("cross_mi", self.cross_mi_weight),
                ("gen_aug", self.gen_aug_weight),
            ):
                if name in terms:
                    total = total + weight * terms[name]
        if self.independence_weight > 0:
            terms["independence"] = shared_private_dependence(post.mu_z, post.mu_w, mask, complete)
            total = total + self.independence_weight * terms["independence"]
        if self.diffusion_z is not None and self.diffusion_weight > 0:
            terms["diffusion"] = self._diffusion(post, mask, noise)
            total = total + self.diffusion_weight * terms["diffusion"]
        return LossOutput(total, terms)

    forward = loss

    # ------------------------------------------------------------------ inference and generation
    @torch.no_grad()
    def sample_prior(
        self, n: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``z`` ``(n, n_shared)`` and ``w`` ``(M, n, n_private)`` from the diffusion priors, or the Gaussian prior."""
        device = self.aux_rho.device
        if self.diffusion_z is not None:
            z = self.diffusion_z.sample(n, self.diffusion_sample_steps, generator)[0]
            w = self.diffusion_w.sample(n, self.diffusion_sample_steps, generator)
            return z, w
        z = PRIOR_SCALE * torch.randn(n, self.n_shared, device=device, generator=generator)
        w = PRIOR_SCALE * torch.randn(
            self.n_mod, n, self.n_private, device=device, generator=generator
        )
        return z, w

    @torch.no_grad()
    def decode_mean(
        self,
        m: int,
        z: torch.Tensor,
        w: torch.Tensor,
        cov: torch.Tensor | None,
        library: torch.Tensor | None,
    ) -> torch.Tensor:
        """Decoder mean of modality ``m`` in data space."""
        return self.likelihoods[m].mean(self.decode(m, z, w, cov), library)
