"""With the true decoder and the true factors in place of the networks and the posterior,
``variance_explained`` and ``feature_attribution`` recover the simulator's ground truth: checks the
estimators themselves, apart from how well a model learns."""

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

import omicvae as ov
from omicvae.datasets._simulate_truth import oracle_truth

from .conftest import QUIET, TINY

N, P = 400, 10


def _oracle_model():
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 1.5, (N, TINY["n_shared"]))
    private = [rng.normal(0, 1.5, (N, TINY["n_private"])) for _ in range(2)]
    loads, truths, mods = [], {}, {}
    for m, noise in enumerate(("normal", "bernoulli")):
        on_shared = np.arange(P) < P // 2  # half the features load on z only, half on w only
        a = rng.normal(0, 0.6, (TINY["n_shared"], P)) * on_shared
        b = rng.normal(0, 0.6, (TINY["n_private"], P)) * ~on_shared
        eta_s, eta_p = shared @ a, private[m] @ b
        eta = eta_s + eta_p
        if noise == "normal":
            x = eta + rng.normal(0, 0.5, eta.shape)
        else:
            x = (rng.random(eta.shape) < 1 / (1 + np.exp(-2 * eta))).astype(float)
        per_feature, pooled = oracle_truth(x, np.ones(N, bool), eta_s, eta_p, noise, rng)
        name = f"m{m}"
        truths[name] = (pooled, per_feature, on_shared)
        loads.append(
            (
                torch.as_tensor(a, dtype=torch.float32),
                torch.as_tensor(b, dtype=torch.float32),
                noise,
            )
        )
        mods[name] = ad.AnnData(x.astype(np.float32), obs=pd.DataFrame(index=[f"s{i}" for i in range(N)]),
                                var=pd.DataFrame(index=[f"{name}_f{j}" for j in range(P)]))  # fmt: skip
    with md.set_options(pull_on_update=False):
        mdata = md.MuData(mods)
    ov.IDMVAE.setup_mudata(mdata, likelihoods={"m0": "normal", "m1": "bernoulli"})
    model = ov.IDMVAE(mdata, **TINY, diffusion_prior=False)
    model.train(max_epochs=1, **QUIET)  # only to mark it trained; the networks are replaced

    def posterior(mdata_, indices, batch_size):
        mu_z = np.stack([shared, shared]).astype(np.float32)
        mu_w = np.stack(private).astype(np.float32)
        return mu_z, np.ones_like(mu_z), mu_w, np.ones_like(mu_w), np.ones((N, 2), bool)

    def decode_mean(m, z, w, cov, library):
        a, b, noise = loads[m]
        eta = z @ a + w @ b
        return torch.sigmoid(2 * eta) if noise == "bernoulli" else eta

    model._posterior = posterior
    model.module.decode_mean = decode_mean
    return model, truths


def test_oracle_decoder_recovers_the_true_split():
    model, truths = _oracle_model()
    ve = model.variance_explained(n_reference=200)
    for name, (pooled, _, on_shared) in truths.items():
        for col in ("joint", "shared", "private"):
            assert ve.loc[name, col] == pytest.approx(pooled[col], abs=0.03), (name, col)
        fa = model.feature_attribution(name, n_reference=200)
        assert roc_auc_score(on_shared, fa["shared"] - fa["private"]) == 1.0
        np.testing.assert_allclose(fa.loc[on_shared, "private"], 0.0, atol=1e-6)
