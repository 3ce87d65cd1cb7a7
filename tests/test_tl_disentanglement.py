"""Linear-probe disentanglement table on embeddings with planted shared and private labels."""

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd
import pytest

from omicvae._keys import DEFAULT_PREFIX, keys_from_prefix
from omicvae.tl import disentanglement

KEYS = keys_from_prefix(DEFAULT_PREFIX)
N, K = 300, 4


def _make(seed=0, swap=False):
    """Two modalities; 'b' is missing for the last 50 samples. ``swap`` puts the labels in the
    wrong latents (shared label in w, private label in z)."""
    rng = np.random.default_rng(seed)
    digit = rng.integers(K, size=N)
    mods, obsm = {}, {}
    obs = pd.DataFrame({"digit": digit.astype(str)}, index=[f"s{i}" for i in range(N)])
    for m in ["a", "b"]:
        n_m = N if m == "a" else N - 50
        quad = rng.integers(K, size=N)
        obs[f"quad_{m}"] = quad.astype(str)
        z = 3 * np.eye(K)[digit] + rng.normal(size=(N, K))
        w = 3 * np.eye(K)[quad] + rng.normal(size=(N, K))
        if swap:
            z, w = w, z
        z = np.hstack([z, rng.normal(size=(N, 2))])
        z[n_m:] = np.nan
        w[n_m:] = np.nan
        obsm[KEYS.shared(m)], obsm[KEYS.private(m)] = z, w
        adata = ad.AnnData(rng.normal(size=(n_m, 3)))
        adata.obs_names = obs.index[:n_m]
        adata.var_names = [f"{m}{k}" for k in range(3)]
        mods[m] = adata
    with md.set_options(pull_on_update=False):
        mdata = md.MuData(mods)
    for col in obs:
        mdata.obs[col] = obs[col]
    for key, value in obsm.items():
        mdata.obsm[key] = value
    return mdata


def _snapshot(mdata):
    return (
        mdata.obs.copy(),
        {k: np.array(v, copy=True) for k, v in mdata.obsm.items()},
        dict(mdata.uns),
        {
            m: (set(a.obsm), set(a.obsp), set(a.uns), list(a.obs.columns))
            for m, a in mdata.mod.items()
        },
    )


def _assert_same(before, after):
    pd.testing.assert_frame_equal(before[0], after[0])
    assert before[1].keys() == after[1].keys()
    for k in before[1]:
        np.testing.assert_array_equal(before[1][k], after[1][k])
    assert before[2].keys() == after[2].keys()
    assert before[3] == after[3]


def test_planted_labels_are_probed_correctly():
    mdata = _make()
    before = _snapshot(mdata)
    table = disentanglement(
        mdata, shared_label="digit", private_labels={"a": "quad_a", "b": "quad_b"}
    )
    _assert_same(before, _snapshot(mdata))
    assert list(table.index) == ["a", "b", "mean"]
    for row in ["a", "b", "mean"]:
        assert table.loc[row, "z_shared"] > 0.9
        assert table.loc[row, "w_private"] > 0.9
        assert table.loc[row, "z_private"] < table.loc[row, "chance_private"] + 0.15
        assert table.loc[row, "w_shared"] < table.loc[row, "chance_shared"] + 0.15
    # chance is the majority-class rate of a 4-class roughly balanced label
    assert 0.2 < table.loc["mean", "chance_shared"] < 0.4
    # NaN rows of the missing modality are skipped
    assert table.loc["a", "n_train"] + table.loc["a", "n_test"] == N
    assert table.loc["b", "n_train"] + table.loc["b", "n_test"] == N - 50
    assert pd.isna(table.loc["mean", "n_train"])


def test_swapped_latents_show_entanglement_and_missing_private_label_is_nan():
    table = disentanglement(_make(swap=True), shared_label="digit", private_labels={"a": "quad_a"})
    assert table.loc["a", "z_shared"] < table.loc["a", "chance_shared"] + 0.15
    assert table.loc["a", "w_shared"] > 0.9
    assert table.loc["a", "z_private"] > 0.9
    assert np.isnan(table.loc["b", "z_private"]) and np.isnan(table.loc["b", "w_private"])
    # the mean row averages over the modalities that have the probe
    assert table.loc["mean", "z_private"] == pytest.approx(table.loc["a", "z_private"])


def test_split_column_and_baseline_prefixes():
    mdata = _make()
    mdata.obs["split"] = np.where(np.arange(N) % 4 == 0, "test", "train")
    mdata.obsm["X_pca_a"] = mdata.obsm[KEYS.shared("a")]
    mdata.obsm["X_noise_a"] = np.random.default_rng(1).normal(size=(N, 5))
    table = disentanglement(
        mdata,
        shared_label="digit",
        modalities="a",
        shared_prefix="X_pca_",
        private_prefix="X_noise_",
        split="split",
    )
    assert table.loc["a", "n_test"] == N // 4
    assert table.loc["a", "z_shared"] > 0.9
    assert table.loc["a", "w_shared"] < table.loc["a", "chance_shared"] + 0.15


def test_errors_name_the_missing_key_and_column():
    mdata = _make()
    with pytest.raises(KeyError, match="X_idmvae_shared_c"):
        disentanglement(mdata, shared_label="digit", modalities=["c"])
    with pytest.raises(KeyError, match="'celltype'"):
        disentanglement(mdata, shared_label="celltype")
    with pytest.raises(KeyError, match="private_prefix="):
        disentanglement(mdata, shared_label="digit", private_prefix="X_nothing_")


def test_standardize_reads_a_label_carried_by_codes_of_small_spread():
    mdata = _make()
    for key in list(mdata.obsm):
        if key.startswith(KEYS.private_prefix):
            mdata.obsm[key] = mdata.obsm[key] * 1e-3  # a shrunken private code, same information
    kw = dict(shared_label="digit", private_labels={"a": "quad_a", "b": "quad_b"}, split=None)
    paper = disentanglement(mdata, **kw)
    scaled = disentanglement(mdata, standardize=True, **kw)
    assert paper.loc["mean", "w_private"] < 0.45  # the L2 penalty wins over the shrunken code
    assert scaled.loc["mean", "w_private"] > 0.85
    assert scaled.loc["mean", "z_shared"] == pytest.approx(paper.loc["mean", "z_shared"], abs=0.05)
