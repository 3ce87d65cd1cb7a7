"""The setup registry lives in ``mdata.uns["omicvae_setup"]``: it survives copies, subsets and .h5mu files."""

import mudata as md
import numpy as np
import pandas as pd
import pytest

import omicvae.data._registry as registry_module
import omicvae.data._validate as validate_module
from omicvae import IDMVAE, MMVAEPlus
from omicvae.data import SETUP_UNS_KEY, build_tensors, read_setup, setup_registry

from ._mudata import (
    assert_mudata_unchanged,
    make_mudata,
    snapshot_mudata,
    toy_modality,
)
from .conftest import QUIET, TINY


def setup_uns_mudata(seed=0):
    """counts (layer 'counts', X = log), a continuous modality, an image and a categorical one."""
    rng = np.random.default_rng(seed)
    names = [f"s{i}" for i in range(30)]
    counts = rng.poisson(3.0, size=(30, 5)).astype(np.float32)
    rna = toy_modality(np.log1p(counts), names, "g", layers={"counts": counts})
    prot = toy_modality(rng.normal(size=(24, 4)), names[6:], "p")
    img = toy_modality(rng.random((20, 12)), names[:20], "px", uns={"image_shape": [3, 2, 2]})
    tok = toy_modality(rng.integers(0, 5, size=(25, 3)).astype(float), names[5:], "t")
    batch = pd.Categorical(["b", "a", "c"] * 10, categories=["c", "b", "a"])
    return make_mudata({"rna": rna, "prot": prot, "img": img, "tok": tok}, obs={"batch": batch})


def setup_uns_kwargs():
    return dict(
        layers={"rna": "counts"},
        likelihoods={"rna": "nb", "tok": "categorical"},
        batch_key="batch",
    )


def test_setup_writes_one_documented_uns_key_and_nothing_else():
    mdata = setup_uns_mudata()
    before = snapshot_mudata(mdata)
    IDMVAE.setup_mudata(mdata, **setup_uns_kwargs())
    assert SETUP_UNS_KEY == "omicvae_setup" and SETUP_UNS_KEY in mdata.uns
    assert_mudata_unchanged(mdata, before)  # only the setup key may differ
    with pytest.raises(AssertionError, match="mdata.uns changed"):
        assert_mudata_unchanged(mdata, before, allowed_uns=())
    record = mdata.uns[SETUP_UNS_KEY]
    assert list(record["modality_order"]) == ["rna", "prot", "img", "tok"]
    assert record["modalities"]["rna"]["layer"] == "counts"
    assert record["modalities"]["tok"]["n_categories"] == 5
    assert record["batch_categories"] == ["c", "b", "a"]
    # the recorded registry is the one setup_registry builds
    expected = setup_registry(mdata, **setup_uns_kwargs())
    assert read_setup(mdata) == expected


def test_registry_survives_copy_and_subset():
    mdata = setup_uns_mudata()
    IDMVAE.setup_mudata(mdata, **setup_uns_kwargs())
    expected = read_setup(mdata)
    copied = mdata.copy()
    assert read_setup(copied) == expected
    assert read_setup(copied).modality_names() == ("rna", "prot", "img", "tok")
    # a subset of samples keeps the setup too, and its tensors build against it
    with md.set_options(pull_on_update=False):
        subset = mdata[mdata.obs_names[:15]].copy()
    tensors = build_tensors(subset, read_setup(subset))
    assert tensors.n_obs == 15
    assert tensors.batch_index.tolist() == [1, 2, 0] * 5  # codes of the recorded categories


def test_registry_survives_h5mu_round_trip(tmp_path):
    mdata = setup_uns_mudata()
    IDMVAE.setup_mudata(mdata, **setup_uns_kwargs())
    expected = read_setup(mdata)
    path = tmp_path / "data.h5mu"
    mdata.write(path)
    back = md.read_h5mu(path)
    got = read_setup(back)
    assert got == expected
    img, tok, rna = got["img"], got["tok"], got["rna"]
    assert img.image_shape == (3, 2, 2) and isinstance(img.image_shape[0], int)
    assert tok.n_categories == 5 and rna.layer == "counts" and got["prot"].layer is None
    assert rna.library_log_mean == pytest.approx(expected["rna"].library_log_mean)
    assert got.batch_categories == ("c", "b", "a")
    # no batch key: the empty category list comes back as an empty tuple
    plain = setup_uns_mudata()
    IDMVAE.setup_mudata(plain, modalities=["rna", "prot"], layers={"rna": "counts"})
    plain.write(tmp_path / "plain.h5mu")
    plain_back = md.read_h5mu(tmp_path / "plain.h5mu")
    again = read_setup(plain_back)
    assert again.batch_key is None and again.batch_categories == ()
    assert again.modality_names() == ("rna", "prot")
    model = MMVAEPlus(plain_back, **TINY)  # a model is built from the re-read file alone
    assert model.registry == read_setup(plain)


