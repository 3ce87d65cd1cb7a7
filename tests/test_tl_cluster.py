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


def test_tied_embedding_clusters_without_sparse_efficiency_warning():
    """A collapsed embedding (25 identical rows per point) made scanpy's exact search warn."""
    import warnings

    mdata = _make()
    rng = np.random.default_rng(1)
    mdata.obsm["X_tied"] = np.repeat(8 * rng.normal(size=(4, 3)), N // 4, axis=0)
    truth = np.repeat(np.arange(4), N // 4).astype(str)
    mdata.obs["tied_truth"] = truth
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SparseEfficiencyWarning (or any other) fails the test
        scores = cluster(mdata, key="X_tied", labels="tied_truth", key_added="tied")
    assert scores.loc["tied_truth", "ari"] == pytest.approx(1.0)


def test_neighbour_graph_is_scanpys_exact_graph():
    """The transformer path gives scanpy's own exact neighbours and connectivities."""
    import scanpy as sc

    from omicvae._neighbors import neighbors_anndata

    X = np.random.default_rng(2).normal(size=(150, 4)).astype(np.float32)
    ours = neighbors_anndata(X, n_neighbors=10, random_state=0)
    ref = ad.AnnData(obs=pd.DataFrame(index=np.arange(150).astype(str)))
    ref.obsm["X_rep"] = X
    sc.pp.neighbors(ref, n_neighbors=10, use_rep="X_rep", random_state=0)
    # the connectivities (what Leiden and UMAP read) are scanpy's, entry for entry
    a, b = ours.obsp["connectivities"].toarray(), ref.obsp["connectivities"].toarray()
    np.testing.assert_array_equal(a > 0, b > 0)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # the distance graph holds scanpy's neighbours with their distances, plus the next one
    a, b = ours.obsp["distances"].toarray(), ref.obsp["distances"].toarray()
    assert ((b > 0) <= (a > 0)).all() and ((a > 0).sum(1) == (b > 0).sum(1) + 1).all()
    np.testing.assert_allclose(a[b > 0], b[b > 0], rtol=1e-5)
