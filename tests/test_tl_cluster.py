"""Leiden clustering agreement on separated blobs and on noise."""

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd
import pytest

from omicvae.tl import cluster

N = 240


def _make(seed=0):
    rng = np.random.default_rng(seed)
    blob = np.repeat(np.arange(3), N // 3)
    adata = ad.AnnData(rng.normal(size=(N, 3)))
    adata.obs_names = [f"s{i}" for i in range(N)]
    with md.set_options(pull_on_update=False):
        mdata = md.MuData({"a": adata})
    centres = 8 * rng.normal(size=(3, 5))
    mdata.obsm["X_idmvae_shared"] = centres[blob] + rng.normal(size=(N, 5))
    mdata.obsm["X_noise"] = rng.normal(size=(N, 5))
    mdata.obs["blob"] = pd.Categorical(blob.astype(str))
    mdata.obs["random"] = rng.integers(3, size=N).astype(str)
    return mdata


def test_blobs_are_recovered_and_only_the_result_column_is_added():
    mdata = _make()
    obs_before, obsm_before = mdata.obs.copy(), set(mdata.obsm)
    uns_before, mod_before = set(mdata.uns), (set(mdata["a"].obsp), set(mdata["a"].uns))
    scores = cluster(mdata, labels=["blob", "random"], resolution=0.3)
    assert scores.loc["blob", "ari"] > 0.9
    assert scores.loc["blob", "nmi"] > 0.9
    assert abs(scores.loc["random", "ari"]) < 0.05
    assert set(mdata.obsm) == obsm_before and set(mdata.uns) == uns_before
    assert not mdata.obsp.keys() and (set(mdata["a"].obsp), set(mdata["a"].uns)) == mod_before
    assert list(mdata.obs.columns) == [*obs_before.columns, "idmvae_leiden"]
    pd.testing.assert_frame_equal(mdata.obs[obs_before.columns], obs_before)
    assert mdata.obs["idmvae_leiden"].nunique() == scores.loc["blob", "n_clusters"] == 3


def test_noise_has_no_agreement_and_is_reproducible():
    mdata = _make()
    first = cluster(mdata, key="X_noise", labels="blob", key_added="noise_leiden")
    assert abs(first.loc["blob", "ari"]) < 0.05
    clusters = mdata.obs["noise_leiden"].copy()
    cluster(mdata, key="X_noise", labels="blob", key_added="noise_leiden")
    pd.testing.assert_series_equal(clusters, mdata.obs["noise_leiden"])


def test_nan_rows_are_excluded():
    mdata = _make()
    emb = mdata.obsm["X_idmvae_shared"].copy()
    emb[:30] = np.nan
    mdata.obsm["X_partial"] = emb
    scores = cluster(mdata, key="X_partial", labels="blob", resolution=0.3)
    assert mdata.obs["idmvae_leiden"].iloc[:30].isna().all()
    assert mdata.obs["idmvae_leiden"].iloc[30:].notna().all()
    assert scores.loc["blob", "n_obs"] == N - 30
    assert scores.loc["blob", "ari"] > 0.9


def test_missing_key_error():
    with pytest.raises(KeyError, match="'X_pca'.*key="):
        cluster(_make(), key="X_pca")