def test_copy_trains_like_the_original():
    mdata = setup_uns_mudata()
    IDMVAE.setup_mudata(mdata, modalities=["rna", "prot"], layers={"rna": "counts"})
    copied = mdata.copy()
    model = IDMVAE(copied, **TINY)
    model.train(max_epochs=1, batch_size=16, **QUIET)
    assert np.isfinite(copied.obsm["X_idmvae_shared"]).all()
    assert "X_idmvae_shared" not in mdata.obsm  # the original is not the one trained on


def test_not_set_up_and_unreadable_records_are_refused():
    mdata = setup_uns_mudata()
    with pytest.raises(ValueError, match=r"not been set up .*omicvae_setup.*IDMVAE.setup_mudata"):
        IDMVAE(mdata)
    with pytest.raises(ValueError, match=r"MMVAEPlus.setup_mudata"):
        MMVAEPlus(mdata)
    IDMVAE.setup_mudata(mdata, modalities=["rna", "prot"])
    del mdata.uns[SETUP_UNS_KEY]["modalities"]["prot"]
    with pytest.raises(
        ValueError, match=r"cannot be read.*'prot'.*setup_mudata\(mdata, \.\.\.\) again"
    ):
        IDMVAE(mdata)


def test_features_changed_after_setup_are_refused():
    mdata = setup_uns_mudata()
    IDMVAE.setup_mudata(mdata, modalities=["rna", "prot"])
    keep = list(mdata.mod["rna"].var_names[:3]) + list(mdata.mod["prot"].var_names)
    with md.set_options(pull_on_update=False):
        fewer = mdata[:, keep].copy()
    model = IDMVAE(fewer, **TINY)
    with pytest.raises(ValueError, match="modality 'rna': features differ"):
        model.train(max_epochs=1, **QUIET)


def test_values_are_scanned_once_between_setup_and_training(monkeypatch):
    calls = []
    original = validate_module.summarize_values

    def counting(matrix):
        calls.append(id(matrix))
        return original(matrix)

    monkeypatch.setattr(registry_module, "summarize_values", counting)
    monkeypatch.setattr(validate_module, "summarize_values", counting)
    mdata = setup_uns_mudata()
    IDMVAE.setup_mudata(mdata, modalities=["rna", "prot"], layers={"rna": "counts"})
    assert len(calls) == 2  # one scan per modality at setup
    build_tensors(mdata, read_setup(mdata))
    assert len(calls) == 2  # the same matrices: not scanned again
    copied = mdata.copy()
    build_tensors(copied, read_setup(copied))
    assert len(calls) == 4  # a copy holds other matrices: checked once each


def test_checked_matrices_are_still_checked_for_another_likelihood():
    mdata = setup_uns_mudata()
    mdata.mod["prot"].X = np.abs(mdata.mod["prot"].X) + 0.5  # positive, not integer
    IDMVAE.setup_mudata(mdata, modalities=["rna", "prot"])
    registry = read_setup(mdata)
    record = mdata.uns[SETUP_UNS_KEY]
    record["modalities"]["prot"]["likelihood"] = "nb"  # as if set up for counts
    with pytest.raises(ValueError, match="modality 'prot'"):
        build_tensors(mdata, read_setup(mdata))
    build_tensors(mdata, registry)  # the registry it was checked for still passes


def test_setting_up_a_view_leaves_its_parent_alone():
    mdata = setup_uns_mudata()
    before = snapshot_mudata(mdata)
    with md.set_options(pull_on_update=False):
        view = mdata[mdata.obs_names[:20]]
    with pytest.warns(UserWarning, match="view"):  # anndata's ImplicitModificationWarning
        IDMVAE.setup_mudata(view, modalities=["rna", "prot"], layers={"rna": "counts"})
    assert SETUP_UNS_KEY in view.uns and not view.is_view
    assert_mudata_unchanged(mdata, before, allowed_uns=())
    assert read_setup(view).modality_names() == ("rna", "prot")
