"""UMAP panels of shared and private embeddings render headless; the UMAPs are cached in obsm."""

import warnings

import anndata as ad
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import mudata as md  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy.sparse import SparseEfficiencyWarning  # noqa: E402

import omicvae.pl._embeddings as pl_embeddings  # noqa: E402
from omicvae.pl import embeddings  # noqa: E402

N, K = 200, 3


def _make(seed=0):
    rng = np.random.default_rng(seed)
    digit, quad = rng.integers(K, size=N), rng.integers(K, size=N)
    mods = {}
    for m, n_m in (("a", N), ("b", N - 40)):
        adata = ad.AnnData(rng.normal(size=(n_m, 2)))
        adata.obs_names = [f"s{i}" for i in range(n_m)]
        adata.var_names = [f"{m}{k}" for k in range(2)]
        mods[m] = adata
    with md.set_options(pull_on_update=False):
        mdata = md.MuData(mods)
    mdata.obs["digit"] = pd.Categorical(digit.astype(str))
    mdata.obs["quadrant"] = quad.astype(str)
    mdata.obs["depth"] = rng.normal(size=N)
    mdata.obsm["X_idmvae_shared"] = 4 * np.eye(K)[digit] + rng.normal(size=(N, K))
    for m, n_m in (("a", N), ("b", N - 40)):
        z = 4 * np.eye(K)[digit] + rng.normal(size=(N, K))
        w = 4 * np.eye(K)[quad] + rng.normal(size=(N, K))
        z[n_m:], w[n_m:] = np.nan, np.nan
        mdata.obsm[f"X_idmvae_shared_{m}"], mdata.obsm[f"X_idmvae_private_{m}"] = z, w
    return mdata


def test_shared_and_private_umaps_render(tmp_path):
    mdata = _make()
    obs, obsm, uns = mdata.obs.copy(), {k: v.copy() for k, v in mdata.obsm.items()}, set(mdata.uns)
    path = tmp_path / "umap.png"
    fig = embeddings(mdata, color=["digit", "quadrant", "depth"], save=path)
    # joint shared + private a + private b, one row per colour
    assert fig.axes[0].get_title().startswith("shared z (joint)")
    assert sum(ax.get_title() != "" for ax in fig.axes) == 9
    assert path.exists() and path.stat().st_size > 20_000
    pd.testing.assert_frame_equal(obs, mdata.obs)
    # only the UMAP caches are added, one per drawn embedding
    drawn = ["X_idmvae_shared", "X_idmvae_private_a", "X_idmvae_private_b"]
    assert set(mdata.obsm) - set(obsm) == {f"X_umap_{k}" for k in drawn}
    assert set(mdata.uns) - uns == {f"umap_{k}" for k in drawn}
    for k in obsm:
        np.testing.assert_array_equal(obsm[k], mdata.obsm[k])
    umap_b = mdata.obsm["X_umap_X_idmvae_private_b"]
    assert umap_b.shape == (N, 2) and np.isnan(umap_b[N - 40 :]).all()
    assert np.isfinite(umap_b[: N - 40]).all()
    assert mdata.uns["umap_X_idmvae_private_b"]["params"]["n_neighbors"] == 15
    plt.close(fig)


def test_umaps_are_cached_and_recomputed_when_asked_or_stale(monkeypatch, tmp_path):
    mdata = _make()
    calls = []
    umap = pl_embeddings._umap
    monkeypatch.setattr(
        pl_embeddings, "_umap", lambda X, *args: calls.append(len(X)) or umap(X, *args)
    )
    draw = dict(color="digit", modality="b", basis=["private"])
    plt.close(embeddings(mdata, **draw))
    assert calls == [N - 40]
    cached = mdata.obsm["X_umap_X_idmvae_private_b"].copy()
    fig = embeddings(mdata, **draw)
    assert calls == [N - 40]  # reused, not recomputed
    plt.close(fig)
    plt.close(embeddings(mdata, **draw, recompute=True))
    assert len(calls) == 2
    np.testing.assert_array_equal(mdata.obsm["X_umap_X_idmvae_private_b"], cached)  # seeded
    plt.close(embeddings(mdata, **draw, n_neighbors=10))  # other parameters: recomputed
    assert len(calls) == 3 and mdata.uns["umap_X_idmvae_private_b"]["params"]["n_neighbors"] == 10
    mdata.obsm["X_idmvae_private_b"] = mdata.obsm["X_idmvae_private_b"] * 2  # a new embedding
    plt.close(embeddings(mdata, **draw, n_neighbors=10))
    assert len(calls) == 4
    # the cache survives writing and reading the MuData
    path = tmp_path / "m.h5mu"
    with md.set_options(pull_on_update=False):
        mdata.write(path)
        again = md.read_h5mu(path)
    plt.close(embeddings(again, **draw, n_neighbors=10))
    assert len(calls) == 4


