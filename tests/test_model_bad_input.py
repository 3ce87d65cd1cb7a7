"""Model-level bad input: every case raises a clear error and leaves the user's MuData unchanged.

(The data-level catalogue of setup_mudata lives in tests/test_data_bad_input.py.)
"""

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

import omicvae as ov
from omicvae import IDMVAE, MMVAEPlus
from omicvae.train import NonFiniteLossError

from ._mudata import assert_mudata_unchanged, snapshot_mudata
from .conftest import QUIET, TINY


@pytest.fixture(scope="module")
def trained():
    mdata = ov.datasets.simulate(n_obs=80, n_features=10, missing_fraction=0.2, seed=3)
    IDMVAE.setup_mudata(mdata)
    model = IDMVAE(mdata, **TINY)
    model.train(max_epochs=1, batch_size=40, **QUIET)
    return model, mdata


@pytest.fixture
def fresh():
    mdata = ov.datasets.simulate(n_obs=60, n_features=8, seed=4)
    IDMVAE.setup_mudata(mdata)
    return mdata


HYPER_CASES = [
    ({"n_shared": 0}, ValueError, "n_shared must be a positive integer"),
    ({"n_private": -2}, ValueError, "n_private must be a positive integer"),
    ({"n_shared": 2.5}, ValueError, "n_shared must be a positive integer"),
    ({"cross_mi_weight": -1.0}, ValueError, "cross_mi_weight must be a non-negative"),
    ({"gen_aug_weight": -0.1}, ValueError, "gen_aug_weight must be a non-negative"),
    ({"diffusion_weight": float("nan")}, ValueError, "diffusion_weight must be a non-negative"),
    ({"beta": -2.5}, ValueError, "beta must be a non-negative"),
    ({"dropout": 1.0}, ValueError, r"dropout must be in \[0, 1\)"),
    ({"encoder_hidden": (64, 0)}, ValueError, "every width in encoder_hidden"),
    ({"activation": "tanhh"}, ValueError, "activation must be one of"),
    (
        {"diffusion_steps": 50, "diffusion_sample_steps": 100},
        ValueError,
        "cannot exceed diffusion_steps",
    ),
    ({"image_family": "gauss"}, ValueError, "image_family must be"),
    ({"diffusion_prior": "yes"}, TypeError, "diffusion_prior must be True or False"),
    ({"likelihood_scale": {"rna": 2.0}}, KeyError, "likelihood_scale names modality 'rna'"),
    (
        {"likelihood_scale": {"m0": -1.0}},
        ValueError,
        r"likelihood_scale\['m0'\] must be a positive",
    ),
    ({"likelihood_scale": [1.0]}, TypeError, "likelihood_scale must be a dict"),
    ({"n_latent": 10}, TypeError, "unknown hyper-parameters \\['n_latent'\\]"),
]


@pytest.mark.parametrize("kwargs,error,message", HYPER_CASES)
def test_bad_hyperparameters(fresh, kwargs, error, message):
    before = snapshot_mudata(fresh)
    with pytest.raises(error, match=message):
        IDMVAE(fresh, **kwargs)
    assert_mudata_unchanged(fresh, before)


TRAIN_CASES = [
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"max_epochs": 0}, "max_epochs must be a positive integer"),
    ({"train_size": 0.0}, r"train_size must be in \(0, 1\]"),
    ({"train_size": 1.5}, r"train_size must be in \(0, 1\]"),
    ({"lr": 0.0}, "lr must be a positive number"),
    ({"weight_decay": -1e-3}, "weight_decay must be a non-negative"),
]


@pytest.mark.parametrize("kwargs,message", TRAIN_CASES)
def test_bad_train_arguments(fresh, kwargs, message):
    model = IDMVAE(fresh, **TINY)
    before = snapshot_mudata(fresh)
    with pytest.raises(ValueError, match=message):
        model.train(**{"max_epochs": 1, **kwargs}, **QUIET)
    assert_mudata_unchanged(fresh, before)


def test_unknown_preset(fresh):
    with pytest.raises(ValueError, match="unknown preset 'tcga'; expected None or one of"):
        IDMVAE(fresh, preset="tcga")


def test_model_without_setup():
    mdata = ov.datasets.simulate(n_obs=20, n_features=4, seed=0)
    with pytest.raises(
        ValueError, match=r"call IDMVAE.setup_mudata\(mdata, ...\) before IDMVAE\(mdata\)"
    ):
        IDMVAE(mdata)


