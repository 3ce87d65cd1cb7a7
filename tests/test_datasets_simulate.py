"""``ov.datasets.simulate``: determinism, unchanged default data, and the ground-truth options."""

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from omicvae.datasets import simulate

FIVE = ("nb", "normal", "bernoulli", "laplace", "poisson")


def _original(n_obs=600, noise=("nb", "normal", "bernoulli"), n_features=60, latent_dim=4,
              separation=2.0, missing_fraction=0.0, seed=0, n_shared=4, n_private=3):  # fmt: skip
    """The simulator as it was before the strength / decoder / loading options (data only)."""
    rng = np.random.default_rng(seed)

    def class_latent(k):
        labels = rng.integers(0, k, n_obs)
        centres = rng.normal(0.0, separation, (k, latent_dim))
        return labels, centres[labels] + rng.normal(0.0, 1.0, (n_obs, latent_dim))

    shared_labels, shared = class_latent(n_shared)
    present = rng.random((n_obs, len(noise))) >= missing_fraction
    nobody = ~present.any(1)
    present[nobody, rng.integers(0, len(noise), nobody.sum())] = True
    xs, labels, privates = [], [], []
    for kind in noise:
        priv_labels, private = class_latent(n_private)
        mixing = rng.normal(0.0, 1.0 / np.sqrt(2 * latent_dim), (2 * latent_dim, n_features))
        eta = np.hstack([shared, private]) @ mixing
        if kind == "nb":
            library = rng.lognormal(np.log(2000.0), 0.3, (n_obs, 1))
            mu = library * np.exp(eta) / np.exp(eta).sum(1, keepdims=True)
            x = rng.poisson(rng.gamma(5.0, mu / 5.0))
        elif kind == "normal":
            x = eta + rng.normal(0.0, 0.5, eta.shape)
        else:
            x = rng.random(eta.shape) < 1.0 / (1.0 + np.exp(-2.0 * eta))
        xs.append(x.astype(np.float32))
        labels.append(priv_labels)
        privates.append(private)
    return shared_labels, present, xs, labels, shared, privates


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(n_obs=120, n_features=12, missing_fraction=0.2, seed=1),
        dict(n_obs=90, noise=("normal", "bernoulli"), n_features=7, latent_dim=3, seed=5),
    ],
)
def test_default_options_reproduce_the_original_simulator(kwargs):
    mdata = simulate(**kwargs)
    shared_labels, present, xs, labels, shared, privates = _original(**kwargs)
    obs = mdata.obs.loc[[f"sample_{i}" for i in range(len(shared_labels))]]
    assert list(obs["shared_label"]) == [f"S{k}" for k in shared_labels]
    for m, (keep, x, lab) in enumerate(zip(present.T, xs, labels, strict=True)):
        adata = mdata[f"m{m}"]
        assert list(adata.obs_names) == [f"sample_{i}" for i in np.flatnonzero(keep)]
        np.testing.assert_array_equal(adata.X, x[keep])
        assert adata.X.dtype == np.float32
        assert list(obs[f"private_label_m{m}"]) == [f"P{k}" for k in lab]
        np.testing.assert_allclose(adata.obsm["private_factor"], privates[m][keep], rtol=1e-6)
    order = mdata.obs_names.map(lambda name: int(name.split("_")[1]))
    np.testing.assert_allclose(mdata.obsm["shared_factor"], shared[order], rtol=1e-6)


def test_true_factors_generate_the_data():
    """A linear fit of a Gaussian modality on the stored factors leaves only the noise (std 0.5)."""
    mdata = simulate(n_obs=400, missing_fraction=0.2, seed=3)
    normal = mdata["m1"]
    shared = mdata.obsm["shared_factor"][mdata.obs_names.get_indexer(normal.obs_names)]
    design = np.hstack([shared, normal.obsm["private_factor"], np.ones((normal.n_obs, 1))])
    coef, *_ = np.linalg.lstsq(design, normal.X, rcond=None)
    assert np.std(normal.X - design @ coef) == pytest.approx(0.5, abs=0.03)
    both = normal.obs_names.intersection(mdata["m0"].obs_names)
    rows = normal.obs_names.get_indexer(both)
    other = mdata["m0"].obsm["private_factor"][mdata["m0"].obs_names.get_indexer(both)]
    wrong = np.hstack([shared[rows], other, np.ones((len(both), 1))])
    coef, *_ = np.linalg.lstsq(wrong, normal.X[rows], rcond=None)
    assert np.std(normal.X[rows] - wrong @ coef) > 0.6


