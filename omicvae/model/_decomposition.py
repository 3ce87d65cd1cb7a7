"""Decoder outputs with z or w_m marginalised (averaged over reference samples' codes): the common
ground of the interpretation methods, described on the user guide's interpretation page.

The *natural scale* of a modality is where its variance is measured: ``log1p`` of counts per
:data:`COUNT_TOTAL` for ``nb`` / ``zinb``, probabilities for ``bernoulli``, the values otherwise;
for counts, predictions there average ``log1p`` of draws from the likelihood (with the sample's
library size), not ``log1p`` of the mean. The *mean scale* is where fold changes are taken: counts
per :data:`COUNT_TOTAL` for counts, the decoder mean otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .._config import positive_int
from ..data import library_rows
from ..distributions import likelihood_class
from ._posterior import mixture_mean

COUNT_TOTAL = 1e4
"""Counts are normalised to this many per sample before ``log1p`` (scanpy's ``target_sum``)."""

DEFAULT_N_REFERENCE = 100
"""Reference samples over which the other latent is averaged."""


def scale_kind(spec) -> str:
    """``"counts"`` or ``"values"``; raise a ValueError for a modality with no natural scale here."""
    lik = likelihood_class(spec.likelihood)
    if lik.needs_n_categories:
        raise ValueError(
            f"modality {spec.name!r}: likelihood {spec.likelihood!r} has per-position categories, "
            "for which a variance decomposition is not defined here; interpretation methods take "
            "nb, zinb, normal, laplace, bernoulli and image modalities"
        )
    return "counts" if lik.needs_library else "values"


def observed_natural(x: torch.Tensor, library: torch.Tensor | None, kind: str) -> np.ndarray:
    """Observed values in the natural scale (``log1p`` of counts per :data:`COUNT_TOTAL`)."""
    if kind == "counts":
        total = torch.clamp(library, min=1.0)
        x = torch.log1p(x / total * COUNT_TOTAL)
    return x.double().cpu().numpy()


@dataclass
class Latents:
    """Posteriors of the samples that have one modality m (numpy unless said otherwise)."""

    rows: np.ndarray  # their positions in obs_names
    z: torch.Tensor  # joint posterior means, float32 on the model's device
    w: torch.Tensor  # posterior means of w_m, likewise
    mu_z_experts: np.ndarray  # (M, len(rows), n_shared) every shared expert, valid where mask is
    sd_z_experts: np.ndarray
    sd_w: np.ndarray  # posterior standard deviations of w_m
    mask: np.ndarray  # (len(rows), M): which modalities each sample has
    cov: torch.Tensor | None  # one-hot covariates


def modality_latents(model, mdata, m: int, batch_size: int | None = None) -> Latents:
    """Posterior means of the samples of ``mdata`` (default: the training data) that have ``m``."""
    tensors = model._tensors(mdata)
    mu_z, sd_z, mu_w, sd_w, mask = model._posterior(mdata, None, batch_size)
    rows = np.flatnonzero(mask[:, m])
    if len(rows) == 0:
        name = model.registry.modality_names()[m]
        raise ValueError(f"modality {name!r}: no sample of the data has it")
    z = mixture_mean(mu_z, mask)[rows]
    device = model.device
    return Latents(
        rows=rows,
        z=torch.as_tensor(z, device=device),
        w=torch.as_tensor(mu_w[m][rows], device=device),
        mu_z_experts=mu_z[:, rows],
        sd_z_experts=sd_z[:, rows],
        sd_w=sd_w[m][rows],
        mask=mask[rows],
        cov=model._covariates(tensors, rows),
    )


def obs_labels(model, mdata, groupby: str) -> pd.Series:
    """Column ``groupby`` of ``mdata.obs`` (default: the training data) in the model's row order."""
    target = model.mdata if mdata is None else mdata
    if groupby not in target.obs.columns:
        raise KeyError(
            f"groupby: {groupby!r} is not a column of mdata.obs; columns: {list(target.obs.columns)}"
        )
    return target.obs[groupby].reindex(model._tensors(mdata).obs_names)


def reference_rows(n: int, n_reference: int, seed: int) -> np.ndarray:
    """Positions of the ``min(n, n_reference)`` reference samples among ``n`` (sorted)."""
    positive_int("n_reference", n_reference)
    if n <= n_reference:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, n_reference, replace=False))


def decode_scaled(
    model, m: int, z, w, cov, kind: str, scale: str, library=None, generator=None
) -> torch.Tensor:
    """Decoder output of ``m`` in the ``"natural"`` or ``"mean"`` scale, one value per row.

    ``"mean"``: the decoder mean (counts per :data:`COUNT_TOTAL` for counts). ``"natural"``: for
    counts, ``log1p(x / library * COUNT_TOTAL)`` of one draw ``x`` from the likelihood with the
    row's ``library`` (see the module docstring); for other modalities the mean.
    """
    if kind != "counts":
        return model.module.decode_mean(m, z, w, cov, None)
    if scale == "mean":
        lib = torch.full((z.shape[0], 1), COUNT_TOTAL, device=z.device, dtype=z.dtype)
        return model.module.decode_mean(m, z, w, cov, lib)
    params = model.module.decode(m, z, w, cov)
    x = model.module.likelihoods[m].sample(params, library, generator)
    return torch.log1p(x / library * COUNT_TOTAL)


