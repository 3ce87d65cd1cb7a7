"""On data whose modalities are all images, IDMVAE starts from the ``images`` preset."""

import logging
import sys
from pathlib import Path

import numpy as np

import omicvae as ov
from omicvae._config import DEFAULT_CONFIG, PRESETS

from ._mudata import make_mudata, toy_modality

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _images(n_views=2, with_table=False):
    rng = np.random.default_rng(0)
    names = [f"s{i}" for i in range(12)]
    mods = {
        f"v{k}": toy_modality(
            rng.random((12, 3 * 32 * 32)).astype(np.float32),
            names,
            f"v{k}_px",
            uns={"image_shape": (3, 32, 32)},
        )
        for k in range(n_views)
    }
    if with_table:
        mods["prot"] = toy_modality(rng.normal(size=(12, 5)).astype(np.float32), names, "p")
    mdata = make_mudata(mods)
    ov.IDMVAE.setup_mudata(mdata)
    return mdata


def test_image_only_data_get_the_images_preset(caplog):
    mdata = _images()
    ov.logger.addHandler(caplog.handler)  # the omicvae logger does not propagate to the root
    try:
        with caplog.at_level(logging.INFO, logger="omicvae"):
            model = ov.IDMVAE(mdata)
    finally:
        ov.logger.removeHandler(caplog.handler)
    assert model.hyperparameters == PRESETS["images"].to_flat()
    assert "starting from preset='images'" in caplog.text
    assert {lik.family for lik in model.module.likelihoods} == {"bernoulli"}


def test_images_preset_is_the_measured_polymnist_configuration():
    """The PolyMNIST row it stands for: paper_polymnist + Bernoulli + private reconstruction."""
    sys.path.insert(0, str(BENCH))
    import polymnist

    measured = polymnist.VARIANTS["IDMVAE, Bernoulli pixels + private reconstruction"]
    base = PRESETS[polymnist.PRESET]
    assert base.replace(**measured) == PRESETS["images"]
    assert PRESETS["images"].loss.independence_weight == 0.0


def test_explicit_settings_and_presets_still_win():
    mdata = _images()
    model = ov.IDMVAE(mdata, n_shared=4, image_family="laplace")
    expected = PRESETS["images"].replace(n_shared=4, image_family="laplace").to_flat()
    assert model.hyperparameters == expected
    paper = ov.IDMVAE(mdata, preset="paper_polymnist").hyperparameters
    assert paper == PRESETS["paper_polymnist"].to_flat()
    assert paper["image_family"] == "laplace" and paper["private_reconstruction_weight"] == 0


def test_mmvaeplus_on_images_is_the_ablation_of_the_images_preset():
    fixed = ov.MMVAEPlus(_images()).hyperparameters
    expected = PRESETS["images"].replace(**ov.MMVAEPlus._fixed).to_flat()
    assert fixed == expected


def test_images_with_a_table_keep_the_package_defaults():
    model = ov.IDMVAE(_images(with_table=True))
    assert model.hyperparameters == DEFAULT_CONFIG.to_flat()
