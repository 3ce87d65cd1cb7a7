"""New samples: any subset of the registered modalities, features matched by name, named outputs."""

import logging

import mudata as md
import numpy as np
import pandas as pd
import pytest

import omicvae as ov
from omicvae import IDMVAE
from omicvae.model._idmvae import _frame

from ._mudata import assert_mudata_unchanged, snapshot_mudata
from .conftest import QUIET, TINY


@pytest.fixture(scope="module")
def trained():
    """m0 nb, m1 normal, m2 bernoulli; 12 features each, about 20% of samples missing each."""
    mdata = ov.datasets.simulate(n_obs=120, n_features=12, missing_fraction=0.2, seed=1)
    IDMVAE.setup_mudata(mdata)
    model = IDMVAE(mdata, **TINY)
    model.train(max_epochs=2, batch_size=32, **QUIET)
    return model, mdata


def _only(mdata, *mods, columns=None):
    """A new MuData holding copies of some modalities (columns: a var_names order for each)."""
    parts = {}
    for name in mods:
        adata = mdata.mod[name]
        parts[name] = (adata if columns is None else adata[:, columns(adata)]).copy()
    return md.MuData(parts)


def _rows(mdata, names):
    return mdata.obs_names.get_indexer(names)


def test_one_modality_is_embedded_from_that_modality_alone(trained):
    model, mdata = trained
    query = _only(mdata, "m0")
    before = snapshot_mudata(query)
    rows = _rows(mdata, query.obs_names)
    z = model.get_latent_representation(mdata=query)
    assert z.shape == (query.n_obs, 4) and np.isfinite(z).all()
    # the joint code of an m0-only sample is its m0 code in the full data
    np.testing.assert_allclose(
        z, model.get_latent_representation(modality="m0")[rows], rtol=1e-5, atol=1e-6
    )
    w0 = model.get_latent_representation(kind="private", modality="m0", mdata=query)
    np.testing.assert_allclose(
        w0,
        model.get_latent_representation(kind="private", modality="m0")[rows],
        rtol=1e-5,
        atol=1e-6,
    )
    w1 = model.get_latent_representation(kind="private", modality="m1", mdata=query)
    assert w1.shape == (query.n_obs, 3) and np.isnan(w1).all()  # no private code without m1
    assert_mudata_unchanged(query, before)

    target = _only(mdata, "m0", "m2")
    model.write_embeddings(target)
    assert np.isnan(target.obsm["X_idmvae_private_m1"]).all()
    assert np.isnan(target.obsm["X_idmvae_shared_m1"]).all()
    assert np.isfinite(target.obsm["X_idmvae_shared"]).all()


def test_features_are_matched_by_name(trained):
    model, mdata = trained
    rng = np.random.default_rng(0)
    ordered = _only(mdata, "m0", "m1")
    permuted = _only(mdata, "m0", "m1", columns=lambda a: rng.permutation(a.n_vars))
    assert list(permuted.mod["m1"].var_names) != list(mdata.mod["m1"].var_names)
    expected = model.get_latent_representation(mdata=ordered)
    np.testing.assert_array_equal(model.get_latent_representation(mdata=permuted), expected)
    w = model.get_latent_representation(kind="private", modality="m1", mdata=permuted)
    np.testing.assert_array_equal(
        w, model.get_latent_representation(kind="private", modality="m1", mdata=ordered)
    )


def test_extra_features_are_ignored_with_an_info(trained):
    model, mdata = trained
    import anndata as ad

    m1 = mdata.mod["m1"]
    extra = ad.AnnData(
        np.c_[m1.X, np.ones((m1.n_obs, 2), dtype=np.float32)],
        obs=pd.DataFrame(index=m1.obs_names),
        var=pd.DataFrame(index=[*m1.var_names, "new_a", "new_b"]),
    )
    query = md.MuData({"m1": extra})
    records = []
    handler = logging.Handler(level=logging.INFO)
    handler.emit = lambda record: records.append(record.getMessage())
    log = logging.getLogger("omicvae")
    log.addHandler(handler)
    try:
        z = model.get_latent_representation(mdata=query)
    finally:
        log.removeHandler(handler)
    np.testing.assert_array_equal(z, model.get_latent_representation(mdata=_only(mdata, "m1")))
    assert any("modality 'm1': ignoring 2 features" in m and "new_a" in m for m in records)


def test_missing_features_or_modalities_give_a_clear_error(trained):
    model, mdata = trained
    keep = [n for n in mdata.mod["m0"].var_names if n not in ("m0_f3", "m0_f7")]
    query = md.MuData({"m0": mdata.mod["m0"][:, keep].copy()})
    with pytest.raises(
        ValueError,
        match=r"modality 'm0': 2 of the 12 features the model was set up with are not in the new "
        r"data's var_names \(first missing: \['m0_f3', 'm0_f7'\]\)",
    ):
        model.get_latent_representation(mdata=query)
    other = md.MuData({"rna": mdata.mod["m0"].copy()})
    with pytest.raises(KeyError, match="none of the modalities the model was set up with"):
        model.get_latent_representation(mdata=other)
    with pytest.raises(ValueError, match=r"none of the source modalities \['m2'\] is in the data"):
        model.impute("m2", "m1", mdata=_only(mdata, "m0"))


def test_impute_an_absent_modality_with_names(trained):
    model, mdata = trained
    query = _only(mdata, "m0")  # "RNA-only" samples: impute m1 (normal) for them
    out = model.impute("m0", "m1", mdata=query, seed=3)
    assert isinstance(out, pd.DataFrame) and out.shape == (query.n_obs, 12)
    assert list(out.index) == list(query.obs_names)
    assert list(out.columns) == list(model.registry["m1"].var_names)
    assert np.isfinite(out.to_numpy()).all()
    # the full-data path with the shared code from the same modality gives the same prediction
    full = model.impute("m0", "m1", indices=_rows(mdata, query.obs_names), seed=3)
    assert list(full.index) == list(query.obs_names)
    np.testing.assert_allclose(out.to_numpy(), full.to_numpy(), rtol=1e-5, atol=1e-6)
    bare = model.impute("m0", "m1", mdata=query, seed=3, return_numpy=True)
    np.testing.assert_array_equal(bare, out.to_numpy())


def test_categorical_outputs_get_one_column_per_position_and_category():
    spec = type("Spec", (), {"var_names": ("p0", "p1")})()
    values = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    frame = _frame(values, ["a", "b"], spec)
    assert frame.shape == (2, 6) and list(frame.index) == ["a", "b"]
    assert frame.columns.names == ["feature", "category"]
    assert frame.loc["b", ("p1", 2)] == values[1, 1, 2]
