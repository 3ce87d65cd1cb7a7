"""The scvi-tools test pattern on the public model API: setup, train, every method, save/load, seeds."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import omicvae as ov
from omicvae import IDMVAE, MMVAEPlus

from ._mudata import assert_mudata_unchanged, snapshot_mudata
from .conftest import QUIET, TINY


def _presence(mdata):
    return np.stack([mdata.obs_names.isin(mdata.mod[m].obs_names) for m in mdata.mod], axis=1)


def test_full_api_round_trip(sim_mdata, tmp_path):
    mdata = sim_mdata
    before = snapshot_mudata(mdata)
    IDMVAE.setup_mudata(mdata)
    assert_mudata_unchanged(mdata, before)  # setup never edits the data
    model = IDMVAE(mdata, **TINY)
    text = repr(model)
    assert "not trained" in text and "likelihood 'nb'" in text and "m2" in text
    model.train(max_epochs=2, batch_size=32, **QUIET)
    assert "trained" in repr(model) and model.is_trained

    present = _presence(mdata)
    assert present.all(1).sum() < len(present)  # the fixture really has missing modalities
    n = mdata.n_obs
    shared = mdata.obsm["X_idmvae_shared"]
    assert shared.shape == (n, 4) and np.isfinite(shared).all()
    for m, name in enumerate(mdata.mod):
        for key, dim in ((f"X_idmvae_private_{name}", 3), (f"X_idmvae_shared_{name}", 4)):
            emb = mdata.obsm[key]
            assert emb.shape == (n, dim)
            assert np.isnan(emb[~present[:, m]]).all()
            assert np.isfinite(emb[present[:, m]]).all()
    assert set(mdata.uns["idmvae"]["IDMVAE"]["private"]) == set(mdata.mod)

    z = model.get_latent_representation()
    np.testing.assert_array_equal(z, shared)
    w = model.get_latent_representation(kind="private", modality="m1")
    np.testing.assert_array_equal(w, mdata.obsm["X_idmvae_private_m1"])
    sub = model.get_latent_representation(indices=[3, 0, 5])
    np.testing.assert_allclose(sub, shared[[3, 0, 5]], rtol=1e-5, atol=1e-6)
    sampled = model.get_latent_representation(give_mean=False, seed=1)
    assert sampled.shape == shared.shape and not np.allclose(sampled, shared)
    # the joint shared embedding is the mean of the unimodal means of the modalities present
    per_mod = np.stack([mdata.obsm[f"X_idmvae_shared_{k}"] for k in mdata.mod])
    np.testing.assert_allclose(np.nanmean(per_mod, 0), shared, rtol=1e-5, atol=1e-6)

    rna_hat = model.impute(source=["m1", "m2"], target="m0")
    assert isinstance(rna_hat, pd.DataFrame) and rna_hat.shape == (n, 12)
    assert list(rna_hat.index) == list(mdata.obs_names)
    assert list(rna_hat.columns) == list(mdata.mod["m0"].var_names)
    has_source = present[:, 1] | present[:, 2]
    values = rna_hat.to_numpy()
    assert np.isnan(values[~has_source]).all() and (values[has_source] >= 0).all()
    bare = model.impute(source=["m1", "m2"], target="m0", return_numpy=True)
    assert isinstance(bare, np.ndarray)
    np.testing.assert_array_equal(bare, values)
    samples = model.generate(n_samples=7)
    assert {k: v.shape for k, v in samples.items()} == {"m0": (7, 12), "m1": (7, 12), "m2": (7, 12)}
    for name, frame in samples.items():
        assert list(frame.columns) == list(mdata.mod[name].var_names)
        assert list(frame.index) == [f"generated_{i}" for i in range(7)]
    assert ((samples["m2"].to_numpy() >= 0) & (samples["m2"].to_numpy() <= 1)).all()
    bare_samples = model.generate(n_samples=7, return_numpy=True)
    np.testing.assert_array_equal(bare_samples["m1"], samples["m1"].to_numpy())
    decoded = model.decode(z[:5], w[np.isfinite(w).all(1)][:5], "m1")
    assert decoded.shape == (5, 12)
    err = model.get_reconstruction_error()
    assert set(err) == set(mdata.mod) and all(np.isfinite(v) and v > 0 for v in err.values())

    hist = model.history
    assert {"loss", "elbo", "reconstruction", "kl", "cross_mi", "gen_aug", "diffusion"} <= set(hist)
    for frame in hist.values():
        assert list(frame.columns) == ["train", "validation"] and len(frame) == 2
        assert np.isfinite(frame.to_numpy()).all()

    other = mdata.copy()
    for key in list(other.obsm.keys()):
        if key.startswith("X_idmvae"):
            del other.obsm[key]
    model.write_embeddings(other)
    np.testing.assert_allclose(other.obsm["X_idmvae_shared"], shared, rtol=1e-5, atol=1e-6)

    model.save(tmp_path / "m", save_mdata=True)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save(tmp_path / "m")
    model.save(tmp_path / "m", overwrite=True)
    loaded = IDMVAE.load(tmp_path / "m", mdata)
    np.testing.assert_array_equal(loaded.get_latent_representation(), z)
    np.testing.assert_array_equal(
        loaded.get_latent_representation(kind="private", modality="m1"), w
    )
    pd.testing.assert_frame_equal(loaded.history["loss"], hist["loss"])
    from_disk = IDMVAE.load(tmp_path / "m")  # with the MuData saved beside it
    np.testing.assert_allclose(from_disk.get_latent_representation(), z, rtol=1e-6, atol=1e-6)


def test_same_seed_same_latents_and_other_seed_differs(sim_mdata):
    IDMVAE.setup_mudata(sim_mdata)
    runs = []
    for seed in (3, 3, 4):
        model = IDMVAE(sim_mdata, **TINY)
        model.train(max_epochs=2, batch_size=32, seed=seed, **QUIET)
        runs.append(model.get_latent_representation())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_mmvaeplus_is_the_ablation_with_its_own_keys(sim_mdata):
    MMVAEPlus.setup_mudata(sim_mdata)
    model = MMVAEPlus(sim_mdata, **TINY)
    assert (
        model.hyperparameters["cross_mi_weight"] == 0
        and not model.hyperparameters["diffusion_prior"]
    )
    model.train(max_epochs=1, batch_size=64, **QUIET)
    assert set(model.history) == {"loss", "elbo", "reconstruction", "kl"}
    assert "X_mmvaeplus_shared" in sim_mdata.obsm and "X_idmvae_shared" not in sim_mdata.obsm
    with pytest.raises(TypeError, match="fixes"):
        MMVAEPlus(sim_mdata, cross_mi_weight=1.0)


def test_validation_split_early_stopping_and_no_validation(sim_mdata):
    IDMVAE.setup_mudata(sim_mdata)
    model = IDMVAE(sim_mdata, **TINY)
    model.train(
        max_epochs=3,
        batch_size=32,
        train_size=0.75,
        early_stopping=True,
        early_stopping_patience=1,
        **QUIET,
    )
    assert len(model.train_indices) == 90 and len(model.validation_indices) == 30
    assert set(model.train_indices).isdisjoint(model.validation_indices)
    first = model.history["loss"]
    assert first["validation"].notna().all()
    model.train(max_epochs=1, batch_size=32, train_size=1.0, **QUIET)
    loss = model.history["loss"]  # the second run is appended, without validation values
    assert len(loss) == len(first) + 1 and np.isnan(loss["validation"].iloc[-1])
    pd.testing.assert_frame_equal(loss.iloc[:-1], first)


def test_batch_covariate_and_sparse_and_layers(sim_mdata):
    mdata = sim_mdata
    mdata.obs["site"] = pd.Categorical(np.where(np.arange(mdata.n_obs) % 2, "a", "b"))
    mdata.mod["m0"].layers["counts"] = sp.csr_matrix(mdata.mod["m0"].X)
    mdata.mod["m0"].X = np.log1p(mdata.mod["m0"].X)
    IDMVAE.setup_mudata(
        mdata, layers={"m0": "counts"}, likelihoods={"m1": "laplace"}, batch_key="site"
    )
    model = IDMVAE(mdata, **TINY)
    assert model.registry["m0"].likelihood == "nb" and model.registry["m1"].likelihood == "laplace"
    assert model.module.n_batch == 2
    model.train(max_epochs=1, batch_size=32, **QUIET)
    assert np.isfinite(mdata.obsm["X_idmvae_shared"]).all()
    assert model.generate(3, batch="a")["m0"].shape == (3, 12)
    with pytest.raises(KeyError, match="not a category"):
        model.generate(3, batch="zzz")


def test_modality_subset_and_top_level_exports():
    mdata = ov.datasets.simulate(n_obs=60, n_features=8, seed=2)
    IDMVAE.setup_mudata(mdata, modalities=["m0", "m2"])
    model = IDMVAE(mdata, **TINY)
    model.train(max_epochs=1, batch_size=64, **QUIET)
    assert "X_idmvae_private_m1" not in mdata.obsm and "X_idmvae_private_m2" in mdata.obsm
    assert ov.IDMVAE is IDMVAE and ov.MMVAEPlus is MMVAEPlus
    assert callable(ov.datasets.simulate) and hasattr(ov, "tl") and hasattr(ov, "pl")


def test_single_modality_is_valid_and_warns():
    mdata = ov.datasets.simulate(n_obs=40, noise=["normal"], n_features=5)
    with pytest.warns(UserWarning, match="shared/private split is undefined"):
        IDMVAE.setup_mudata(mdata)
    model = IDMVAE(mdata, **TINY)
    model.train(max_epochs=1, batch_size=20, **QUIET)
    assert mdata.obsm["X_idmvae_shared"].shape == (40, 4)
    assert "cross_mi" in model.history


def test_standardize_inputs_fits_on_the_training_split_and_survives_save_load(sim_mdata, tmp_path):
    IDMVAE.setup_mudata(sim_mdata)
    model = IDMVAE(sim_mdata, standardize_inputs=True, **TINY)
    model.train(max_epochs=1, batch_size=32, train_size=0.8, **QUIET)
    m1 = sim_mdata.mod["m1"]
    train_names = sim_mdata.obs_names[model.train_indices]
    observed = m1[m1.obs_names.isin(train_names)].X
    np.testing.assert_allclose(
        model.module.input_loc_1.numpy(), observed.mean(0), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(
        model.module.input_scale_1.numpy(), observed.std(0), rtol=1e-3, atol=1e-5
    )
    model.save(tmp_path / "std")
    loaded = IDMVAE.load(tmp_path / "std", sim_mdata)
    np.testing.assert_array_equal(
        loaded.module.input_loc_1.numpy(), model.module.input_loc_1.numpy()
    )
    np.testing.assert_array_equal(
        loaded.get_latent_representation(), model.get_latent_representation()
    )


def test_presets_defaults_and_overrides(sim_mdata):
    IDMVAE.setup_mudata(sim_mdata)
    default = IDMVAE(sim_mdata).hyperparameters
    paper = IDMVAE(sim_mdata, preset="paper_tcga").hyperparameters
    assert default["standardize_inputs"] and not paper["standardize_inputs"]
    assert (default["encoder_hidden"], default["decoder_hidden"]) == ((256, 128), (128, 256))
    assert (paper["encoder_hidden"], paper["decoder_hidden"]) == ((128, 64), (64, 128))
    assert (default["diffusion_hidden"], paper["diffusion_hidden"]) == (128, 512)
    assert (default["separate_towers"], paper["separate_towers"]) == (True, False)
    assert (default["independence_weight"], paper["independence_weight"]) == (100.0, 0.0)
    assert (default["private_reconstruction_weight"], paper["private_reconstruction_weight"]) == (
        1,
        0,
    )
    changed = {
        "standardize_inputs",
        "encoder_hidden",
        "decoder_hidden",
        "diffusion_hidden",
        "separate_towers",
        "independence_weight",
        "private_reconstruction_weight",
    }
    assert {k: v for k, v in default.items() if k not in changed} == {
        k: v for k, v in paper.items() if k not in changed
    }
    assert (
        paper["n_shared"],
        paper["n_private"],
        paper["cross_mi_weight"],
        paper["gen_aug_weight"],
    ) == (16, 32, 10.0, 1e-3)
    assert (paper["diffusion_weight"], paper["beta"], paper["encoder_hidden"]) == (
        0.1,
        2.5,
        (128, 64),
    )
    images = IDMVAE(sim_mdata, preset="paper_polymnist", n_private=8).hyperparameters
    assert (
        images["cross_mi_weight"] == 80.0 and images["n_shared"] == 32 and images["n_private"] == 8
    )
    assert images["diffusion_hidden"] == 512


def test_user_loggers_receive_the_metrics_too(sim_mdata, tmp_path):
    from lightning.pytorch.loggers import CSVLogger

    IDMVAE.setup_mudata(sim_mdata)
    model = IDMVAE(sim_mdata, **TINY)
    model.train(max_epochs=2, batch_size=64, logger=CSVLogger(tmp_path), **QUIET)
    metrics = pd.read_csv(next(tmp_path.rglob("metrics.csv")))
    assert "train_loss" in metrics and metrics["train_loss"].notna().sum() == 2
    assert len(model.history["loss"]) == 2  # the in-memory history is kept alongside


UNTRAINED_CALLS = {
    "get_latent_representation": lambda m: m.get_latent_representation(),
    "write_embeddings": lambda m: m.write_embeddings(),
    "impute": lambda m: m.impute(source="m1", target="m0"),
    "generate": lambda m: m.generate(3),
    "decode": lambda m: m.decode(np.zeros((2, 4)), np.zeros((2, 3)), "m0"),
    "get_reconstruction_error": lambda m: m.get_reconstruction_error(),
}


def test_an_untrained_model_refuses_until_trained_and_load_keeps_the_state(tmp_path):
    mdata = ov.datasets.simulate(n_obs=40, n_features=6, seed=2)
    IDMVAE.setup_mudata(mdata)
    untrained = IDMVAE(mdata, **TINY)
    untrained.save(tmp_path / "untrained")
    reloaded = IDMVAE.load(tmp_path / "untrained", mdata)
    assert not reloaded.is_trained
    before = snapshot_mudata(mdata)
    for model in (untrained, reloaded):
        for method, call in UNTRAINED_CALLS.items():
            with pytest.raises(
                RuntimeError,
                match=rf"IDMVAE\.{method}: this IDMVAE is not trained.*call model\.train\(\) first",
            ):
                call(model)
    assert_mudata_unchanged(mdata, before)  # nothing written from random weights
    mmvae = MMVAEPlus(mdata, **TINY)
    with pytest.raises(RuntimeError, match="this MMVAEPlus is not trained"):
        mmvae.get_latent_representation()

    model = IDMVAE(mdata, **TINY)
    model.train(max_epochs=1, batch_size=40, **QUIET)  # writes the embeddings as it finishes
    assert model.is_trained and "X_idmvae_shared" in mdata.obsm
    model.save(tmp_path / "trained")
    loaded = IDMVAE.load(tmp_path / "trained", mdata)
    assert loaded.is_trained
    for call in UNTRAINED_CALLS.values():
        call(loaded)


def test_recorded_settings_round_trip_through_h5mu_with_none_kept(sim_mdata, tmp_path):
    import mudata as md

    IDMVAE.setup_mudata(sim_mdata)
    model = IDMVAE(sim_mdata, **TINY)
    model.train(max_epochs=1, **QUIET)
    path = tmp_path / "trained.h5mu"
    sim_mdata.write_h5mu(path)
    recorded = md.read_h5mu(path).uns["idmvae"]["IDMVAE"]["hyperparameters"]
    assert recorded["likelihood_scale"] is None
    assert recorded["n_shared"] == TINY["n_shared"]


@pytest.mark.parametrize("n_obs", [2, 5])
def test_training_on_a_handful_of_samples_warns(n_obs):
    mdata = ov.datasets.simulate(n_obs=n_obs, n_features=6, seed=0)
    IDMVAE.setup_mudata(mdata)
    model = IDMVAE(mdata, **TINY)
    with pytest.warns(UserWarning, match=f"training on {n_obs} samples: too few"):
        model.train(max_epochs=1, train_size=1.0, **QUIET)


@pytest.mark.parametrize("preset", ["paper_tcga", "paper_polymnist"])
def test_mmvaeplus_of_a_preset_is_that_presets_ablation(sim_mdata, preset):
    from omicvae.model._params import PRESETS

    MMVAEPlus.setup_mudata(sim_mdata)
    model = MMVAEPlus(sim_mdata, preset=preset)
    for key, value in PRESETS[preset].items():
        if key in MMVAEPlus._fixed:
            assert model.hyperparameters[key] == MMVAEPlus._fixed[key]
        else:
            assert model.hyperparameters[key] == value


def test_split_indices_exist_before_training_and_survive_save_load(sim_mdata, tmp_path):
    IDMVAE.setup_mudata(sim_mdata)
    model = IDMVAE(sim_mdata, **TINY)
    assert model.train_indices is None and model.validation_indices is None
    model.save(tmp_path / "untrained")
    assert IDMVAE.load(tmp_path / "untrained", sim_mdata).train_indices is None
    model.train(max_epochs=1, batch_size=32, train_size=0.75, **QUIET)
    model.save(tmp_path / "trained")
    loaded = IDMVAE.load(tmp_path / "trained", sim_mdata)
    np.testing.assert_array_equal(loaded.train_indices, model.train_indices)
    np.testing.assert_array_equal(loaded.validation_indices, model.validation_indices)
    assert len(loaded.train_indices) + len(loaded.validation_indices) == sim_mdata.n_obs
