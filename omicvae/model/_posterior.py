"""Posteriors of a model's samples: the one loop that encodes a MuData in minibatches."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch


@torch.no_grad()
def iter_posteriors(model, mdata, indices, batch_size: int | None) -> Iterator[tuple]:
    """Encode rows ``indices`` (None: all) of ``mdata`` (None: the training data) in minibatches of
    ``batch_size`` (None: 1024) with every modality's encoder, in eval mode.

    Yields ``(batch, x, cov, posterior)``: the collated batch (on the CPU), its values and
    covariates on the model's device, and every modality's unimodal
    :class:`~omicvae.module.Posterior`, ``(M, B, d)`` each.
    """
    tensors = model._tensors(mdata)
    idx = np.arange(tensors.n_obs) if indices is None else np.asarray(indices, dtype=np.int64)
    module = model.module
    module.eval()
    device = model.device
    for batch in model._loader(tensors, idx, batch_size or 1024, shuffle=False):
        codes = batch["batch_index"]
        cov = module.covariates(None if codes is None else codes.to(device))
        x = [v.to(device) for v in batch["x"]]
        yield batch, x, cov, module.encode(x, cov)


def posterior_arrays(model, mdata, indices, batch_size: int | None):
    """Posterior means and scales of every modality and the mask, as numpy ``(M, n, d)`` / ``(n, M)``."""
    parts = [
        [t.cpu() for t in (post.mu_z, post.sd_z, post.mu_w, post.sd_w)] + [batch["mask"]]
        for batch, _, _, post in iter_posteriors(model, mdata, indices, batch_size)
    ]
    mu_z, sd_z, mu_w, sd_w = (torch.cat([p[i] for p in parts], dim=1).numpy() for i in range(4))
    mask = torch.cat([p[4] for p in parts]).numpy()
    return mu_z, sd_z, mu_w, sd_w, mask


def mixture_mean(mu_z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the mixture-of-experts posterior: the average of the present modalities' means."""
    weights = mask.T[:, :, None].astype(np.float32)
    n = np.maximum(weights.sum(0), 1.0)
    out = (np.where(weights > 0, mu_z, 0.0) * weights).sum(0) / n
    out = out.astype(np.float32)
    out[~mask.any(1)] = np.nan
    return out


def mixture_sample(rng, mu_z: np.ndarray, sd_z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One draw of z per row from the mixture-of-experts posterior: the shared expert of a random
    present modality, sampled. ``mu_z``, ``sd_z``: ``(M, n, d)``; ``mask``: ``(n, M)``."""
    scores = np.where(mask, rng.random(mask.shape), -1.0)
    pick = scores.argmax(1)
    rows = np.arange(mask.shape[0])
    mu, sd = mu_z[pick, rows], sd_z[pick, rows]
    return (mu + sd * rng.standard_normal(mu.shape)).astype(np.float32)
