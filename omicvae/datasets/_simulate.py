"""Simulated multimodal data with a known shared/private structure."""

from __future__ import annotations

from collections.abc import Sequence

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd

_NOISE = ("nb", "normal", "bernoulli")


def _class_latent(rng, n_obs: int, n_classes: int, dim: int, spread: float):
    labels = rng.integers(0, n_classes, n_obs)
    centres = rng.normal(0.0, spread, (n_classes, dim))
    return labels, centres[labels] + rng.normal(0.0, 1.0, (n_obs, dim))


def _observe(rng, eta: np.ndarray, noise: str) -> np.ndarray:
    if noise == "nb":
        library = rng.lognormal(np.log(2000.0), 0.3, (eta.shape[0], 1))
        mu = library * np.exp(eta) / np.exp(eta).sum(1, keepdims=True)
        theta = 5.0
        return rng.poisson(rng.gamma(theta, mu / theta)).astype(np.float32)
    if noise == "normal":
        return (eta + rng.normal(0.0, 0.5, eta.shape)).astype(np.float32)
    if noise == "bernoulli":
        return (rng.random(eta.shape) < 1.0 / (1.0 + np.exp(-2.0 * eta))).astype(np.float32)
    raise ValueError(f"unknown noise model {noise!r}; expected one of {_NOISE}")


def simulate(
    n_obs: int = 600,
    noise: Sequence[str] = ("nb", "normal", "bernoulli"),
    *,
    n_features: int | Sequence[int] = 60,
    n_shared_classes: int = 4,
    n_private_classes: int = 3,
    latent_dim: int = 4,
    separation: float = 2.0,
    missing_fraction: float = 0.0,
    seed: int = 0,
) -> md.MuData:
    """Paired modalities generated from one shared factor and one private factor per modality.

    Each sample has a shared class (``obs["shared_label"]``) that sets a shared latent factor, and in
    every modality ``m`` a private class (``obs["private_label_m"]``) that sets a private factor.
    Modality ``m``'s features are a random linear mix of both factors observed through its noise model.
    A model that disentangles should put the shared class in z and each private class in its w_m only.

    Parameters
    ----------
    n_obs
        Number of samples.
    noise
        One noise model per modality: ``"nb"`` (counts with random library sizes), ``"normal"`` or
        ``"bernoulli"``. Modalities are named ``m0``, ``m1``, ...
    n_features
        Features per modality (one number for all, or one per modality).
    n_shared_classes, n_private_classes
        Number of shared and of private classes.
    latent_dim
        Dimension of each factor.
    separation
        Spread of the class centres relative to the within-class noise (larger is easier).
    missing_fraction
        Probability that a sample misses a modality (every sample keeps at least one).
    seed
        Random seed; the result is a deterministic function of the arguments.

    Returns
    -------
    mudata.MuData
        Samples missing a modality are absent from that modality's AnnData. Labels are categorical
        columns of ``mdata.obs``; each modality's ``.obs["private_label"]`` repeats its own label.
    """
    noise = tuple(noise)
    if not noise:
        raise ValueError("noise must name at least one modality's noise model")
    n_mod = len(noise)
    widths = [int(n_features)] * n_mod if np.isscalar(n_features) else [int(f) for f in n_features]
    if len(widths) != n_mod:
        raise ValueError(f"n_features has {len(widths)} entries for {n_mod} modalities")
    if not 0.0 <= missing_fraction < 1.0:
        raise ValueError(f"missing_fraction must be in [0, 1), got {missing_fraction}")
    rng = np.random.default_rng(seed)
    obs_names = pd.Index([f"sample_{i}" for i in range(n_obs)])
    shared_labels, shared = _class_latent(rng, n_obs, n_shared_classes, latent_dim, separation)

    present = rng.random((n_obs, n_mod)) >= missing_fraction
    nobody = ~present.any(1)
    present[nobody, rng.integers(0, n_mod, nobody.sum())] = True

    obs = pd.DataFrame(index=obs_names)
    obs["shared_label"] = pd.Categorical([f"S{k}" for k in shared_labels])
    mods = {}
    for m, (kind, width) in enumerate(zip(noise, widths, strict=True)):
        name = f"m{m}"
        priv_labels, private = _class_latent(rng, n_obs, n_private_classes, latent_dim, separation)
        mixing = rng.normal(0.0, 1.0 / np.sqrt(2 * latent_dim), (2 * latent_dim, width))
        eta = np.hstack([shared, private]) @ mixing
        x = _observe(rng, eta, kind)
        labels = pd.Categorical([f"P{k}" for k in priv_labels])
        obs[f"private_label_{name}"] = labels
        keep = present[:, m]
        adata = ad.AnnData(
            x[keep],
            obs=pd.DataFrame({"private_label": labels[keep]}, index=obs_names[keep]),
            var=pd.DataFrame(index=[f"{name}_f{j}" for j in range(width)]),
        )
        adata.uns["noise"] = kind
        mods[name] = adata
    with md.set_options(pull_on_update=False):  # labels are set explicitly below
        mdata = md.MuData(mods)
    mdata.obs = obs.loc[mdata.obs_names]
    return mdata
