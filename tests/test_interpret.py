"""Interpretation methods on a tiny trained model: shapes, values against direct computations, errors."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import omicvae as ov  # noqa: E402
from omicvae.datasets import simulate  # noqa: E402
from omicvae.model._decomposition import (  # noqa: E402
    COUNT_TOTAL,
    decode_marginal,
    decompose,
    modality_latents,
)
from omicvae.model._differential import posterior_fdr  # noqa: E402

from .conftest import QUIET, TINY  # noqa: E402


@pytest.fixture(scope="module")
def trained():
    mdata = simulate(n_obs=120, n_features=12, missing_fraction=0.2, seed=1)
    ov.IDMVAE.setup_mudata(mdata)
    model = ov.IDMVAE(mdata, **TINY, diffusion_prior=False)
    with warnings.catch_warnings():  # 20 epochs: the under-training warning may fire
        warnings.filterwarnings("ignore", message=".*still falling.*", category=UserWarning)
        model.train(max_epochs=20, **QUIET)
    return mdata, model


def test_count_scale_matches_the_simulator():
    from omicvae.datasets._simulate_truth import COUNT_TOTAL as SIM_TOTAL

    assert SIM_TOTAL == COUNT_TOTAL


def test_variance_explained_matches_its_definition(trained):
    mdata, model = trained
    before = {m: np.asarray(mdata[m].X).copy() for m in mdata.mod}
    table = model.variance_explained(n_reference=30)
    assert list(table.index) == ["m0", "m1", "m2"]
    assert list(table.columns) == ["joint", "shared", "private", "n_samples"]
    for m in mdata.mod:
        np.testing.assert_array_equal(np.asarray(mdata[m].X), before[m])
        assert table.loc[m, "n_samples"] == mdata[m].n_obs
    # pooled R^2 recomputed from the decomposition
    for m, name in enumerate(mdata.mod):
        d = decompose(model, None, m, n_reference=30, seed=0)
        ss_tot = ((d.observed - d.observed.mean(0)) ** 2).sum()
        for col, pred in (("joint", d.joint), ("shared", d.shared), ("private", d.private)):
            expected = 1.0 - ((d.observed - pred) ** 2).sum() / ss_tot
            assert table.loc[name, col] == pytest.approx(expected, abs=1e-9)
    stored = mdata.uns["idmvae_variance_explained"]
    assert list(stored["modality"]) == ["m0", "m1", "m2"]
    np.testing.assert_allclose(stored["shared"], table["shared"])


def test_count_observed_scale_is_log1p_per_10k(trained):
    mdata, model = trained
    d = decompose(model, None, 0, n_reference=10, seed=0)
    x = np.asarray(mdata["m0"].X, dtype=np.float64)
    expected = np.log1p(x / x.sum(1, keepdims=True) * 1e4)
    order = mdata.obs_names.get_indexer(mdata["m0"].obs_names)
    np.testing.assert_allclose(d.observed[np.argsort(np.argsort(order))], expected, rtol=1e-5)


def test_marginal_is_the_average_over_references(trained):
    _, model = trained
    lat = modality_latents(model, None, 1)
    refs = lat.w[:7]
    got = decode_marginal(model, 1, lat.z[:5], refs, None, own_is_z=True, kind="values",
                          scale="natural")  # fmt: skip
    with torch.no_grad():
        brute = np.stack([
            np.mean([model.module.decode_mean(1, lat.z[i : i + 1], refs[k : k + 1], None, None)
                     .numpy()[0] for k in range(7)], axis=0)
            for i in range(5)
        ])  # fmt: skip
    np.testing.assert_allclose(got, brute, rtol=1e-5, atol=1e-6)


def test_by_feature_and_groupby(trained):
    mdata, model = trained
    per = model.variance_explained(by_feature=True, n_reference=20)
    assert per.index.names == ["modality", "feature"]
    assert len(per) == 36 and list(per.loc["m1"].index) == list(mdata["m1"].var_names)
    grouped = model.variance_explained(groupby="shared_label", n_reference=20)
    assert grouped.index.names == ["group", "modality"]
    sizes = grouped.xs("m1", level="modality")["n_samples"]
    counts = mdata.obs.loc[mdata["m1"].obs_names, "shared_label"].value_counts()
    assert sizes.sort_index().to_dict() == counts.sort_index().to_dict()
    with pytest.raises(KeyError, match="'nope' is not a column of mdata.obs"):
        model.variance_explained(groupby="nope")


def test_feature_attribution_shares(trained):
    _, model = trained
    fa = model.feature_attribution("m1", n_reference=20)
    assert list(fa.columns) == ["shared", "private", "interaction", "variance", "r2"]
    np.testing.assert_allclose(fa["shared"] + fa["private"] + fa["interaction"], 1.0)
    d = decompose(model, None, 1, n_reference=20, seed=0)
    np.testing.assert_allclose(fa["shared"], d.shared.var(0) / d.joint.var(0))
    per = model.variance_explained(by_feature=True, n_reference=20).loc["m1"]
    np.testing.assert_allclose(fa["r2"], per["joint"])


def test_encoder_attribution_completeness(trained):
    mdata, model = trained
    dims = model.encoder_attribution("m1", n_steps=8)
    assert list(dims.columns) == [f"z{i}" for i in range(TINY["n_shared"])]
    assert (dims.to_numpy() >= 0).all() and dims.index.equals(pd.Index(mdata["m1"].var_names))
    table = model.encoder_attribution("m1", groupby="shared_label", group="S0", n_steps=64)
    # integrated gradients add up to the change of the target between baseline and input
    obs = mdata["m1"].obs_names
    z = model.get_latent_representation("shared", modality="m1")[mdata.obs_names.get_indexer(obs)]
    inside = (mdata.obs.loc[obs, "shared_label"] == "S0").to_numpy()
    centre, direction = z[~inside].mean(0), z[inside].mean(0) - z[~inside].mean(0)
    direction /= np.linalg.norm(direction)
    x_mean = np.asarray(mdata["m1"].X).mean(0, keepdims=True)
    with torch.no_grad():
        base = model.module.encoders[1](model.module.standardize(1, torch.as_tensor(x_mean)))[0]
    expected = ((z[inside] - centre) @ direction).mean() - float(
        (base.numpy()[0] - centre) @ direction
    )
    expected = float(expected)  # pytest >= 9.2 refuses a numpy scalar as the tolerance
    assert table["attribution"].sum() == pytest.approx(expected, abs=0.02 * abs(expected) + 1e-3)
    with pytest.raises(ValueError, match="give both or neither"):
        model.encoder_attribution("m1", group="S0")


def test_posterior_fdr_is_the_largest_admissible_set():
    rng = np.random.default_rng(0)
    p = rng.random(200)
    called = posterior_fdr(p, 0.1)
    k = int(called.sum())
    top = np.sort(p)[::-1]
    assert np.mean(1 - top[:k]) <= 0.1
    assert k == len(top) or np.mean(1 - top[: k + 1]) > 0.1
    assert called[p >= top[k - 1]].all() and not called[p < top[k - 1]].any()
    assert not posterior_fdr(np.array([0.5, 0.4]), 0.05).any()


def test_differential_table(trained):
    mdata, model = trained
    res = model.differential("shared_label", "S0", "S1", modality="m0", n_samples=200)
    assert set(res.index) == set(mdata["m0"].var_names)
    assert res["proba_de"].between(0, 1).all()
    assert res["proba_de"].is_monotonic_decreasing
    np.testing.assert_array_equal(res["is_de_fdr"], posterior_fdr(res["proba_de"].to_numpy(), 0.05))
    assert (res["delta"] == 0.25).all()
    n1 = int((mdata.obs.loc[mdata["m0"].obs_names, "shared_label"] == "S0").sum())
    assert (res["n1"] == n1).all()
    # the shared source: log fold changes of the group means, which are themselves means
    shared = model.differential("shared_label", "S0", modality="m1", source="shared",
                                n_samples=100, n_reference=10)  # fmt: skip
    sd = np.asarray(mdata["m1"].X).std(0)
    np.testing.assert_allclose(
        shared.loc[list(mdata["m1"].var_names), "delta"], 0.25 * sd, rtol=1e-5
    )
    np.testing.assert_allclose(shared["lfc"], shared["mean1"] - shared["mean2"], atol=1e-9)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(source="both"), ValueError, "source must be one of"),
        (dict(fdr=1.5), ValueError, "fdr must be in"),
        (dict(group1="S9"), ValueError, "'S9' is not a value"),
        (dict(groupby="nope"), KeyError, "'nope' is not a column"),
        (dict(modality="rna"), KeyError, "'rna' is not registered"),
    ],
)
def test_differential_bad_arguments(trained, kwargs, error, match):
    _, model = trained
    args = dict(groupby="shared_label", group1="S0", modality="m0", n_samples=10) | kwargs
    with pytest.raises(error, match=match):
        model.differential(**args)


def test_untrained_model_refuses():
    mdata = simulate(n_obs=30, n_features=4, seed=2)
    ov.IDMVAE.setup_mudata(mdata)
    model = ov.IDMVAE(mdata, **TINY)
    for call in (
        lambda: model.variance_explained(),
        lambda: model.feature_attribution("m0"),
        lambda: model.differential("shared_label", "S0", modality="m0"),
    ):
        with pytest.raises(RuntimeError, match="not trained"):
            call()


def test_plots(trained, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(True))
    mdata, model = trained
    table = model.variance_explained(n_reference=10)
    fig = ov.pl.variance_explained(mdata, save=tmp_path / "ve.png")
    assert (tmp_path / "ve.png").stat().st_size > 5_000 and shown == [True]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[0] == f"{100 * table.iloc[0]['shared']:.0f}%"
    plt.close(fig)
    fig, ax = plt.subplots()
    assert ov.pl.variance_explained(table, ax=ax) is fig and shown == [True]
    plt.close(fig)
    grouped = model.variance_explained(groupby="shared_label", n_reference=10)
    fig = ov.pl.variance_explained(grouped, show=False)
    assert (
        len([a for a in fig.axes if a.get_title()]) == grouped.index.get_level_values(0).nunique()
    )
    plt.close(fig)
    with pytest.raises(ValueError, match="single panel"):
        ov.pl.variance_explained(grouped, ax=plt.subplots()[1])
    fa = model.feature_attribution("m1", n_reference=10)
    fig = ov.pl.feature_attribution(fa, n_top=5, show=False)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[::-1] == list(fa["shared"].sort_values(ascending=False).index[:5])
    plt.close("all")
    with pytest.raises(KeyError, match="'nope' is not in the table"):
        ov.pl.feature_attribution(fa, column="nope")
