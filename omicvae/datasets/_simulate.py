"""Simulated multimodal data with a known shared/private structure."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd

from ._simulate_truth import draw_counts, oracle_truth, shared_class_means, shared_given_means

_NOISE = ("nb", "normal", "bernoulli", "laplace", "poisson")
_DECODERS = ("linear", "nonlinear")
_LOADINGS = ("dense", "sparse")
# Entropy of the stream of the nonlinear decoder's and sparse loading's draws: kept off the main
# stream, so labels, latent factors and noise stay those of the default call with the same seed.
_AUX_STREAM = 0x5EED
# Entropy of the stream of the count draws behind the ground truth (never touches the data's streams).
_TRUTH_STREAM = 0x7247


def _class_latent(rng, n_obs: int, n_classes: int, dim: int, spread: float):
    labels = rng.integers(0, n_classes, n_obs)
    centres = rng.normal(0.0, spread, (n_classes, dim))
    return labels, centres[labels] + rng.normal(0.0, 1.0, (n_obs, dim))


def _observe(rng, eta: np.ndarray, noise: str) -> np.ndarray:
    if noise in ("nb", "poisson"):
        library = rng.lognormal(np.log(2000.0), 0.3, (eta.shape[0], 1))
        mu = library * np.exp(eta) / np.exp(eta).sum(1, keepdims=True)
        return draw_counts(rng, mu, noise).astype(np.float32)
    if noise == "normal":
        return (eta + rng.normal(0.0, 0.5, eta.shape)).astype(np.float32)
    if noise == "laplace":  # same standard deviation (0.5) as "normal", heavier tails
        return (eta + rng.laplace(0.0, 0.5 / np.sqrt(2.0), eta.shape)).astype(np.float32)
    # "bernoulli" (simulate checked the names)
    return (rng.random(eta.shape) < 1.0 / (1.0 + np.exp(-2.0 * eta))).astype(np.float32)


def _tanh_block(aux, x: np.ndarray, width: int, spread: float) -> np.ndarray:
    """Hidden units ``tanh(x A + b)`` of a fixed random layer (pre-activations of std about 3)."""
    dim = x.shape[1]
    weights = aux.normal(0.0, 3.0 / np.sqrt(dim * (spread**2 + 1.0)), (dim, width))
    bias = aux.normal(0.0, 1.5, width)
    return np.tanh(x @ weights + bias)


def _parts(rng, aux, shared, private, width: int, decoder: str, loading: str, spread: float):
    """Shared and private contributions to one modality's predictor (before the strengths).

    The predictor is additive in the two factors, ``eta = f_s(shared) + f_p(private)``, so the
    variance each factor explains is well defined. ``rng`` always draws the linear mixing matrix
    (keeping the main stream aligned with the default decoder); the nonlinear weights and the sparse
    assignment come from ``aux``.
    """
    dim = shared.shape[1]
    mixing = rng.normal(0.0, 1.0 / np.sqrt(2 * dim), (2 * dim, width))
    if decoder == "linear":
        out_shared, out_private = mixing[:dim], mixing[dim:]
        h_shared, h_private = shared, private
    else:
        h_shared = _tanh_block(aux, shared, 2 * dim, spread)
        h_private = _tanh_block(aux, private, 2 * dim, spread)
        # output weights sized so the predictor's scale is close to the linear decoder's
        gain = np.sqrt(spread**2 + 1.0) * 1.1
        out_shared = aux.normal(0.0, gain / np.sqrt(4 * dim), (2 * dim, width))
        out_private = aux.normal(0.0, gain / np.sqrt(4 * dim), (2 * dim, width))
    if loading == "sparse":
        on_shared = np.zeros(width, dtype=bool)
        on_shared[aux.permutation(width)[: (width + 1) // 2]] = True
        # each feature keeps one factor; sqrt(2) keeps the predictor's variance that of "dense"
        out_shared = np.sqrt(2.0) * out_shared * on_shared
        out_private = np.sqrt(2.0) * out_private * ~on_shared
    return mixing, (h_shared, out_shared, h_private, out_private)


def _observe_aligned(rng, eta: np.ndarray, eta_default: np.ndarray, noise: str) -> np.ndarray:
    """Observe ``eta`` while moving ``rng`` on exactly as observing ``eta_default`` would.

    The count samplers use a number of random draws that depends on their means, so observing a
    different predictor would shift every later draw (the next modalities' labels and factors).
    Here the noise of ``eta`` starts from the same state as the default's, and ``rng`` ends where
    the default observation leaves it.
    """
    start = rng.bit_generator.state
    x_default = _observe(rng, eta_default, noise)
    if eta is eta_default:
        return x_default
    fork = np.random.default_rng()
    fork.bit_generator.state = start
    return _observe(fork, eta, noise)


def _variance_split(eta_shared: np.ndarray, eta_private: np.ndarray) -> pd.DataFrame:
    """Per feature: fractions of the predictor's variance from the shared and the private part."""
    v_shared, v_private = eta_shared.var(0), eta_private.var(0)
    total = v_shared + v_private
    with np.errstate(invalid="ignore", divide="ignore"):
        frac_shared = np.where(total > 0, v_shared / total, np.nan)
    driver = np.where(total > 0, np.where(frac_shared >= 0.5, "shared", "private"), "none")
    return pd.DataFrame(
        {
            "shared_variance": frac_shared,
            "private_variance": 1.0 - frac_shared,
            "driver": pd.Categorical(driver, categories=["shared", "private", "none"]),
        }
    )


def _check_strength(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not value >= 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


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
    shared_strength: float = 1.0,
    private_strength: float = 1.0,
    decoder: str = "linear",
    loading: str = "dense",
    seed: int = 0,
) -> md.MuData:
    """Paired modalities generated from one shared factor and one private factor per modality.

    Each sample has a shared class (``obs["shared_label"]``) that sets a shared latent factor, and in
    every modality ``m`` a private class (``obs["private_label_m"]``) that sets a private factor.
    Modality ``m``'s features are a random function of both factors (its *predictor*) observed
    through its noise model. A model that disentangles should put the shared class in z and each
    private class in its w_m only.

    The predictor of modality ``m`` is additive in the two factors::

        eta_m = shared_strength * f_m(shared) + private_strength * g_m(private)

    where ``f_m`` and ``g_m`` are linear maps (``decoder="linear"``) or fixed random one-hidden-layer
    tanh networks (``decoder="nonlinear"``). Because shared and private factors are independent and
    do not interact, the share of each feature's predictor variance explained by each factor is
    known; it is stored as ground truth (see Returns).

    Parameters
    ----------
    n_obs
        Number of samples.
    noise
        One noise model per modality, any number of modalities: ``"nb"`` (negative binomial counts,
        dispersion 5, random library sizes around 2000 split by ``softmax(eta)``), ``"poisson"``
        (the same counts without overdispersion), ``"normal"`` (``eta`` plus Gaussian noise of
        std 0.5), ``"laplace"`` (``eta`` plus Laplace noise of the same std) or ``"bernoulli"``
        (``P(x = 1) = sigmoid(2 eta)``). Modalities are named ``m0``, ``m1``, ...
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
    shared_strength, private_strength
        Non-negative scales of the shared and of the private contribution to every modality's
        predictor (not both zero). Lowering one weakens that signal relative to the other and to the
        observation noise.
    decoder
        ``"linear"``: ``f_m``, ``g_m`` are random linear maps (weights ``N(0, 1 / (2 latent_dim))``).
        ``"nonlinear"``: a fixed random network per modality, ``tanh`` hidden layer of width
        ``2 * latent_dim`` per factor (``2 x`` the concatenated latent in all) with block-diagonal
        input weights (pre-activations of std about 3, so the units saturate), followed by a linear
        output layer scaled to give a predictor of about the same size as the linear one. With the
        default settings a linear fit on the true factors leaves about 15% of the predictor's
        variance unexplained (up to 70% for some features).
    loading
        ``"dense"``: every feature mixes both factors. ``"sparse"``: half of each modality's features
        (rounded up, chosen at random) load on the shared factor only and the others on the private
        factor only (their weights multiplied by sqrt(2) to keep about the same predictor
        variance), so the variance fractions are exactly 0 or 1.
    seed
        Random seed; the result is a deterministic function of the arguments. Labels, latent
        factors, missingness and the random stream of the observation noise do not depend on
        ``shared_strength``, ``private_strength``, ``decoder`` or ``loading`` (their extra draws
        use a separate stream), so those settings can be compared on the same samples.

    Returns
    -------
    mudata.MuData
        Samples missing a modality are absent from that modality's AnnData. Labels are categorical
        columns of ``mdata.obs``; each modality's ``.obs["private_label"]`` repeats its own label,
        and its ``.uns["noise"]`` names its noise model. Ground truth:

        - ``mdata[m].var["shared_variance"]`` and ``["private_variance"]``: fraction of the
          feature's predictor variance (over all ``n_obs`` simulated samples, present or not)
          contributed by the shared and by the private part; they sum to 1 (NaN for a feature with a
          constant predictor, e.g. one loading only on a factor whose strength is 0);
        - ``mdata[m].var["driver"]``: categorical ``"shared"`` (shared fraction ≥ 0.5),
          ``"private"`` or ``"none"`` (constant predictor);
        - ``mdata[m].var["joint_r2"]``, ``["shared_r2"]`` and ``["private_r2"]``: the variance of
          the *observed* data explained by the true mean given both factors, given the shared
          factor alone (private factor marginalised: the mean averaged over the private parts of up
          to 100 evenly spaced simulated samples) and given the private factor alone, as
          :meth:`omicvae.IDMVAE.variance_explained` measures it: ``1 - SS_res / SS_tot`` over the
          samples that have the modality, in its natural scale (``log1p`` of counts per 10,000
          for ``nb``/``poisson``, probabilities against the 0/1 data for ``bernoulli``, values
          otherwise; for counts the prediction is the expected ``log1p`` of the observation,
          averaged over 30 count draws with the sample's observed library size, the other
          part then averaged over 30 samples). Unlike the fractions
          above, they include the observation noise;
        - ``mdata[m].varm["shared_class_means"]``: per feature and shared class (columns ``S0``,
          ``S1``, ...), the true mean in the mean scale (counts per 10,000, probabilities or
          values) with the private factor marginalised (each sample paired with the private parts
          of up to 100 other samples at evenly spaced offsets), averaged over the class's samples;
          the truth for differential analysis between shared classes;
        - ``mdata[m].layers["shared_mean"]``: each sample's true mean given its shared factor,
          private factor marginalised the same way (mean scale): the per-sample truth behind
          ``shared_class_means``, e.g. to apply a differential-analysis procedure to the truth;
        - ``mdata.obsm["shared_factor"]`` (``n_obs x latent_dim``) and each modality's
          ``mdata[m].obsm["private_factor"]`` (its present samples): the true latent factors the
          data were generated from. A linear probe on them is the most any learned code can be
          expected to reach on the labels: the classes overlap (centres ``separation`` apart
          against unit within-class noise), so even the true factor does not identify every
          sample's class;
        - ``mdata.uns["simulation"]``: the arguments, and per modality (``["modalities"][m]``) its
          noise model, number of features, number of shared- and private-driven features, the
          mean shared / private variance fractions and ``"variance_explained"``: ``{"joint",
          "shared", "private"}`` pooled over the features as the ``*_r2`` columns are (the sums of
          squares over all features). Plain types only, writable to ``.h5mu``.
    """
    noise = tuple(noise)
    if not noise:
        raise ValueError("noise must name at least one modality's noise model")
    bad = [k for k in noise if k not in _NOISE]
    if bad:
        raise ValueError(f"unknown noise model {bad[0]!r}; expected one of {_NOISE}")
    n_mod = len(noise)
    widths = [int(n_features)] * n_mod if np.isscalar(n_features) else [int(f) for f in n_features]
    if len(widths) != n_mod:
        raise ValueError(f"n_features has {len(widths)} entries for {n_mod} modalities")
    if not 0.0 <= missing_fraction < 1.0:
        raise ValueError(f"missing_fraction must be in [0, 1), got {missing_fraction}")
    shared_strength = _check_strength("shared_strength", shared_strength)
    private_strength = _check_strength("private_strength", private_strength)
    if shared_strength == 0 and private_strength == 0:
        raise ValueError("shared_strength and private_strength cannot both be 0")
    if decoder not in _DECODERS:
        raise ValueError(f"decoder must be one of {_DECODERS}, got {decoder!r}")
    if loading not in _LOADINGS:
        raise ValueError(f"loading must be one of {_LOADINGS}, got {loading!r}")
    rng = np.random.default_rng(seed)
    aux = np.random.default_rng([int(seed), _AUX_STREAM])
    truth_rng = np.random.default_rng([int(seed), _TRUTH_STREAM])
    obs_names = pd.Index([f"sample_{i}" for i in range(n_obs)])
    shared_labels, shared = _class_latent(rng, n_obs, n_shared_classes, latent_dim, separation)

    present = rng.random((n_obs, n_mod)) >= missing_fraction
    nobody = ~present.any(1)
    present[nobody, rng.integers(0, n_mod, nobody.sum())] = True

    obs = pd.DataFrame(index=obs_names)
    obs["shared_label"] = pd.Categorical([f"S{k}" for k in shared_labels])
    mods, summary = {}, {}
    for m, (kind, width) in enumerate(zip(noise, widths, strict=True)):
        name = f"m{m}"
        priv_labels, private = _class_latent(rng, n_obs, n_private_classes, latent_dim, separation)
        mixing, (h_shared, out_shared, h_private, out_private) = _parts(
            rng, aux, shared, private, width, decoder, loading, separation
        )
        eta_default = np.hstack([shared, private]) @ mixing  # linear, dense, unit strengths
        if decoder == "linear" and loading == "dense" and shared_strength == private_strength == 1:
            eta = eta_default
        else:
            hidden = np.hstack([shared_strength * h_shared, private_strength * h_private])
            eta = hidden @ np.vstack([out_shared, out_private])
        x = _observe_aligned(rng, eta, eta_default, kind)
        eta_shared = shared_strength * h_shared @ out_shared
        eta_private = private_strength * h_private @ out_private
        truth = _variance_split(eta_shared, eta_private)
        keep = present[:, m]
        r2_features, r2 = oracle_truth(x[keep], keep, eta_shared, eta_private, kind, truth_rng)
        truth = pd.concat([truth, r2_features], axis=1)
        truth.index = [f"{name}_f{j}" for j in range(width)]
        labels = pd.Categorical([f"P{k}" for k in priv_labels])
        obs[f"private_label_{name}"] = labels
        adata = ad.AnnData(
            x[keep],
            obs=pd.DataFrame({"private_label": labels[keep]}, index=obs_names[keep]),
            var=truth,
        )
        adata.obsm["private_factor"] = private[keep].astype(np.float32)
        adata.uns["noise"] = kind
        given_shared = shared_given_means(eta_shared, eta_private, kind)
        adata.layers["shared_mean"] = given_shared[keep].astype(np.float32)
        class_means = shared_class_means(np.asarray(obs["shared_label"]), given_shared)
        class_means.index = truth.index
        adata.varm["shared_class_means"] = class_means
        mods[name] = adata
        summary[name] = {
            "noise": kind,
            "n_features": int(width),
            "n_shared_driven": int((truth["driver"] == "shared").sum()),
            "n_private_driven": int((truth["driver"] == "private").sum()),
            "mean_shared_variance": float(np.nanmean(truth["shared_variance"])),
            "mean_private_variance": float(np.nanmean(truth["private_variance"])),
            "variance_explained": r2,
        }
    with md.set_options(pull_on_update=False):  # labels are set explicitly below
        mdata = md.MuData(mods)
    mdata.obs = obs.loc[mdata.obs_names]
    mdata.obsm["shared_factor"] = shared[obs_names.get_indexer(mdata.obs_names)].astype(np.float32)
    mdata.uns["simulation"] = {
        "n_obs": int(n_obs),
        "noise": list(noise),
        "n_features": widths,
        "n_shared_classes": int(n_shared_classes),
        "n_private_classes": int(n_private_classes),
        "latent_dim": int(latent_dim),
        "separation": float(separation),
        "missing_fraction": float(missing_fraction),
        "shared_strength": shared_strength,
        "private_strength": private_strength,
        "decoder": decoder,
        "loading": loading,
        "seed": int(seed),
        "modalities": summary,
    }
    return mdata
