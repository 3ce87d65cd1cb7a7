"""Bad input to setup_registry / build_tensors: a clear error, and the user's MuData unchanged.

Every case builds a fresh MuData, snapshots it, expects an exception whose message names the
modality or field and what was expected, and then checks that nothing in the MuData changed.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from omicvae.data import DataRegistry, build_tensors, setup_registry

from ._mudata import (
    assert_mudata_unchanged,
    make_mudata,
    snapshot_mudata,
    toy_modality,
)

SAMPLES = [f"s{i}" for i in range(6)]


def counts(n_obs=6, n_vars=4, seed=0):
    return np.random.default_rng(seed).poisson(3.0, size=(n_obs, n_vars)).astype(np.float64)


def base_mods():
    """Two valid modalities over the same six samples: rna (counts) and prot (continuous)."""
    rng = np.random.default_rng(1)
    return {
        "rna": toy_modality(counts(), SAMPLES, "g", layers={"counts": counts(seed=2)}),
        "prot": toy_modality(rng.normal(size=(6, 3)), SAMPLES, "p"),
    }


def with_mod(name, adata, **obs):
    """The base MuData with modality ``name`` replaced (or added)."""
    mods = base_mods()
    mods[name] = adata
    return make_mudata(mods, obs=obs or None)


def with_values(name, values, **kwargs):
    return with_mod(name, toy_modality(values, SAMPLES[: values.shape[0]], name[0], **kwargs))


def with_cell(values, i, j, value):
    values = values.copy()
    values[i, j] = value
    return values


def image_values():
    return np.random.default_rng(3).random((6, 12))


def stale_mudata():
    mdata = make_mudata(base_mods())
    mdata.mod["prot"].obs_names = ["s0", "s1", "x2", "x3", "s4", "s5"]  # global obs not updated
    return mdata


def duplicated_modality_obs():
    mdata = make_mudata(base_mods())
    mdata.mod["prot"].obs_names = ["s0", "s0", "s2", "s3", "s4", "s5"]
    return mdata


def duplicated_global_obs():
    mods = base_mods()
    mods["rna"] = toy_modality(counts(), ["s0", "s0", "s2", "s3", "s4", "s5"], "g")
    return make_mudata(mods)


def orphan_samples():
    mods = base_mods()
    extra = [f"t{i}" for i in range(7)]
    mods["prot"] = toy_modality(np.ones((13, 3)), SAMPLES + extra, "p")
    return make_mudata(mods)


def renamed_prot(n_renamed=6):
    """The base MuData with the first ``n_renamed`` prot samples renamed (p_s0, ...)."""
    mods = base_mods()
    names = [f"p_{s}" if i < n_renamed else s for i, s in enumerate(SAMPLES)]
    mods["prot"].obs_names = names
    return make_mudata(mods)


def text_layer():
    mods = base_mods()
    mods["rna"].layers["text"] = np.full((6, 4), "a", dtype=object)
    return make_mudata(mods)


def no_x():
    adata = toy_modality(np.ones((6, 2)), SAMPLES, "a")
    adata.X = None
    return with_mod("atac", adata)


# (id, MuData builder, setup kwargs, exception, message regex)
SETUP_CASES = [
    ("anndata_not_mudata", lambda: base_mods()["rna"], {}, TypeError, r"mudata\.MuData.*AnnData"),
    ("dict_not_mudata", base_mods, {}, TypeError, r"must be a mudata\.MuData, got dict"),
    (
        "nan_dense",
        lambda: with_values("prot", with_cell(np.ones((6, 3)) * 0.5, 2, 1, np.nan)),
        {},
        ValueError,
        r"modality 'prot': found 1 NaN values in \.X",
    ),
    (
        "inf_dense",
        lambda: with_values("prot", with_cell(np.ones((6, 3)) * 0.5, 0, 0, -np.inf)),
        {},
        ValueError,
        r"modality 'prot': found 1 infinite values in \.X",
    ),
    (
        "nan_sparse",
        lambda: with_values("prot", sp.csr_matrix(with_cell(np.eye(6, 3) * 2.5, 4, 2, np.nan))),
        {},
        ValueError,
        r"modality 'prot': found 1 NaN values",
    ),
    (
        "all_nan",
        lambda: with_values("prot", np.full((6, 3), np.nan)),
        {},
        ValueError,
        r"modality 'prot': all values are NaN",
    ),
    (
        "nb_negative_in_layer",
        lambda: with_mod(
            "rna",
            toy_modality(counts(), SAMPLES, "g", layers={"counts": -counts(seed=5) - 1}),
        ),
        {"layers": {"rna": "counts"}, "likelihoods": {"rna": "nb"}},
        ValueError,
        r"modality 'rna': likelihood 'nb' needs non-negative integer counts, found 24 negative "
        r"values in layer 'counts'",
    ),
    (
        "nb_non_integer",
        lambda: with_values("rna", with_cell(counts(), 1, 1, 2.5)),
        {"likelihoods": {"rna": "nb"}},
        ValueError,
        r"modality 'rna': likelihood 'nb' needs non-negative integer counts, found 1 "
        r"non-integer values in \.X \(e\.g\. 2\.5\)",
    ),
    (
        "zinb_non_integer",
        lambda: with_values("rna", counts() + 0.25),
        {"likelihoods": {"rna": "zinb"}},
        ValueError,
        r"modality 'rna': likelihood 'zinb' needs non-negative integer counts, found 24 non-integer",
    ),
    (
        "nb_sparse_negative",
        lambda: with_values("rna", sp.csr_matrix(with_cell(counts(), 0, 0, -3))),
        {"likelihoods": {"rna": "nb"}},
        ValueError,
        r"modality 'rna': likelihood 'nb' .* 1 negative values .*min -3",
    ),
    (
        "nb_all_zero_counts",
        lambda: with_values("rna", np.zeros((6, 4))),
        {"likelihoods": {"rna": "nb"}},
        ValueError,
        r"modality 'rna': likelihood 'nb' needs counts, but every sample has a total of 0",
    ),
    (
        "bernoulli_non_binary",
        lambda: with_values("mut", with_cell(np.zeros((6, 5)), 3, 3, 2.0)),
        {"likelihoods": {"mut": "bernoulli"}},
        ValueError,
        r"modality 'mut': likelihood 'bernoulli' needs values in \{0, 1\}, found 1 other values",
    ),
    (
        "image_outside_unit",
        lambda: with_values(
            "img", with_cell(image_values(), 0, 0, 1.5), uns={"image_shape": (3, 2, 2)}
        ),
        {},
        ValueError,
        r"modality 'img': likelihood 'image' needs pixel values in \[0, 1\], found 1 values outside",
    ),
    (
        "image_without_shape",
        lambda: with_values("img", image_values()),
        {"likelihoods": {"img": "image"}},
        ValueError,
        r"modality 'img': likelihood 'image' needs mdata\.mod\['img'\]\.uns\['image_shape'\]",
    ),
    (
        "image_shape_two_entries",
        lambda: with_values("img", image_values(), uns={"image_shape": (3, 4)}),
        {},
        ValueError,
        r"modality 'img': .*image_shape'\] must be three positive integers \(C, H, W\)",
    ),
    (
        "image_shape_not_integers",
        lambda: with_values("img", image_values(), uns={"image_shape": (3, 2.5, 1.6)}),
        {},
        ValueError,
        r"modality 'img': .*must be three positive integers",
    ),
    (
        "image_shape_string",
        lambda: with_values("img", image_values(), uns={"image_shape": "3x2x2"}),
        {},
        ValueError,
        r"modality 'img': .*must be three positive integers",
    ),
    (
        "image_shape_product_mismatch",
        lambda: with_values("img", image_values(), uns={"image_shape": (3, 2, 3)}),
        {},
        ValueError,
        r"modality 'img': .*\(3, 2, 3\) describes C\*H\*W = 18 pixels, but the modality has 12",
    ),
    (
        "categorical_negative_token",
        lambda: with_values("txt", np.array([[0, 1, -1]] * 6)),
        {"likelihoods": {"txt": "categorical"}},
        ValueError,
        r"modality 'txt': likelihood 'categorical' needs non-negative integer token ids, "
        r"found 6 negative",
    ),
    (
        "categorical_non_integer_token",
        lambda: with_values("txt", np.array([[0.0, 1.5, 2.0]] * 6)),
        {"likelihoods": {"txt": "categorical"}},
        ValueError,
        r"modality 'txt': likelihood 'categorical' needs non-negative integer token ids, "
        r"found 6 non-integer",
    ),
    (
        "categorical_token_beyond_vocabulary",
        lambda: with_values("txt", np.array([[0, 1, 7]] * 6), uns={"n_categories": 5}),
        {"likelihoods": {"txt": "categorical"}},
        ValueError,
        r"modality 'txt': .*token ids in 0\.\.4, found token 7",
    ),
    (
        "unknown_modality",
        lambda: make_mudata(base_mods()),
        {"modalities": ["rna", "atac"]},
        KeyError,
        r"unknown modality 'atac' in modalities; mdata\.mod has \['rna', 'prot'\]",
    ),
    (
        "modalities_plain_string",
        lambda: make_mudata(base_mods()),
        {"modalities": "rna"},
        TypeError,
        r"modalities must be a list of modality names, not a string; use modalities=\['rna'\]",
    ),
    (
        "modalities_empty",
        lambda: make_mudata(base_mods()),
        {"modalities": []},
        ValueError,
        r"modalities is empty",
    ),
    (
        "modalities_duplicated",
        lambda: make_mudata(base_mods()),
        {"modalities": ["rna", "prot", "rna"]},
        ValueError,
        r"modalities lists a modality more than once",
    ),
    (
        "unknown_layer",
        lambda: make_mudata(base_mods()),
        {"layers": {"rna": "raw"}},
        KeyError,
        r"modality 'rna': unknown layer 'raw'; available layers: \['counts'\]",
    ),
    (
        "layer_not_a_string",
        lambda: make_mudata(base_mods()),
        {"layers": {"rna": 3}},
        TypeError,
        r"modality 'rna': layer must be a layer name",
    ),
    (
        "layers_not_a_dict",
        lambda: make_mudata(base_mods()),
        {"layers": ["counts"]},
        TypeError,
        r"layers must be a dict",
    ),
    (
        "layers_names_unselected_modality",
        lambda: make_mudata(base_mods()),
        {"modalities": ["prot"], "layers": {"rna": "counts"}},
        ValueError,
        r"layers names modality 'rna', which is not among the selected modalities \['prot'\]",
    ),
    (
        "layers_names_unknown_modality",
        lambda: make_mudata(base_mods()),
        {"layers": {"atac": "counts"}},
        KeyError,
        r"layers names unknown modality 'atac'",
    ),
    (
        "unknown_likelihood",
        lambda: make_mudata(base_mods()),
        {"likelihoods": {"rna": "poisson"}},
        ValueError,
        r"modality 'rna': unknown likelihood 'poisson'; expected one of \['nb', 'zinb'",
    ),
    (
        "likelihoods_names_unknown_modality",
        lambda: make_mudata(base_mods()),
        {"likelihoods": {"atac": "nb"}},
        KeyError,
        r"likelihoods names unknown modality 'atac'",
    ),
    (
        "likelihoods_names_unselected_modality",
        lambda: make_mudata(base_mods()),
        {"modalities": ["rna"], "likelihoods": {"prot": "normal"}},
        ValueError,
        r"likelihoods names modality 'prot', which is not among the selected",
    ),
    (
        "zero_features",
        lambda: with_values("atac", np.ones((6, 0))),
        {},
        ValueError,
        r"modality 'atac' has no features \(0 variables\)",
    ),
    (
        "zero_samples",
        lambda: with_mod("atac", toy_modality(np.ones((0, 3)), [], "a")),
        {},
        ValueError,
        r"modality 'atac' has no samples \(0 observations\)",
    ),
    (
        "duplicate_global_obs_names",
        duplicated_global_obs,
        {},
        ValueError,
        r"mdata\.obs_names must be unique, found 1 duplicated sample names \(e\.g\. \['s0'\]\)",
    ),
    (
        "duplicate_obs_names_in_modality",
        duplicated_modality_obs,
        {},
        ValueError,
        r"modality 'prot': obs_names must be unique, found 1 duplicated names \(e\.g\. \['s0'\]\)",
    ),
    (
        "duplicate_var_names",
        lambda: with_mod("prot", _dup_var(toy_modality(np.ones((6, 3)), SAMPLES, "p"))),
        {},
        ValueError,
        r"modality 'prot': var_names must be unique, found 1 duplicated names \(e\.g\. \['p0'\]\)",
    ),
    (
        "sample_in_no_selected_modality",
        orphan_samples,
        {"modalities": ["rna"]},
        ValueError,
        r"7 samples of mdata\.obs_names are in none of the selected modalities \['rna'\] "
        r"\(e\.g\. \['t0', 't1', 't2', 't3', 't4'\]\)",
    ),
    (
        "no_sample_in_two_modalities",
        renamed_prot,
        {},
        ValueError,
        r"no sample is in two or more of the modalities \['rna', 'prot'\] \('rna' has 6, "
        r"'prot' has 6 samples, 0 shared\).*check that the modalities name the same samples",
    ),
    (
        "stale_global_obs",
        stale_mudata,
        {},
        ValueError,
        r"modality 'prot': 2 samples are not in mdata\.obs_names \(e\.g\. \['x2', 'x3'\]\).*"
        r"call mdata\.update\(\)",
    ),
    (
        "batch_key_not_in_obs",
        lambda: make_mudata(base_mods()),
        {"batch_key": "site"},
        KeyError,
        r"batch_key 'site' is not a column of mdata\.obs",
    ),
    (
        "nan_in_batch_column",
        lambda: make_mudata(base_mods(), obs={"site": ["a", "b", None, "a", np.nan, "b"]}),
        {"batch_key": "site"},
        ValueError,
        r"batch_key 'site': mdata\.obs\['site'\] has 2 missing \(NaN\) values "
        r"\(e\.g\. samples \['s2', 's4'\]\)",
    ),
    (
        "non_numeric_layer",
        text_layer,
        {"layers": {"rna": "text"}},
        TypeError,
        r"modality 'rna': layer 'text' must hold real numbers, found dtype object",
    ),
    (
        "x_is_none",
        no_x,
        {},
        ValueError,
        r"modality 'atac': \.X is empty \(None\); pass layers=",
    ),
]


def _dup_var(adata):
    adata.var_names = ["p0", "p1", "p0"]
    return adata


@pytest.mark.parametrize(
    ("build", "kwargs", "error", "match"),
    [pytest.param(*case[1:], id=case[0]) for case in SETUP_CASES],
)
def test_setup_registry_rejects(build, kwargs, error, match):
    with warnings.catch_warnings():  # anndata/mudata warn about the duplicated names we build
        warnings.simplefilter("ignore", UserWarning)
        mdata = build()
    snap = snapshot_mudata(mdata) if hasattr(mdata, "mod") else None
    with pytest.raises(error, match=match):
        setup_registry(mdata, **kwargs)
    if snap is not None:
        assert_mudata_unchanged(mdata, snap)


def test_mostly_unpaired_modality_warns_at_the_callers_line():
    from omicvae import IDMVAE

    mdata = renamed_prot(n_renamed=4)  # prot: 2 of its 6 samples also in rna; rna: 2 of 6
    snap = snapshot_mudata(mdata)
    with pytest.warns(UserWarning) as record:
        IDMVAE.setup_mudata(mdata)
    messages = [str(w.message) for w in record]
    assert messages == [
        f"modality {name!r}: only 2 of its 6 samples are also in another modality ('rna' has 6, "
        "'prot' has 6 samples, 2 shared by two or more); check that the modalities name the "
        "same samples alike (their obs_names)"
        for name in ("rna", "prot")
    ]
    assert all(w.filename == __file__ for w in record)  # re-issued by setup_mudata
    assert_mudata_unchanged(mdata, snap)


def test_pairing_warns_only_for_the_unpaired_modality_and_accepts_half():
    mods = base_mods()
    mods["atac"] = toy_modality(np.ones((4, 2)), ["x0", "x1", "x2", "s0"], "a")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        setup_registry(make_mudata(mods))
        setup_registry(renamed_prot(n_renamed=3))  # exactly half of each modality paired: fine
    ours = [str(w.message) for w in caught if "another modality" in str(w.message)]
    assert len(ours) == 1 and ours[0].startswith("modality 'atac': only 1 of its 4 samples")
    assert "6 shared by two or more" in ours[0]


def test_error_cases_are_many_and_distinct():
    ids = [case[0] for case in SETUP_CASES]
    assert len(ids) == len(set(ids)) >= 25


# --------------------------------------------------------------------------------------------------
# build_tensors on new data that does not fit the registry


@pytest.fixture
def data_registry():
    """Registry of the base MuData: rna (nb, layer counts), prot (normal), batch 'site'."""
    mdata = make_mudata(base_mods(), obs={"site": ["a", "b"] * 3})
    return setup_registry(mdata, layers={"rna": "counts"}, batch_key="site")


def new_with_renamed_rna_features():
    mods = base_mods()
    mods["rna"].var_names = ["g0", "g1", "BAD", "g3"]
    return make_mudata(mods, obs={"site": ["a"] * 6})


def new_with_fewer_rna_features():
    mods = base_mods()
    mods["rna"] = mods["rna"][:, :3].copy()
    return make_mudata(mods, obs={"site": ["a"] * 6})


def new_without_prot():
    return make_mudata({"rna": base_mods()["rna"]}, obs={"site": ["a"] * 6})


def new_with_negative_counts():
    mods = base_mods()
    mods["rna"].layers["counts"] = -mods["rna"].layers["counts"] - 1
    return make_mudata(mods, obs={"site": ["a"] * 6})


TENSOR_CASES = [
    (
        "features_mismatch",
        new_with_renamed_rna_features,
        {},
        ValueError,
        r"modality 'rna': features differ from those the model was set up with \(expected 4 "
        r"features starting \['g2', 'g3'\], found 4 features starting \['BAD', 'g3'\] at position 2\)",
    ),
    (
        "feature_count_mismatch_unchecked_names",
        new_with_fewer_rna_features,
        {"check_features": False},
        ValueError,
        r"modality 'rna': features differ .*expected 4 features.*found 3 features",
    ),
    (
        "modality_missing",
        new_without_prot,
        {},
        KeyError,
        r"modality 'prot', which the model was set up with, is missing from mdata\.mod "
        r"\(found \['rna'\]\)",
    ),
    (
        "new_data_negative_counts",
        new_with_negative_counts,
        {},
        ValueError,
        r"modality 'rna': likelihood 'nb' needs non-negative integer counts, found 24 negative "
        r"values in layer 'counts'",
    ),
    (
        "unknown_batch_category",
        lambda: make_mudata(base_mods(), obs={"site": ["a", "c"] * 3}),
        {},
        ValueError,
        r"batch_key 'site': batches \['c'\] were not seen when the model was set up",
    ),
    (
        "batch_column_missing",
        lambda: make_mudata(base_mods()),
        {},
        KeyError,
        r"batch_key 'site' is not a column of mdata\.obs",
    ),
    (
        "new_data_not_mudata",
        lambda: base_mods()["rna"],
        {},
        TypeError,
        r"mdata must be a mudata\.MuData",
    ),
]


@pytest.mark.parametrize(
    ("build", "kwargs", "error", "match"),
    [pytest.param(*case[1:], id=case[0]) for case in TENSOR_CASES],
)
def test_build_tensors_rejects(data_registry, build, kwargs, error, match):
    mdata = build()
    snap = snapshot_mudata(mdata) if hasattr(mdata, "mod") else None
    with pytest.raises(error, match=match):
        build_tensors(mdata, data_registry, **kwargs)
    if snap is not None:
        assert_mudata_unchanged(mdata, snap)


def test_build_tensors_accepts_fitting_new_data(data_registry):
    mdata = make_mudata(base_mods(), obs={"site": pd.Categorical(["b"] * 6)})
    snap = snapshot_mudata(mdata)
    tensors = build_tensors(mdata, data_registry)
    assert tensors.batch_index.tolist() == [1] * 6
    assert_mudata_unchanged(mdata, snap)


def test_registry_from_bad_dict():
    with pytest.raises(TypeError, match="data registry must be a dict"):
        DataRegistry.from_dict(["not", "a", "dict"])
    with pytest.raises(KeyError, match=r"missing the fields \['batch_key'\]"):
        DataRegistry.from_dict({"modalities": [], "batch_categories": []})


def test_unchanged_helper_detects_changes():
    """The helper every test relies on must itself be able to fail."""
    mdata = make_mudata(base_mods())
    snap = snapshot_mudata(mdata)
    mdata.mod["prot"].X[0, 0] += 1.0
    with pytest.raises(AssertionError, match=r"mdata\.mod\['prot'\]\.X changed"):
        assert_mudata_unchanged(mdata, snap)
    mdata = make_mudata(base_mods())
    snap = snapshot_mudata(mdata)
    mdata.mod["rna"].uns["image_shape"] = (1, 2, 2)
    mdata.obs["new"] = 1
    with pytest.raises(AssertionError, match=r"mdata\.obs changed.*uns changed"):
        assert_mudata_unchanged(mdata, snap)