@torch.no_grad()
def decode_marginal(
    model,
    m: int,
    own,
    others,
    cov,
    *,
    own_is_z: bool,
    kind: str,
    scale: str,
    library=None,
    generator=None,
    chunk: int = 32768,
) -> np.ndarray:
    """For each row of ``own`` (z when ``own_is_z``, else w_m): the decoder output, float64
    ``(n, n_features)``, averaged over the ``(K, d')`` reference codes ``others`` of the other
    latent. ``cov`` and ``library`` (or None) stay with their rows; ``chunk``: decoded rows per pass.
    """
    n, k = own.shape[0], others.shape[0]
    per = max(1, chunk // k)
    parts = []
    for start in range(0, n, per):
        block = own[start : start + per]
        b = block.shape[0]
        mine = block.repeat_interleave(k, dim=0)
        theirs = others.repeat(b, 1)
        z, w = (mine, theirs) if own_is_z else (theirs, mine)
        c, lib = (
            None if t is None else t[start : start + b].repeat_interleave(k, dim=0)
            for t in (cov, library)
        )
        out = decode_scaled(model, m, z, w, c, kind, scale, lib, generator)
        parts.append(out.reshape(b, k, -1).mean(1).double().cpu().numpy())
    return np.concatenate(parts)


@torch.no_grad()
def decode_repeated(
    model, m: int, z, w, cov, library, *, kind: str, draws: int, generator, chunk: int = 32768
) -> np.ndarray:
    """Natural-scale output of each row's own ``(z, w)``, averaged over ``draws`` draws (counts)."""
    if kind != "counts":
        return decode_scaled(model, m, z, w, cov, kind, "natural").double().cpu().numpy()
    per = max(1, chunk // draws)
    parts = []
    for start in range(0, z.shape[0], per):
        zb, wb, c, lib = (
            None if t is None else t[start : start + per].repeat_interleave(draws, dim=0)
            for t in (z, w, cov, library)
        )
        out = decode_scaled(model, m, zb, wb, c, kind, "natural", lib, generator)
        parts.append(out.reshape(-1, draws, out.shape[-1]).mean(1).double().cpu().numpy())
    return np.concatenate(parts)


def r_squared(observed, predictions, rows, by_feature):
    """``1 - SS_res / SS_tot`` over ``rows`` for each prediction; pooled over features or per feature."""
    y = observed[rows]
    centred = y - y.mean(0)
    ss_tot = (centred**2).sum(0)
    out = {}
    for name, pred in predictions.items():
        ss_res = ((y - pred[rows]) ** 2).sum(0)
        if by_feature:
            with np.errstate(invalid="ignore", divide="ignore"):
                out[name] = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.nan)
        else:
            total = ss_tot.sum()
            out[name] = 1.0 - ss_res.sum() / total if total > 0 else np.nan
    return out


@dataclass
class Decomposition:
    """Observed values and the three predictions of one modality, natural scale, ``(n, p)`` each."""

    rows: np.ndarray
    observed: np.ndarray
    joint: np.ndarray
    shared: np.ndarray
    private: np.ndarray


@torch.no_grad()
def decompose(
    model, mdata, m: int, *, n_reference: int, seed: int, batch_size: int | None = None
) -> Decomposition:
    """Observed data, joint, shared and private predictions of modality ``m`` (natural scale)."""
    spec = model.registry.modalities[m]
    kind = scale_kind(spec)
    model.module.eval()
    lat = modality_latents(model, mdata, m, batch_size)
    ref = torch.as_tensor(reference_rows(len(lat.rows), n_reference, seed), device=lat.z.device)
    tensors = model._tensors(mdata)
    index = torch.as_tensor(lat.rows)
    library = library_rows(spec, tensors, m, index, minimum=1.0)
    if library is not None:
        library = library.to(lat.z.device)
    generator = torch.Generator(device=lat.z.device).manual_seed(seed)
    common = dict(kind=kind, scale="natural", library=library, generator=generator)
    joint = decode_repeated(
        model, m, lat.z, lat.w, lat.cov, library, kind=kind, draws=len(ref), generator=generator
    )
    shared = decode_marginal(model, m, lat.z, lat.w[ref], lat.cov, own_is_z=True, **common)
    private = decode_marginal(model, m, lat.w, lat.z[ref], lat.cov, own_is_z=False, **common)
    x = tensors.rows(m, index)
    observed = observed_natural(x, None if library is None else library.cpu(), kind)
    return Decomposition(lat.rows, observed, joint, shared, private)