def test_mmvaeplus_rejects_the_weights_it_fixes(fresh):
    with pytest.raises(TypeError, match="MMVAEPlus fixes \\['diffusion_prior'\\]"):
        MMVAEPlus(fresh, diffusion_prior=True)


QUERY_CASES = [
    (
        lambda m: m.get_latent_representation(kind="both"),
        ValueError,
        "kind must be 'shared' or 'private'",
    ),
    (
        lambda m: m.get_latent_representation(kind="private"),
        ValueError,
        "kind='private' needs modality=",
    ),
    (
        lambda m: m.get_latent_representation(modality="rna"),
        KeyError,
        "modality 'rna' is not registered",
    ),
    (
        lambda m: m.impute(source=[], target="m0"),
        ValueError,
        "source must name at least one modality",
    ),
    (
        lambda m: m.impute(source=["m1"], target="atac"),
        KeyError,
        "modality 'atac' is not registered",
    ),
    (lambda m: m.generate(0), ValueError, "n_samples must be a positive integer"),
    (lambda m: m.generate(3, batch="a"), ValueError, "set up without batch_key"),
    (
        lambda m: m.decode(np.zeros((2, 3)), np.zeros((2, 3)), "m0"),
        ValueError,
        r"z must have shape \(n, 4\)",
    ),
    (
        lambda m: m.decode(np.zeros((2, 4)), np.zeros((3, 3)), "m0"),
        ValueError,
        r"w must have shape \(2, 3\)",
    ),
]


@pytest.mark.parametrize("call,error,message", QUERY_CASES)
def test_bad_queries(trained, call, error, message):
    model, mdata = trained
    before = snapshot_mudata(mdata)
    with pytest.raises(error, match=message):
        call(model)
    assert_mudata_unchanged(mdata, before)


def test_load_onto_data_with_other_features(trained, tmp_path):
    model, mdata = trained
    model.save(tmp_path / "model")
    other = ov.datasets.simulate(n_obs=30, n_features=11, seed=5)
    before = snapshot_mudata(other)
    with pytest.raises(ValueError, match="modality 'm0'"):
        IDMVAE.load(tmp_path / "model", other)
    assert_mudata_unchanged(other, before)
    with pytest.raises(TypeError, match="holds a IDMVAE model; load it with IDMVAE.load"):
        MMVAEPlus.load(tmp_path / "model", mdata)
    with pytest.raises(ValueError, match="no MuData was saved"):
        IDMVAE.load(tmp_path / "model")
    with pytest.raises(FileNotFoundError, match="no saved model"):
        IDMVAE.load(tmp_path / "nowhere", mdata)


def test_write_embeddings_onto_data_missing_a_modality(trained):
    # query data may lack a registered modality: its embeddings are NaN, the others are written
    model, mdata = trained
    other = mdata.copy()
    del other.mod["m2"]
    other.update()
    model.write_embeddings(other)
    assert np.isnan(other.obsm["X_idmvae_private_m2"]).all()
    assert np.isnan(other.obsm["X_idmvae_shared_m2"]).all()
    assert np.isfinite(other.obsm["X_idmvae_shared"]).all()


class _PoisonDiffusion(pl.Callback):
    """Puts a NaN into the w-diffusion denoiser at the start of the second epoch."""

    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch == 1:
            with torch.no_grad():
                pl_module.module.diffusion_w.denoiser.out.bias.fill_(float("nan"))


def test_nan_loss_stops_training_and_names_the_term(fresh):
    model = IDMVAE(fresh, **TINY)
    with pytest.raises(
        NonFiniteLossError, match=r"train loss term 'diffusion' became nan at epoch 1"
    ):
        model.train(max_epochs=3, batch_size=30, callbacks=[_PoisonDiffusion()], **QUIET)
    assert not model.is_trained
    assert "X_idmvae_shared" not in fresh.obsm


def test_image_sizes_other_than_32_or_64_are_refused():
    import anndata as ad
    import mudata as md

    views = {}
    for name in ("a", "b"):
        view = ad.AnnData(np.random.default_rng(0).random((6, 3 * 48 * 48)).astype(np.float32))
        view.obs_names = [f"s{i}" for i in range(6)]
        view.uns["image_shape"] = (3, 48, 48)
        views[name] = view
    mdata = md.MuData(views)
    IDMVAE.setup_mudata(mdata)
    with pytest.raises(
        ValueError,
        match=r"modality 'a': the image networks support 32x32 and 64x64 images, got image_shape \(3, 48, 48\)",
    ):
        IDMVAE(mdata)
