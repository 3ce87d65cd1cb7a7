"""Label-free redundancy check on hand-written embeddings with planted (non-)redundancy."""

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import omicvae as ov
from omicvae._keys import DEFAULT_PREFIX, keys_from_prefix
from omicvae.tl import _redundancy, redundancy

from .conftest import QUIET, TINY

KEYS = keys_from_prefix(DEFAULT_PREFIX)
N = 400
R2_COLS = ["r2_z_from_w", "r2_z_from_w_knn", "r2_w_from_z", "r2_w_from_z_knn"]
COLUMNS = [*R2_COLS, "other_r2_z", "other_gain", "n_samples"]


def _mudata(matrices, n=N):
    mods = {}
    for m, X in matrices.items():
        adata = ad.AnnData(X)
        adata.obs_names = [f"s{i}" for i in range(n)][: X.shape[0]]
        adata.var_names = [f"{m}{k}" for k in range(X.shape[1])]
        mods[m] = adata
    with md.set_options(pull_on_update=False):
        return md.MuData(mods)


def _split(kind, seed=0, n=N):
    """One modality 'a'; z Gaussian (d=4), w_a = 4 dims built from z (or not) + 3 private dims."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 4))
    private = rng.normal(size=(n, 3))
    noise = 0.1 * rng.normal(size=(n, 4))
    rotation = np.linalg.qr(rng.normal(size=(4, 4)))[0]  # well conditioned: z stays recoverable
    copy = {
        "redundant": z @ rotation + 3 * noise,
        "clean": rng.normal(size=(n, 4)),
        "square": z**2 + noise,  # non-linear and not invertible: z cannot be read back from w
    }[kind]
    mdata = _mudata({"a": rng.normal(size=(n, 5))}, n)
    mdata.obsm[KEYS.shared_key] = z
    mdata.obsm[KEYS.shared("a")] = z
    mdata.obsm[KEYS.private("a")] = np.hstack([copy, private])
    return mdata


def _two_modalities(leaky, seed=0, n=N, counts=False):
    """'a' and 'b' share factors s and f. Clean: f is in z_a (and z). Leaky: f is left out of z
    and sits in w_a instead, so w_a predicts b beyond z_a."""
    rng = np.random.default_rng(seed)
    s, f, pa, pb = (rng.normal(size=(n, 2)) for _ in range(4))
    Xa = np.hstack([s, f, pa]) @ rng.normal(size=(6, 20)) + 0.5 * rng.normal(size=(n, 20))
    Xb = np.hstack([s, f, pb]) @ rng.normal(size=(6, 20)) + 0.5 * rng.normal(size=(n, 20))
    if counts:
        Xb = rng.poisson(np.exp(1 + 0.3 * Xb / Xb.std())).astype(np.float32)
    mdata = _mudata({"a": Xa, "b": Xb}, n)

    def noisy(x):
        return x + 0.1 * rng.normal(size=x.shape)

    if leaky:
        z_a, w_a, z_b = noisy(s), noisy(np.hstack([pa, f])), noisy(s)
    else:
        z_a = noisy(np.hstack([s, f]))
        w_a = noisy(np.hstack([pa, rng.normal(size=(n, 2))]))
        z_b = noisy(np.hstack([s, f]))
    mdata.obsm[KEYS.shared_key] = (z_a + z_b) / 2
    mdata.obsm[KEYS.shared("a")], mdata.obsm[KEYS.private("a")] = z_a, w_a
    mdata.obsm[KEYS.shared("b")], mdata.obsm[KEYS.private("b")] = z_b, noisy(pb)
    return mdata


def _snapshot(mdata):
    return (
        mdata.obs.copy(),
        {k: np.array(v, copy=True) for k, v in mdata.obsm.items()},
        dict(mdata.uns),
        {m: (a.X.copy(), set(a.obsm), set(a.uns), set(a.layers)) for m, a in mdata.mod.items()},
    )


def _assert_same(before, after):
    pd.testing.assert_frame_equal(before[0], after[0])
    assert before[1].keys() == after[1].keys()
    for k in before[1]:
        np.testing.assert_array_equal(before[1][k], after[1][k])
    assert before[2].keys() == after[2].keys()
    for m, (X, *keys) in before[3].items():
        X_after, *keys_after = after[3][m]
        np.testing.assert_array_equal(X, X_after)
        assert keys == keys_after


@pytest.mark.parametrize("seed", [0, 1])
def test_redundant_and_clean_splits_are_told_apart(seed):
    red = redundancy(_split("redundant", seed)).loc["a"]
    clean = redundancy(_split("clean", seed)).loc["a"]
    # measured (seeds 0-4): redundant 0.911-0.919 (ridge), 0.711-0.722 (kNN, diluted by the 3
    # private dims of w); clean -0.004 to -0.008 (ridge), -0.05 to -0.10 (kNN, about -1/k)
    assert red["r2_z_from_w"] > 0.8
    assert red["r2_z_from_w_knn"] > 0.5
    assert red["r2_w_from_z"] > 0.4  # measured 0.51-0.55: 3 of the 7 dims of w are private
    assert red["r2_w_from_z_knn"] > 0.3  # measured 0.43-0.47
    for col in R2_COLS:
        assert clean[col] < 0.05, col
    assert red["n_samples"] == clean["n_samples"] == N


def test_nonlinear_copy_is_seen_by_knn_only():
    table = redundancy(_split("square")).loc["a"]
    # measured (seeds 0-4): ridge -0.005 to -0.014 both ways, kNN w-from-z 0.37-0.42. z**2 loses the sign
    # of z, so z cannot be read from w even non-linearly (kNN z-from-w about -0.05): the w-from-z
    # direction is the one that sees this copy.
    assert table["r2_z_from_w"] < 0.05
    assert table["r2_w_from_z"] < 0.05
    assert table["r2_z_from_w_knn"] < 0.05
    assert table["r2_w_from_z_knn"] > 0.25


@pytest.mark.parametrize("counts", [False, True])
def test_other_gain_flags_shared_information_in_w(counts):
    clean = redundancy(_two_modalities(leaky=False, counts=counts))
    leaky = redundancy(_two_modalities(leaky=True, counts=counts))
    # measured (seeds 0-2): clean gain -0.007 to -0.002 (Gaussian), -0.012 to -0.002 (counts);
    # leaky gain of w_a 0.29-0.31 (Gaussian), 0.05-0.07 (Poisson counts of b, weaker signal)
    assert abs(clean.loc["a", "other_gain"]) < 0.02
    assert abs(clean.loc["b", "other_gain"]) < 0.02
    assert leaky.loc["a", "other_gain"] > (0.03 if counts else 0.2)
    assert abs(leaky.loc["b", "other_gain"]) < 0.02  # w_b is clean in both
    # the joint z does not contain f at all, so the z-from-w check alone misses this leak
    assert leaky.loc["a", "r2_z_from_w"] < 0.05
    assert leaky.loc["a", "other_r2_z"] < clean.loc["a", "other_r2_z"]
    pairs = leaky.attrs["other_pairs"]
    assert list(pairs.columns) == ["modality", "other", "r2_z", "r2_zw", "gain", "n_samples"]
    row = pairs[(pairs["modality"] == "a") & (pairs["other"] == "b")].iloc[0]
    assert row["gain"] == pytest.approx(row["r2_zw"] - row["r2_z"])
    assert row["gain"] == pytest.approx(leaky.loc["a", "other_gain"])
    mean = leaky.loc["mean", "other_gain"]
    assert mean == pytest.approx(leaky.loc[["a", "b"], "other_gain"].mean())
    assert pd.isna(leaky.loc["mean", "n_samples"])


def test_sparse_targets_match_dense(monkeypatch):
    mdata = _two_modalities(leaky=True, counts=True)
    dense = redundancy(mdata)
    mdata.mod["b"].X = sp.csr_matrix(mdata.mod["b"].X)
    monkeypatch.setattr(_redundancy, "_DENSE_LIMIT", 0)  # force the sparse (arpack) PCA path
    sparse = redundancy(mdata)
    # principal components agree up to sign, which R² does not see
    pd.testing.assert_frame_equal(dense, sparse, atol=1e-6)


def test_missing_rows_are_ignored_and_mdata_is_unchanged():
    mdata = _two_modalities(leaky=True)
    full = redundancy(mdata)
    # 'b' missing for the last 100 samples: NaN representation rows, absent from mod['b']
    n_b = N - 100
    Xb = mdata.mod["b"].X[:n_b]
    obsm = {k: np.array(v, copy=True) for k, v in mdata.obsm.items()}
    mdata = _mudata({"a": mdata.mod["a"].X, "b": Xb})
    for key, value in obsm.items():
        if key.endswith("_b"):
            value[n_b:] = np.nan
        mdata.obsm[key] = value
    before = _snapshot(mdata)
    table = redundancy(mdata)
    _assert_same(before, _snapshot(mdata))
    assert table.loc["a", "n_samples"] == N
    assert table.loc["b", "n_samples"] == n_b
    pairs = table.attrs["other_pairs"].set_index("modality")
    assert pairs.loc["a", "n_samples"] == pairs.loc["b", "n_samples"] == n_b
    assert np.isfinite(table[COLUMNS[:-1]].to_numpy(dtype=float)).all()
    assert table.loc["a", "other_gain"] > 0.2  # the leak is still found on the paired samples
    assert table.loc["a", "r2_z_from_w"] == pytest.approx(full.loc["a", "r2_z_from_w"])

    # a sample with NaN in the representation is skipped even if the modality has its data
    mdata.obsm[KEYS.private("a")][:7] = np.nan
    assert redundancy(mdata).loc["a", "n_samples"] == N - 7


def test_single_modality_and_modality_selection():
    table = redundancy(_split("clean"))
    assert list(table.columns) == COLUMNS
    assert list(table.index) == ["a", "mean"]
    assert table.index.name == "modality"
    assert np.isnan(table.loc["a", "other_gain"])
    assert np.isnan(table.loc["a", "other_r2_z"])
    two = _two_modalities(leaky=True)
    only_b = redundancy(two, modalities="b")
    assert list(only_b.index) == ["b", "mean"]
    narrowed = redundancy(
        two, others=["a"]
    )  # 'a' has no other modality left, 'b' is compared to 'a'
    assert np.isnan(narrowed.loc["a", "other_gain"])
    assert list(narrowed.attrs["other_pairs"]["other"]) == ["a"]
    with pytest.raises(KeyError, match="others"):
        redundancy(two, others=["zz"])


def test_errors():
    mdata = _split("clean")
    del mdata.obsm[KEYS.shared_key]
    with pytest.raises(KeyError, match=r"'X_idmvae_shared'.*train the model.*shared_key="):
        redundancy(mdata)
    mdata = _split("clean")
    with pytest.raises(KeyError, match="X_idmvae_shared_c"):
        redundancy(mdata, modalities=["c"])
    with pytest.raises(KeyError, match="private_prefix="):
        redundancy(mdata, private_prefix="X_other_")
    with pytest.raises(KeyError, match="layers"):
        redundancy(mdata, layers={"zz": "counts"})
    with pytest.raises(ValueError, match="n_folds"):
        redundancy(mdata, n_folds=1)
    with pytest.raises(ValueError, match="normalize"):
        redundancy(mdata, normalize="yes")
    mdata.obsm[KEYS.private("a")][9:] = np.nan
    with pytest.raises(ValueError, match=r"'a': 9 samples.*n_folds=5 needs at least 10"):
        redundancy(mdata)
    assert redundancy(mdata, n_folds=3).loc["a", "n_samples"] == 9


def test_layers_are_read_for_other_gain():
    mdata = _two_modalities(leaky=True)
    mdata.mod["b"].layers["noise"] = np.random.default_rng(5).normal(size=mdata.mod["b"].shape)
    table = redundancy(mdata, layers={"b": "noise"})
    assert abs(table.loc["a", "other_gain"]) < 0.03  # pure noise: nothing to predict
    with pytest.raises(KeyError, match="unknown layer 'nope'"):
        redundancy(mdata, layers={"b": "nope"})


def test_end_to_end_on_a_tiny_trained_model(sim_mdata):
    ov.IDMVAE.setup_mudata(sim_mdata)
    model = ov.IDMVAE(sim_mdata, **TINY)
    model.train(max_epochs=2, **QUIET)
    before = _snapshot(sim_mdata)
    table = ov.tl.redundancy(sim_mdata, n_folds=3)
    _assert_same(before, _snapshot(sim_mdata))
    assert list(table.columns) == COLUMNS
    assert list(table.index) == [*sim_mdata.mod, "mean"]
    assert np.isfinite(table[COLUMNS[:-1]].to_numpy(dtype=float)).all()
    for m in sim_mdata.mod:
        present = np.isfinite(sim_mdata.obsm[KEYS.private(m)]).all(axis=1).sum()
        assert table.loc[m, "n_samples"] == present < sim_mdata.n_obs
    assert len(table.attrs["other_pairs"]) == len(sim_mdata.mod) * (len(sim_mdata.mod) - 1)