def test_default_data_checksums():
    """Pinned sums of the default data (other tests depend on these exact values)."""
    sums = {m: float(np.asarray(a.X, np.float64).sum()) for m, a in simulate().mod.items()}
    assert sums == pytest.approx({"m0": 1278132.0, "m1": 14582.687385388299, "m2": 18021.0})
    sums = {
        m: float(np.asarray(a.X, np.float64).sum())
        for m, a in simulate(n_obs=120, n_features=12, missing_fraction=0.2, seed=1).mod.items()
    }
    assert sums == pytest.approx({"m0": 208431.0, "m1": -0.6207583517971216, "m2": 508.0})


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(decoder="nonlinear", loading="sparse", shared_strength=0.5, missing_fraction=0.3),
        dict(noise=FIVE, private_strength=2.0),
    ],
)
def test_deterministic_in_the_seed(kwargs):
    a, b = simulate(n_obs=80, seed=3, **kwargs), simulate(n_obs=80, seed=3, **kwargs)
    c = simulate(n_obs=80, seed=4, **kwargs)
    for m in a.mod:
        np.testing.assert_array_equal(a[m].X, b[m].X)
        pd.testing.assert_frame_equal(a[m].var, b[m].var)
    assert a.uns["simulation"] == b.uns["simulation"]
    assert not np.array_equal(a["m0"].X, c["m0"].X)


def test_any_number_of_modalities_and_every_noise_model():
    mdata = simulate(n_obs=100, noise=FIVE, n_features=[5, 6, 7, 8, 9], missing_fraction=0.3)
    assert list(mdata.mod) == [f"m{i}" for i in range(5)]
    assert [mdata[m].n_vars for m in mdata.mod] == [5, 6, 7, 8, 9]
    assert all(f"private_label_m{i}" in mdata.obs for i in range(5))
    assert set(mdata.obs_names) == set().union(*(set(mdata[m].obs_names) for m in mdata.mod))
    for m, kind in zip(mdata.mod, FIVE, strict=True):
        x = np.asarray(mdata[m].X)
        assert mdata[m].uns["noise"] == kind
        if kind in ("nb", "poisson"):
            assert (x >= 0).all() and (x == np.round(x)).all()
        elif kind == "bernoulli":
            assert set(np.unique(x)) <= {0.0, 1.0}
        else:
            assert (x < 0).any() and (x != np.round(x)).any()
    single = simulate(n_obs=30, noise=["laplace"], n_features=4)
    assert list(single.mod) == ["m0"] and single["m0"].shape == (30, 4)


def test_laplace_is_normal_with_heavier_tails():
    mdata = simulate(n_obs=2000, noise=("normal", "laplace"), separation=0.0, seed=2)
    kurt = {}
    for m in mdata.mod:
        x = np.asarray(mdata[m].X, np.float64)
        resid = x - x.mean(0)
        kurt[m] = float(((resid**4).mean(0) / (resid**2).mean(0) ** 2).mean())
    # both are N(0, ~1) predictors plus noise; only the Laplace noise adds excess kurtosis
    assert kurt["m1"] > kurt["m0"]


def test_truth_fractions_and_summary():
    mdata = simulate(n_obs=300, n_features=20, seed=0)
    for m in mdata.mod:
        var = mdata[m].var
        np.testing.assert_allclose(var["shared_variance"] + var["private_variance"], 1.0)
        assert var["shared_variance"].between(0, 1).all()
        assert isinstance(var["driver"].dtype, pd.CategoricalDtype)
        np.testing.assert_array_equal(
            var["driver"] == "shared", var["shared_variance"].to_numpy() >= 0.5
        )
        info = mdata.uns["simulation"]["modalities"][m]
        assert info["n_shared_driven"] + info["n_private_driven"] == 20
        assert info["mean_shared_variance"] == pytest.approx(var["shared_variance"].mean())
    sim = mdata.uns["simulation"]
    assert (sim["decoder"], sim["loading"], sim["shared_strength"]) == ("linear", "dense", 1.0)


