"""Ground truth of the simulator in the scales that :class:`omicvae.IDMVAE`'s interpretation uses.

The simulator's predictor is additive, ``eta = eta_shared + eta_private``; the data's mean is a known
function of ``eta``. Here the variance explained is computed as the model's
``variance_explained`` computes it, but with the true mean function and the true factors in place
of the decoder and the posterior codes (an *oracle*): with w_m (z) marginalised by averaging the
mean over the private (shared) parts of reference samples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COUNT_TOTAL = 1e4
"""Counts per this many before ``log1p``: the value of ``omicvae.model._decomposition.COUNT_TOTAL``."""

MAX_REFERENCES = 100
"""The other part is averaged over at most this many samples (evenly spaced)."""

COUNT_DRAWS = 30
"""For counts, the other part is averaged over this many samples, one count draw each (cost)."""

_COUNTS = ("nb", "poisson")


def mean_scale(eta: np.ndarray, noise: str) -> np.ndarray:
    """Mean of the data given the predictor: counts per 10,000, probabilities or values."""
    if noise in _COUNTS:
        e = np.exp(eta - eta.max(-1, keepdims=True))
        return COUNT_TOTAL * e / e.sum(-1, keepdims=True)
    if noise == "bernoulli":
        return 1.0 / (1.0 + np.exp(-2.0 * eta))
    return eta


def natural_scale(eta: np.ndarray, noise: str) -> np.ndarray:
    """The mean in the natural scale (``log1p`` for counts)."""
    mean = mean_scale(eta, noise)
    return np.log1p(mean) if noise in _COUNTS else mean


def observed_natural(x: np.ndarray, noise: str) -> np.ndarray:
    """Observed values in the natural scale (counts: ``log1p`` of counts per 10,000)."""
    x = np.asarray(x, dtype=np.float64)
    if noise in _COUNTS:
        total = np.maximum(x.sum(1, keepdims=True), 1.0)
        return np.log1p(x / total * COUNT_TOTAL)
    return x


def draw_counts(rng, mu: np.ndarray, noise: str) -> np.ndarray:
    """Counts of mean ``mu``: Poisson, or negative binomial (gamma-Poisson, dispersion 5) for nb."""
    if noise == "nb":
        mu = rng.gamma(5.0, mu / 5.0)
    return rng.poisson(mu)


def marginal(own, others, noise: str, library=None, rng=None, chunk: int = 64):
    """Row ``i``: ``natural_scale(own[i] + others[k])`` averaged over ``k``.

    With ``library`` (counts, natural scale): the average of ``log1p`` of one count draw per
    ``k`` with row ``i``'s library size, an estimate of the expected natural-scale observation.
    """
    out = np.empty_like(own)
    for start in range(0, own.shape[0], chunk):
        block = own[start : start + chunk, None, :] + others[None, :, :]
        if library is None:
            out[start : start + chunk] = natural_scale(block, noise).mean(1)
        else:
            lib = library[start : start + chunk, None, None]
            x = draw_counts(rng, mean_scale(block, noise) / COUNT_TOTAL * lib, noise)
            out[start : start + chunk] = np.log1p(x / lib * COUNT_TOTAL).mean(1)
    return out


def oracle_truth(
    x: np.ndarray,
    keep: np.ndarray,
    eta_shared: np.ndarray,
    eta_private: np.ndarray,
    noise: str,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict]:
    """Per-feature and pooled R^2 of the oracle's joint, shared and private predictions.

    Parameters
    ----------
    x
        Observed values of the samples that have the modality, ``(keep.sum(), p)``.
    keep
        Which of the ``n_obs`` simulated samples have the modality.
    eta_shared, eta_private
        ``(n_obs, p)`` parts of the predictor.
    noise
        The modality's noise model.
    rng
        Draws of the count noise (counts only): the predictions of count data are expected values
        of ``log1p`` of the observation (estimated by averaging :data:`COUNT_DRAWS` draws with the
        sample's observed library size), as the model's ``variance_explained`` computes them.

    Returns
    -------
    (pandas.DataFrame, dict)
        Columns ``joint_r2``, ``shared_r2``, ``private_r2`` (one row per feature; NaN for a
        constant feature) and ``{"joint", "shared", "private"}`` pooled over features.
    """
    counts = noise in _COUNTS
    n_ref = min(eta_shared.shape[0], COUNT_DRAWS if counts else MAX_REFERENCES)
    ref = np.unique(np.linspace(0, eta_shared.shape[0] - 1, n_ref).round().astype(int))
    s, p = eta_shared[keep], eta_private[keep]
    if counts:
        draws = dict(library=np.maximum(np.asarray(x, np.float64).sum(1), 1.0), rng=rng)
        joint = marginal(s + p, np.zeros((len(ref), s.shape[1])), noise, **draws)
    else:
        draws = {}
        joint = natural_scale(s + p, noise)
    predictions = {
        "joint": joint,
        "shared": marginal(s, eta_private[ref], noise, **draws),
        "private": marginal(p, eta_shared[ref], noise, **draws),
    }
    y = observed_natural(x, noise)
    ss_tot = ((y - y.mean(0)) ** 2).sum(0)
    per_feature, pooled = {}, {}
    for name, pred in predictions.items():
        ss_res = ((y - pred) ** 2).sum(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_feature[f"{name}_r2"] = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.nan)
        pooled[name] = float(1.0 - ss_res.sum() / ss_tot.sum()) if ss_tot.sum() > 0 else np.nan
    return pd.DataFrame(per_feature), pooled


def shared_given_means(eta_shared: np.ndarray, eta_private: np.ndarray, noise: str) -> np.ndarray:
    """Each sample's true mean (mean scale) given its shared part, the private part marginalised.

    Sample ``i`` is paired with the private parts of up to ``MAX_REFERENCES`` samples at evenly
    spaced cyclic offsets, so the average runs over many different references.
    """
    n = eta_shared.shape[0]
    k = min(n, MAX_REFERENCES)
    offsets = np.unique(np.linspace(1, n, k, endpoint=False).round().astype(int)) % n
    rows = np.arange(n)
    return sum(
        mean_scale(eta_shared + eta_private[(rows + offset) % n], noise) for offset in offsets
    ) / len(offsets)


def shared_class_means(labels: np.ndarray, given_shared: np.ndarray) -> pd.DataFrame:
    """Mean of :func:`shared_given_means` over each shared class's samples.

    Returns
    -------
    pandas.DataFrame
        One row per feature, one column per class label (sorted).
    """
    classes = sorted(pd.unique(labels))
    return pd.DataFrame({c: given_shared[labels == c].mean(0) for c in classes})
