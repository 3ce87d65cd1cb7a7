"""Feature attribution: which features the shared and private codes drive (decoders), and which
input features drive the codes (encoders, integrated gradients)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from mudata import MuData

from ._decomposition import DEFAULT_N_REFERENCE, decompose, obs_labels, r_squared
from ._posterior import posterior_arrays

LATENTS = ("shared", "private")


class FeatureAttributionMixin:
    """Adds :meth:`feature_attribution` and :meth:`encoder_attribution` to a model."""

    def feature_attribution(
        self,
        modality: str,
        *,
        mdata: MuData | None = None,
        n_reference: int = DEFAULT_N_REFERENCE,
        seed: int = 0,
        batch_size: int | None = None,
    ) -> pd.DataFrame:
        """How strongly each feature's decoded mean follows z and how strongly it follows w_m.

        Per feature, the variance across samples of the shared and of the private prediction of
        :meth:`variance_explained` (natural scale), divided by the variance of the joint
        prediction: first-order variance shares (Sobol indices of the decoder under the aggregate
        posterior; see the user guide's interpretation page).

        Parameters
        ----------
        modality
            Registered modality.
        mdata
            Data (default: the training data).
        n_reference, seed, batch_size
            As in :meth:`variance_explained`.

        Returns
        -------
        pandas.DataFrame
            Indexed by feature name: ``"shared"`` and ``"private"`` (variance shares of the decoded
            mean; near 1 / 0 for a feature driven by z only), ``"interaction"``
            (``1 - shared - private``: what z and w_m do only together, plus the effect of their
            correlation), ``"variance"`` (variance of the joint decoded mean, natural scale: a
            feature that barely varies has unstable shares) and ``"r2"`` (the joint prediction's
            R^2 on the data, as ``variance_explained(by_feature=True)``). Rank shared-driven
            features by ``"shared"`` (or by ``shared * variance`` to favour strongly varying ones).
        """
        self._require_trained("feature_attribution")
        m = self._modality_index(modality)
        d = decompose(self, mdata, m, n_reference=n_reference, seed=seed, batch_size=batch_size)
        var_joint = d.joint.var(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            shared = np.where(var_joint > 0, d.shared.var(0) / var_joint, np.nan)
            private = np.where(var_joint > 0, d.private.var(0) / var_joint, np.nan)
        r2 = r_squared(d.observed, {"joint": d.joint}, slice(None), by_feature=True)["joint"]
        spec = self.registry.modalities[m]
        return pd.DataFrame(
            {
                "shared": shared,
                "private": private,
                "interaction": 1.0 - shared - private,
                "variance": var_joint,
                "r2": r2,
            },
            index=pd.Index(list(spec.var_names), name="feature"),
        )

    def encoder_attribution(
        self,
        modality: str,
        *,
        latent: str = "shared",
        groupby: str | None = None,
        group=None,
        mdata: MuData | None = None,
        n_steps: int = 32,
        batch_size: int = 256,
    ) -> pd.DataFrame:
        """Which input features of ``modality`` drive its encoder's shared (or private) code.

        Integrated gradients (captum's ``IntegratedGradients``) of the encoder's posterior mean,
        from a baseline sample holding each feature's mean over the samples with the modality to
        each sample's own values (raw values, before the encoder's own transforms). Attributions
        of a sample sum (up to the integration error) to how far its code is from the baseline's.

        Parameters
        ----------
        modality
            Registered modality whose encoder is explained.
        latent
            ``"shared"`` (z from this modality's expert) or ``"private"`` (w_m).
        groupby, group
            Explain one group instead of every dimension: the target is the code's projection on
            the direction from the centroid of the other samples to the group's centroid (posterior
            means), and attributions are averaged over the group's samples, signed. Both or neither.
        mdata
            Data (default: the training data).
        n_steps
            Integration steps.
        batch_size
            Samples per call.

        Returns
        -------
        pandas.DataFrame
            Indexed by feature name. Without ``group``: one column per dimension (``z0``, ``z1``,
            ... or ``w0``, ...) holding the mean over samples of the absolute attribution. With
            ``group``: ``"attribution"`` (mean signed attribution towards the group) and
            ``"abs_attribution"`` (mean absolute attribution), sorted by decreasing
            ``"attribution"``.
        """
        from captum.attr import IntegratedGradients

        self._require_trained("encoder_attribution")
        if latent not in LATENTS:
            raise ValueError(f"latent must be one of {LATENTS}, got {latent!r}")
        if (groupby is None) != (group is None):
            raise ValueError("groupby and group go together: give both or neither")
        m = self._modality_index(modality)
        tensors = self._tensors(mdata)
        rows = np.flatnonzero(tensors.mask[:, m].numpy())
        if len(rows) == 0:
            raise ValueError(f"modality {modality!r}: no sample of the data has it")
        x = tensors.rows(m, torch.as_tensor(rows)).to(self.device)
        baseline = x.mean(0, keepdim=True)
        cov = self._covariates(tensors, rows)
        module = self.module
        module.eval()
        shared = latent == "shared"
        lik = module.likelihoods[m]

        def code(inputs, covariates=None):
            h = module.standardize(m, lik.encoder_input(inputs))
            return module.encoders[m](h, covariates)[0 if shared else 2]

        def attribute(forward, members, **kwargs):
            """Mean signed and absolute attributions over ``members`` (positions in ``rows``)."""
            ig = IntegratedGradients(forward)
            signed = torch.zeros(x.shape[1], dtype=torch.float64)
            absolute = torch.zeros(x.shape[1], dtype=torch.float64)
            for s in range(0, len(members), batch_size):
                part = torch.as_tensor(members[s : s + batch_size])
                attr = ig.attribute(
                    x[part],
                    baselines=baseline,
                    additional_forward_args=(None if cov is None else cov[part],),
                    n_steps=n_steps,
                    **kwargs,
                ).detach()
                signed += attr.double().sum(0).cpu()
                absolute += attr.abs().double().sum(0).cpu()
            return (signed / len(members)).numpy(), (absolute / len(members)).numpy()

        names = pd.Index(list(self.registry.modalities[m].var_names), name="feature")
        if group is None:
            prefix, n_dims = ("z", module.n_shared) if shared else ("w", module.n_private)
            everyone = np.arange(len(rows))
            columns = {
                f"{prefix}{dim}": attribute(code, everyone, target=dim)[1] for dim in range(n_dims)
            }
            return pd.DataFrame(columns, index=names)
        labels = obs_labels(self, mdata, groupby).iloc[rows].astype("object")
        inside = (labels.astype(str) == str(group)).to_numpy() & labels.notna().to_numpy()
        if not inside.any() or inside.all():
            raise ValueError(
                f"group: {group!r} must hold some but not all samples with modality {modality!r} "
                f"in mdata.obs[{groupby!r}] (it holds {int(inside.sum())} of {len(rows)})"
            )
        mu_z, _, mu_w, _, _ = posterior_arrays(self, mdata, rows, batch_size)
        codes = torch.as_tensor((mu_z if shared else mu_w)[m], device=self.device)
        centre_rest = codes[~inside].mean(0)
        direction = codes[inside].mean(0) - centre_rest
        direction = direction / direction.norm().clamp_min(1e-12)

        def towards_group(inputs, covariates=None):
            return (code(inputs, covariates) - centre_rest) @ direction

        signed, absolute = attribute(towards_group, np.flatnonzero(inside))
        frame = pd.DataFrame({"attribution": signed, "abs_attribution": absolute}, index=names)
        return frame.sort_values("attribution", ascending=False)
