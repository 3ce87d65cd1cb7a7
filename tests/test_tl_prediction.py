"""Label prediction with the paper's protocol on embeddings with a planted label."""

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from omicvae._keys import DEFAULT_PREFIX, keys_from_prefix
from omicvae.tl import PredictionResult, predict_labels

KEYS = keys_from_prefix(DEFAULT_PREFIX)
N = 240


def _make(n_classes=2, seed=0):
    """Label planted in the shared embeddings; private embeddings and X_noise are noise.
    Modality 'b' is missing for the last 40 samples; the label is missing for 10 samples."""
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=N)
    mods = {}
    for m, n_m in (("a", N), ("b", N - 40)):
        adata = ad.AnnData(rng.normal(size=(n_m, 3)))
        adata.obs_names = [f"s{i}" for i in range(n_m)]
        adata.var_names = [f"{m}{k}" for k in range(3)]
        mods[m] = adata
    with md.set_options(pull_on_update=False):
        mdata = md.MuData(mods)
    label = pd.Series(y.astype(float), index=mdata.obs_names)
    label.iloc[:10] = np.nan
    mdata.obs["label"] = label
    for m, n_m in (("a", N), ("b", N - 40)):
        z = np.hstack([2.5 * np.eye(n_classes)[y], rng.normal(size=(N, 3))])
        z += rng.normal(size=z.shape)
        w = rng.normal(size=(N, 4))
        z[n_m:], w[n_m:] = np.nan, np.nan
        mdata.obsm[KEYS.shared(m)], mdata.obsm[KEYS.private(m)] = z, w
    mdata.obsm["X_noise"] = rng.normal(size=(N, 5))
    return mdata


def test_planted_label_is_predicted_and_noise_is_chance():
    mdata = _make()
    before_obs, before_keys = mdata.obs.copy(), set(mdata.obsm)
    res = predict_labels(mdata, label="label", representation=["z", "z+w"], keys=["X_noise"])
    assert isinstance(res, PredictionResult)
    pd.testing.assert_frame_equal(before_obs, mdata.obs)
    assert set(mdata.obsm) == before_keys
    assert list(res.summary.index) == ["z", "z+w", "X_noise"]
    assert len(res.per_split) == 15
    for rep in ["z", "z+w"]:
        assert res.summary.loc[rep, "accuracy_mean"] > 0.9
        assert res.summary.loc[rep, "auroc_mean"] > 0.95
        assert res.summary.loc[rep, "f1_macro_mean"] > 0.9
    assert res.summary.loc["X_noise", "accuracy_mean"] < 0.5 + 0.15
    assert abs(res.summary.loc["X_noise", "auroc_mean"] - 0.5) < 0.15
    assert (res.summary["accuracy_std"] > 0).all()
    # NaN labels are dropped; every test sample has modality 'a' so all are scored
    assert (res.per_split["n_train"] + res.per_split["n_test"] == N - 10).all()


def test_explicit_splits_reproduce_random_splits():
    mdata = _make()
    res = predict_labels(mdata, label="label", n_splits=3, test_size=0.25, random_state=0)
    labelled = np.flatnonzero(mdata.obs["label"].notna().to_numpy())
    y = mdata.obs["label"].to_numpy()[labelled]
    splits = [
        train_test_split(labelled, test_size=0.25, random_state=k, stratify=y) for k in range(3)
    ]
    again = predict_labels(mdata, label="label", splits=splits)
    pd.testing.assert_frame_equal(res.per_split, again.per_split)
    by_name = [(mdata.obs_names[tr], mdata.obs_names[te]) for tr, te in splits]
    pd.testing.assert_frame_equal(
        res.per_split, predict_labels(mdata, label="label", splits=by_name).per_split
    )


def test_missing_modalities_and_multiclass_auroc():
    mdata = _make(n_classes=3)
    # only modality 'b' (missing for the last 40 samples): those test samples are not scored
    test = np.arange(N - 60, N)
    res = predict_labels(
        mdata, label="label", modalities="b", splits=[(np.arange(10, N - 60), test)]
    )
    assert res.per_split.loc[0, "n_test"] == 20
    assert res.per_split.loc[0, "accuracy"] > 0.85
    assert res.per_split.loc[0, "auroc"] > 0.9
    assert np.isnan(res.summary.loc["z", "accuracy_std"])  # one split: no spread


def test_errors():
    mdata = _make()
    with pytest.raises(KeyError, match="'X_pca'"):
        predict_labels(mdata, label="label", keys=["X_pca"])
    with pytest.raises(KeyError, match="'stage'"):
        predict_labels(mdata, label="stage")


def test_unknown_representation_names_the_valid_values():
    mdata = _make()
    with pytest.raises(ValueError, match="representation 'wz'") as err:
        predict_labels(mdata, label="label", representation=["z", "wz"])
    message = str(err.value)
    assert "'z'" in message and "'z+w'" in message and ".obsm key" in message
    # obsm keys still work as representations
    res = predict_labels(mdata, label="label", representation="X_noise", n_splits=2)
    assert list(res.summary.index) == ["X_noise"]