def test_strengths_move_the_truth_fractions():
    def mean_shared(**kw):
        mdata = simulate(n_obs=400, seed=1, **kw)
        return np.mean([mdata[m].var["shared_variance"].mean() for m in mdata.mod])

    base = mean_shared()
    assert 0.3 < base < 0.7
    assert mean_shared(shared_strength=0.5) < base - 0.15
    assert mean_shared(private_strength=0.5) > base + 0.15
    assert mean_shared(shared_strength=2.0, decoder="nonlinear") > mean_shared(decoder="nonlinear")
    only_private = simulate(n_obs=50, shared_strength=0.0)
    assert (only_private["m0"].var["shared_variance"] == 0).all()


def test_strengths_keep_labels_and_scale_the_signal():
    base = simulate(n_obs=200, noise=("normal",), seed=6)
    weak = simulate(n_obs=200, noise=("normal",), seed=6, shared_strength=0.1, private_strength=0.1)
    pd.testing.assert_frame_equal(base.obs, weak.obs)
    assert np.asarray(weak["m0"].X).std() < 0.5 * np.asarray(base["m0"].X).std()


def test_nonlinear_decoder_differs_from_linear_on_the_same_samples():
    lin = simulate(n_obs=200, seed=2)
    non = simulate(n_obs=200, seed=2, decoder="nonlinear")
    pd.testing.assert_frame_equal(lin.obs, non.obs)  # same labels and factors
    for m in lin.mod:
        assert lin[m].obs_names.equals(non[m].obs_names)
        assert not np.allclose(lin[m].X, non[m].X)
        assert not np.allclose(lin[m].var["shared_variance"], non[m].var["shared_variance"])
    # comparable scale: the Gaussian modality's spread is within a factor 2 of the linear one
    ratio = np.asarray(non["m1"].X).std() / np.asarray(lin["m1"].X).std()
    assert 0.5 < ratio < 2.0


@pytest.mark.parametrize("decoder", ["linear", "nonlinear"])
def test_sparse_loading_gives_fractions_of_zero_or_one(decoder):
    mdata = simulate(n_obs=150, n_features=[9, 10, 11], loading="sparse", decoder=decoder, seed=3)
    for m in mdata.mod:
        var = mdata[m].var
        assert set(np.unique(var["shared_variance"])) == {0.0, 1.0}
        np.testing.assert_array_equal(var["private_variance"], 1.0 - var["shared_variance"])
        n_shared = int((var["driver"] == "shared").sum())
        assert n_shared == (mdata[m].n_vars + 1) // 2
        assert mdata.uns["simulation"]["modalities"][m]["n_shared_driven"] == n_shared
    dense = simulate(n_obs=150, n_features=[9, 10, 11], decoder=decoder, seed=3)
    assert dense["m0"].var["shared_variance"].between(0.001, 0.999).all()


def test_sparse_features_depend_on_one_factor_only():
    """A shared-only feature of a Gaussian modality has the same mean within each shared class
    whatever the private class, and vice versa."""
    mdata = simulate(
        n_obs=3000, noise=("normal",), n_features=10, loading="sparse", separation=3.0, seed=4
    )
    x = pd.DataFrame(np.asarray(mdata["m0"].X), index=mdata["m0"].obs_names)
    obs = mdata.obs.loc[x.index]
    driver = mdata["m0"].var["driver"].to_numpy()
    by_shared = x.groupby(obs["shared_label"].to_numpy()).mean().var()
    by_private = x.groupby(obs["private_label_m0"].to_numpy()).mean().var()
    assert (by_shared[driver == "shared"] > 10 * by_private[driver == "shared"]).all()
    assert (by_private[driver == "private"] > 10 * by_shared[driver == "private"]).all()