def test_no_sparse_efficiency_warning_on_tied_embeddings():
    # a collapsed private embedding: many identical rows tie in the neighbour search
    mdata = _make()
    w = mdata.obsm["X_idmvae_private_b"]
    w[:80] = 0.0
    mdata.obsm["X_idmvae_private_b"] = w
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = embeddings(mdata, color="digit", modality="b", basis=["private"])
    plt.close(fig)
    sparse = [w for w in caught if issubclass(w.category, SparseEfficiencyWarning)]
    assert sparse == [], [str(w.message) for w in sparse]


def test_per_modality_panels_and_errors(tmp_path):
    mdata = _make()
    fig = embeddings(mdata, color="digit", modality="b", save=tmp_path / "b.png")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["shared z (b)\ncoloured by digit", "private w (b)\ncoloured by digit"]
    # the 40 samples without 'b' are left out of its panels
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == N - 40
    plt.close(fig)
    with pytest.raises(KeyError, match="'cell_type'"):
        embeddings(mdata, color="cell_type")
    with pytest.raises(KeyError, match="'X_pca'"):
        embeddings(mdata, color="digit", basis=["X_pca"])


def test_show_follows_scanpy_and_one_panel_takes_an_ax(monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: shown.append(True))
    mdata = _make()
    one = dict(color="digit", modality="b", basis=["private"])
    plt.close(embeddings(mdata, **one))  # show=None: shown, as sc.pl.* do
    assert len(shown) == 1
    plt.close(embeddings(mdata, **one, show=False))
    assert len(shown) == 1
    fig, axes = plt.subplots(1, 2)
    assert embeddings(mdata, **one, ax=axes[0]) is fig  # the caller's figure: not shown
    assert axes[0].get_title() == "private w (b)\ncoloured by digit"
    assert sum(len(c.get_offsets()) for c in axes[0].collections) == N - 40
    assert len(shown) == 1
    with pytest.raises(ValueError, match=r"ax: draws a single panel, but this plot has 2"):
        embeddings(mdata, color="digit", modality="b", ax=axes[1])
    plt.close(fig)


def _legend_labels(ax):
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def test_few_distinct_integers_are_drawn_as_categories():
    """A stage 1-4 or cluster ids (numeric) get a legend; measurements keep a colour bar."""
    mdata = _make()
    rng = np.random.default_rng(3)
    mdata.obs["stage"] = rng.integers(1, 5, size=N)  # int64
    stage_float = rng.integers(1, 4, size=N).astype(float)
    stage_float[:10] = np.nan  # missing stages, as read from a clinical table
    mdata.obs["stage_float"] = stage_float
    mdata.obs["age"] = rng.integers(20, 90, size=N)  # many distinct integers
    colours = ["stage", "stage_float", "age", "depth"]
    fig = embeddings(mdata, color=colours, basis=("shared",), show=False)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title().split("coloured by ")[1] for ax in panels] == colours
    assert _legend_labels(panels[0]) == ["1", "2", "3", "4"]
    assert _legend_labels(panels[1]) == ["NA", "1", "2", "3"]  # not "1.0"
    assert _legend_labels(panels[2]) == [] and _legend_labels(panels[3]) == []
    assert len(fig.axes) == len(panels) + 2  # colour bars for age and depth only
    plt.close(fig)
    fig = embeddings(mdata, color="stage", basis=("shared",), max_categories=0, show=False)
    assert _legend_labels(fig.axes[0]) == [] and len(fig.axes) == 2  # scanpy's colour bar
    plt.close(fig)
    fig = embeddings(mdata, color="stage", basis=("shared",), max_categories=3, show=False)
    assert len(fig.axes) == 2  # 4 distinct values > 3: a colour bar
    plt.close(fig)
    with pytest.raises(ValueError, match="max_categories must be >= 0"):
        embeddings(mdata, color="stage", max_categories=-1, show=False)


def test_discrete_codes_rule():
    codes = pl_embeddings.discrete_codes
    got = codes(pd.Series([3, 1, 2, 1]), 12)
    assert got.tolist() == [3, 1, 2, 1] and got.cat.categories.tolist() == [1, 2, 3]
    assert codes(pd.Series([1.0, np.nan, 2.0]), 12).isna().tolist() == [False, True, False]
    assert codes(pd.Series([1, 2, None], dtype="Int64"), 12).cat.categories.tolist() == [1, 2]
    for continuous in (pd.Series([0.5, 1.0]), pd.Series(range(13)), pd.Series([True, False])):
        assert codes(continuous, 12) is None
    assert codes(pd.Series(range(12)), 12) is not None
    assert codes(pd.Series([np.inf, 1.0]), 12) is None
