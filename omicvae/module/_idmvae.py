"""The IDMVAE torch module: networks for every modality, the inference step and the objective of method.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .._config import DEFAULT_CONFIG, IDMVAEConfig
from ..distributions import make_likelihood
from ..nn import ConvDecoder, ConvEncoder, LatentDiffusion, MLPDecoder, MLPEncoder
from ._elbo import PRIOR_SCALE
from ._state import LossOutput, Noise, Posterior, StepState
from ._terms import LOSS_TERMS, LossTerm


def _weight(term: str) -> property:
    return property(
        lambda self: self.weights[term], doc=f"The current weight ``weights[{term!r}]``."
    )


class IDMVAEModule(nn.Module):
    """Encoders, decoders, likelihoods, auxiliary priors and diffusion priors of IDMVAE, and its loss.

    Parameters
    ----------
    modalities
        One entry per modality with attributes ``name``, ``likelihood``, ``n_features`` and, where they
        apply, ``image_shape`` and ``n_categories`` (a :class:`~omicvae.data.ModalitySpec` fits, so
        ``IDMVAEModule(registry.modalities, config, n_batch=registry.n_batch)`` builds the module of
        a registered MuData).
    config
        Every setting (:class:`~omicvae._config.IDMVAEConfig`); default: the package defaults, the
        same network that ``IDMVAE(mdata)`` builds.
    n_batch
        Number of categories of the covariate given to encoders and decoders (0: none).
    **settings
        Flat settings changed on top of ``config`` (``n_shared=8``, ``diffusion_prior=False``, ...).

    Attributes
    ----------
    config
        The configuration the module was built with.
    weights
        ``{name: weight}`` of the loss terms, from ``config.loss`` (``beta`` weighs the ELBO's prior
        terms; 0 for ``diffusion`` without diffusion priors). Change an entry to anneal a weight during
        training; a term whose weight is 0 is not computed.
    loss_terms
        The :class:`~omicvae.module.LossTerm` s of :meth:`loss`, in order; :meth:`add_loss_term` adds
        one to a module, a subclass can extend the tuple.
    """

    loss_terms: tuple[LossTerm, ...] = LOSS_TERMS

    beta = _weight("beta")
    cross_mi_weight = _weight("cross_mi")
    gen_aug_weight = _weight("gen_aug")
    independence_weight = _weight("independence")
    diffusion_weight = _weight("diffusion")

    def __init__(
        self,
        modalities: Sequence,
        config: IDMVAEConfig | None = None,
        *,
        n_batch: int = 0,
        **settings,
    ):
        super().__init__()
        config = DEFAULT_CONFIG if config is None else config
        if settings:
            config = config.replace(**settings)
        config.likelihood.check_modalities(m.name for m in modalities)
        self.config = config
        net, diffusion = config.network, config.diffusion
        n_shared, n_private = net.n_shared, net.n_private
        self.names = tuple(m.name for m in modalities)
        self.n_mod = len(self.names)
        self.n_shared, self.n_private, self.n_batch = n_shared, n_private, n_batch
        self.weights: dict[str, float] = config.loss.as_mapping()
        if not diffusion.diffusion_prior:
            self.weights["diffusion"] = 0.0
        self.temperature = config.loss.temperature
        self.diffusion_sample_steps = diffusion.diffusion_sample_steps
        scale = dict(config.likelihood.likelihood_scale or {})
        self.likelihood_scale = tuple(float(scale.get(n, 1.0)) for n in self.names)
        mlp_kw = dict(
            n_covariates=n_batch,
            activation_name=net.activation,
            dropout=net.dropout,
            layer_norm=net.layer_norm,
        )

        self.likelihoods, self.encoders, self.decoders = (nn.ModuleList() for _ in range(3))
        self.standardize_inputs = net.standardize_inputs
        for m, spec in enumerate(modalities):
            lik = make_likelihood(
                spec.likelihood,
                spec.n_features,
                n_categories=getattr(spec, "n_categories", None),
                image_scale=config.likelihood.image_scale,
                image_family=config.likelihood.image_family,
            )
            self.likelihoods.append(lik)
            width = 0 if lik.network == "conv" else lik.encoder_dim  # images: never standardised
            self.register_buffer(f"input_loc_{m}", torch.zeros(width))
            self.register_buffer(f"input_scale_{m}", torch.ones(width))
            if lik.network == "conv":
                shape, conv = tuple(spec.image_shape), net.conv_channels
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
                        net.encoder_hidden,
                        separate_towers=net.separate_towers,
                        **mlp_kw,
                    )
                )
                self.decoders.append(
                    MLPDecoder(n_shared, n_private, lik.heads, net.decoder_hidden, **mlp_kw)
                )
        # auxiliary prior r_d(w_d) = N(0, softplus(rho_d)^2) used for cross-reconstruction
        self.aux_rho = nn.Parameter(torch.zeros(self.n_mod, n_private))
        self.diffusion_z = self.diffusion_w = None
        if diffusion.diffusion_prior:
            hidden, steps = diffusion.diffusion_hidden, diffusion.diffusion_steps
            self.diffusion_z = LatentDiffusion(n_shared, 1, hidden, steps)
            self.diffusion_w = LatentDiffusion(n_private, self.n_mod, hidden, steps)

    def add_loss_term(self, term: LossTerm, weight: float = 1.0) -> None:
        """Add ``term`` to this module's objective with ``weights[term.name] = weight``.

        Parameters
        ----------
        term
            The new term; its name must differ from the existing ones.
        weight
            Its weight (0 switches it off until changed).
        """
        if any(t.name == term.name for t in self.loss_terms):
            raise ValueError(f"the module already has a loss term named {term.name!r}")
        self.loss_terms = (*self.loss_terms, term)
        self.weights[term.name] = float(weight)

    # ------------------------------------------------------------------ building blocks
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
        if self.diffusion_z is not None and self.weights["diffusion"] > 0:
            steps = self.diffusion_z.n_steps
            noise.t_z = torch.randint(0, steps, (1, n_mod * n), device=mu_z.device)
            noise.noise_z = torch.randn(
                1, n_mod * n, self.n_shared, device=mu_z.device, dtype=mu_z.dtype
            )
            noise.t_w = torch.randint(0, steps, (n_mod, n), device=mu_z.device)
            noise.noise_w = torch.randn_like(mu_w)
        return noise

    # ------------------------------------------------------------------ the objective
    def infer(self, batch: Mapping, noise: Noise | None = None) -> StepState:
        """Encode a batch and draw the posterior samples: the state every loss term reads.

        Parameters
        ----------
        batch
            ``x``, ``mask``, ``library`` and ``batch_index`` of a batch (see :mod:`omicvae.data`).
        noise
            Random draws to replay (fresh ones otherwise).
        """
        mask = batch["mask"]
        cov = self.covariates(batch.get("batch_index"))
        post = self.encode(batch["x"], cov)
        if noise is None:
            noise = self.draw_noise(post)
        return StepState(
            batch=batch,
            mask=mask,
            complete=bool(mask.all()),  # every sample has every modality: no masking needed
            covariates=cov,
            posterior=post,
            noise=noise,
            z=post.mu_z + post.sd_z * noise.eps_z,
            w=post.mu_w + post.sd_w * noise.eps_w,
        )

    def loss(self, batch: Mapping, noise: Noise | None = None) -> LossOutput:
        """The weighted sum of the loss terms for one batch, and every term unweighted.

        Parameters
        ----------
        batch
            As for :meth:`infer`.
        noise
            Random draws to replay (fresh ones otherwise).
        """
        state = self.infer(batch, noise)
        terms: dict[str, torch.Tensor] = {}
        total = None
        for term in self.loss_terms:
            weight = self.weights.get(term.name, 0.0) if term.weighted else 1.0
            if weight == 0:
                continue
            value = term.compute(self, state)
            parts = dict(value) if isinstance(value, Mapping) else {term.name: value}
            terms.update(parts)
            weighted = weight * parts[term.name]
            total = weighted if total is None else total + weighted
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