def test_ground_truth_writes_to_h5mu(tmp_path):
    import mudata as md

    mdata = simulate(n_obs=40, n_features=5, loading="sparse", decoder="nonlinear")
    path = tmp_path / "sim.h5mu"
    mdata.write(path)
    back = md.read_h5mu(path)
    assert back.uns["simulation"]["decoder"] == "nonlinear"
    assert back.uns["simulation"]["modalities"]["m0"]["n_features"] == 5
    pd.testing.assert_series_equal(
        back["m2"].var["shared_variance"], mdata["m2"].var["shared_variance"]
    )
    assert isinstance(back["m0"], ad.AnnData)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(noise=("nb", "gamma")), "unknown noise model 'gamma'"),
        (dict(shared_strength=-1.0), "shared_strength"),
        (dict(private_strength="big"), "private_strength"),
        (dict(shared_strength=0.0, private_strength=0.0), "both be 0"),
        (dict(decoder="mlp"), "decoder"),
        (dict(loading="block"), "loading"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate(n_obs=10, **kwargs)


def test_oracle_variance_explained_of_a_gaussian_modality_is_the_signal_share():
    """With Gaussian noise and an additive predictor the oracle's R^2 of each part is the part's
    share of the observed variance (up to sampling noise)."""
    mdata = simulate(n_obs=3000, noise=("normal",), n_features=8, seed=7)
    var = mdata["m0"].var
    x = np.asarray(mdata["m0"].X, np.float64)
    total = x.var(0)
    # the predictor's variance is total - noise (std 0.5); its parts split it as the fractions say
    signal = total - 0.25
    np.testing.assert_allclose(var["joint_r2"], signal / total, atol=0.02)
    np.testing.assert_allclose(var["shared_r2"], var["shared_variance"] * signal / total, atol=0.05)
    np.testing.assert_allclose(
        var["private_r2"], var["private_variance"] * signal / total, atol=0.05
    )
    pooled = mdata.uns["simulation"]["modalities"]["m0"]["variance_explained"]
    assert pooled["joint"] == pytest.approx(1 - 0.25 * 8 / total.sum(), abs=0.02)
    assert pooled["shared"] + pooled["private"] == pytest.approx(pooled["joint"], abs=0.03)


def test_oracle_truth_in_every_noise_model():
    mdata = simulate(n_obs=300, noise=FIVE, n_features=10, loading="sparse", seed=1)
    for m in mdata.mod:
        var = mdata[m].var
        info = mdata.uns["simulation"]["modalities"][m]["variance_explained"]
        assert set(info) == {"joint", "shared", "private"}
        assert 0 < info["joint"] < 1 and info["shared"] < info["joint"]
        # sparse loading: a shared-only feature gets nothing from the private part, and vice versa
        shared = (var["driver"] == "shared").to_numpy()
        if mdata[m].uns["noise"] not in ("nb", "poisson"):  # softmax couples count features
            assert (var.loc[shared, "private_r2"] < 0.05).all()
            assert (var.loc[~shared, "shared_r2"] < 0.05).all()
        assert var.loc[shared, "shared_r2"].mean() > var.loc[~shared, "shared_r2"].mean()
        means = mdata[m].varm["shared_class_means"]
        assert list(means.columns) == ["S0", "S1", "S2", "S3"]
        assert means.index.equals(var.index)


def test_shared_class_means_are_class_averages_of_the_truth():
    mdata = simulate(n_obs=4000, noise=("normal", "bernoulli"), n_features=6, loading="sparse",
                     seed=3)  # fmt: skip
    for m in mdata.mod:
        means = mdata[m].varm["shared_class_means"]
        x = pd.DataFrame(np.asarray(mdata[m].X, np.float64), index=mdata[m].obs_names)
        labels = mdata.obs.loc[x.index, "shared_label"].to_numpy()
        observed = x.groupby(labels).mean().T
        se = (x.groupby(labels).std() / np.sqrt(x.groupby(labels).size().to_numpy()[:, None])).T
        assert (np.abs(observed.to_numpy() - means.to_numpy()) < 4 * se.to_numpy()).all()
        private = (mdata[m].var["driver"] == "private").to_numpy()
        spread = means.to_numpy()[private].std(1)
        assert (spread < 0.05).all()  # private-only features do not differ between shared classes


def test_shared_mean_layer_is_the_per_sample_truth_behind_the_class_means():
    mdata = simulate(n_obs=300, noise=("nb", "normal"), n_features=8, loading="sparse", seed=4)
    for m in mdata.mod:
        adata = mdata[m]
        layer = adata.layers["shared_mean"]
        assert layer.shape == adata.shape and layer.dtype == np.float32
        labels = mdata.obs.loc[adata.obs_names, "shared_label"].to_numpy()
        by_class = pd.DataFrame(layer.astype(np.float64)).groupby(labels).mean().T
        np.testing.assert_allclose(
            by_class.to_numpy(), adata.varm["shared_class_means"].to_numpy(), rtol=1e-5
        )
        private = (adata.var["driver"] == "private").to_numpy()
        if adata.uns["noise"] == "normal":  # a private-only feature's mean barely moves with z
            spread = layer[:, private].std(0) / np.asarray(adata.X)[:, private].std(0)
            assert spread.max() < 0.2  # what is left: the average over 100 private references
    counts = mdata["m0"].layers["shared_mean"]
    np.testing.assert_allclose(counts.sum(1), 1e4, rtol=1e-4)  # counts per 10,000
