"""Interpretation of a trained model against the simulator's truth (slow: trains a default model).

The same checks as ``benchmarks/interpretation.py`` on its simulation, for IDMVAE with the package
defaults (diffusion prior off for speed)."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import omicvae as ov
from omicvae.datasets import simulate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fitted():
    sim = simulate(n_obs=600, n_features=60, loading="sparse", seed=0)
    ov.IDMVAE.setup_mudata(sim)
    model = ov.IDMVAE(sim, diffusion_prior=False)
    model.train(enable_progress_bar=False)
    return sim, model


@pytest.mark.parametrize("m", ["m1", "m2"])  # normal, bernoulli
def test_attribution_separates_shared_from_private_features(fitted, m):
    sim, model = fitted
    fa = model.feature_attribution(m)
    shared = (sim[m].var["driver"] == "shared").to_numpy()
    assert roc_auc_score(shared, fa["shared"] - fa["private"]) >= 0.90


@pytest.mark.parametrize("m", ["m0", "m1", "m2"])
def test_differential_controls_the_false_discovery_rate(fitted, m):
    sim, model = fitted
    de = model.differential("shared_label", "S0", "S1", modality=m, source="shared")
    means = sim[m].varm["shared_class_means"].loc[de.index]
    if sim[m].uns["noise"] == "nb":
        effect = np.log2(means["S0"] + 0.1) - np.log2(means["S1"] + 0.1)
    else:
        effect = means["S0"] - means["S1"]
    real = (effect.abs() > de["delta"]).to_numpy()
    called = de["is_de_fdr"].to_numpy()
    assert called.sum() >= 5
    assert (~real[called]).mean() <= 0.10  # nominal 0.05, with room for a few features
    assert called[real].mean() >= 0.3


@pytest.mark.xfail(
    strict=True,
    reason="with the defaults z keeps part of each modality's private signal and the decoders read "
    "it from there (private R^2 0.10 for the counts against a true 0.30); the estimator itself is "
    "exact with the true decoder (test_interpret_oracle.py)",
)
def test_variance_explained_within_0_10_of_the_truth(fitted):
    sim, model = fitted
    ve = model.variance_explained()
    for m in sim.mod:
        truth = sim.uns["simulation"]["modalities"][m]["variance_explained"]
        for col in ("shared", "private"):
            assert abs(ve.loc[m, col] - truth[col]) <= 0.10, (m, col)


def test_variance_explained_within_0_10_with_the_interpretation_settings():
    """The settings the interpretation guide recommends: shared purity 100, private reconstruction 2."""
    sim = simulate(n_obs=600, n_features=60, loading="sparse", seed=0)
    ov.IDMVAE.setup_mudata(sim)
    model = ov.IDMVAE(
        sim, diffusion_prior=False, shared_purity_weight=100.0, private_reconstruction_weight=2.0
    )
    model.train(enable_progress_bar=False)
    ve = model.variance_explained()
    for m in sim.mod:
        truth = sim.uns["simulation"]["modalities"][m]["variance_explained"]
        for col in ("shared", "private"):
            assert abs(ve.loc[m, col] - truth[col]) <= 0.10, (m, col)
