"""``key_prefix``: several models keep their embeddings on one MuData; the record in ``uns`` names them."""

import logging

import mudata as md
import numpy as np
import pytest

from omicvae import IDMVAE, MMVAEPlus
from omicvae._keys import keys_from_prefix, resolve_keys

from .conftest import QUIET, TINY


@pytest.fixture
def two_models(sim_mdata):
    mdata = sim_mdata
    IDMVAE.setup_mudata(mdata)
    first = IDMVAE(mdata, seed=0, **TINY)
    first.train(max_epochs=1, batch_size=64, **QUIET)
    second = IDMVAE(mdata, seed=1, **TINY)
    second.train(max_epochs=1, batch_size=64, key_prefix="X_run2", **QUIET)
    return mdata, first, second


def test_second_model_with_a_prefix_keeps_the_first_ones_keys(two_models):
    mdata, first, second = two_models
    np.testing.assert_array_equal(mdata.obsm["X_idmvae_shared"], first.get_latent_representation())
    np.testing.assert_array_equal(mdata.obsm["X_run2_shared"], second.get_latent_representation())
    assert not np.allclose(mdata.obsm["X_idmvae_shared"], mdata.obsm["X_run2_shared"])
    for m in mdata.mod:
        assert f"X_run2_private_{m}" in mdata.obsm and f"X_idmvae_private_{m}" in mdata.obsm
    record = mdata.uns["idmvae"]
    assert record["latest"] == "X_run2"
    assert record["IDMVAE"]["key_prefix"] == "X_idmvae" and record["IDMVAE"]["model"] == "IDMVAE"
    assert record["X_run2"]["key_prefix"] == "X_run2" and record["X_run2"]["model"] == "IDMVAE"
    assert record["X_run2"]["shared"] == "X_run2_shared"
    assert record["X_run2"]["private"] == {m: f"X_run2_private_{m}" for m in mdata.mod}
    assert record["X_run2"]["hyperparameters"]["n_shared"] == TINY["n_shared"]


def test_prefix_is_kept_for_later_writes(two_models):
    mdata, first, second = two_models
    other = mdata.copy()
    del other.obsm["X_run2_shared"]
    second.write_embeddings(mdata=other)  # no prefix: the one this model used last
    assert "X_run2_shared" in other.obsm
    first.write_embeddings(mdata=other, key_prefix="X_first_again")
    np.testing.assert_allclose(other.obsm["X_first_again_shared"], mdata.obsm["X_idmvae_shared"])
    assert other.uns["idmvae"]["latest"] == "X_first_again"


def test_bad_prefix_is_refused_before_training(sim_mdata):
    IDMVAE.setup_mudata(sim_mdata)
    model = IDMVAE(sim_mdata, **TINY)
    with pytest.raises(TypeError, match="key_prefix must be a string"):
        model.train(max_epochs=1, key_prefix=3, **QUIET)
    with pytest.raises(ValueError, match="key_prefix must be a non-empty name"):
        model.train(max_epochs=1, key_prefix="", **QUIET)
    assert not model.is_trained and not any(k.endswith("_shared") for k in sim_mdata.obsm)


def test_mmvaeplus_record_and_key_resolution(sim_mdata, caplog):
    mdata = sim_mdata
    MMVAEPlus.setup_mudata(mdata)
    mm = MMVAEPlus(mdata, **TINY)
    mm.train(max_epochs=1, batch_size=64, **QUIET)
    assert mdata.uns["idmvae"]["latest"] == "MMVAEPlus"
    assert resolve_keys(mdata) == keys_from_prefix("X_mmvaeplus", model="MMVAEPlus")
    idm = IDMVAE(mdata, **TINY)
    idm.train(max_epochs=1, batch_size=64, **QUIET)
    logger = logging.getLogger("omicvae")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="omicvae")
    try:
        keys = resolve_keys(mdata)  # two records: the latest, with a word about the other
    finally:
        logger.removeHandler(caplog.handler)
    assert keys.key_prefix == "X_idmvae" and keys.shared_key == "X_idmvae_shared"
    assert "pass key_prefix= to choose" in caplog.text and "MMVAEPlus" in caplog.text
    chosen = resolve_keys(mdata, "X_mmvaeplus")
    assert chosen.private("m0") == "X_mmvaeplus_private_m0" and chosen.model == "MMVAEPlus"
    # explicit keys override their part only
    mixed = resolve_keys(mdata, "X_mmvaeplus", shared_key="X_pca")
    assert mixed.shared_key == "X_pca" and mixed.shared_prefix == "X_mmvaeplus_shared_"


def test_record_survives_h5mu(two_models, tmp_path):
    mdata = two_models[0]
    path = tmp_path / "two.h5mu"
    with md.set_options(pull_on_update=False):
        mdata.write(path)
    back = md.read_h5mu(path)
    assert resolve_keys(back) == keys_from_prefix("X_run2", model="IDMVAE")
    assert resolve_keys(back, "X_idmvae").shared_key == "X_idmvae_shared"


def test_no_record_falls_back_to_idmvae_names(sim_mdata):
    assert resolve_keys(sim_mdata) == keys_from_prefix("X_idmvae")
    assert resolve_keys(sim_mdata, "X_pca").shared_prefix == "X_pca_shared_"
