"""Behaviour of the data registry, tensors and dataset on valid input."""

import json
import logging
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from torch.utils.data import DataLoader

from omicvae.data import (
    DataRegistry,
    MultiModalDataset,
    build_tensors,
    collate_batch,
    csr_rows_to_dense,
    setup_registry,
)

from ._mudata import (
    assert_mudata_unchanged,
    make_mudata,
    snapshot_mudata,
    toy_modality,
)


def names(prefix, idx):
    return [f"{prefix}{i}" for i in idx]


def data_mudata(sparse_prot=False, seed=0):
    """rna (counts, layer 'counts', X = log), prot (continuous), img (image) with missingness.

    Global order: s0..s9. rna has s0..s6, prot has s3..s9 in shuffled order, img has s0, s2, s9.
    """
    rng = np.random.default_rng(seed)
    counts = rng.poisson(4.0, size=(7, 6)).astype(np.float32)
    rna = toy_modality(np.log1p(counts), names("s", range(7)), "g", layers={"counts": counts})
    prot_x = rng.normal(size=(7, 4))
    prot_x[:, 2] = 0.0
    prot = toy_modality(
        sp.csr_matrix(prot_x) if sparse_prot else prot_x, names("s", [9, 3, 8, 4, 7, 5, 6]), "p"
    )
    img = toy_modality(
        rng.random((3, 12)), names("s", [0, 2, 9]), "px", uns={"image_shape": (3, 2, 2)}
    )
    batch = pd.Categorical(["b", "a"] * 5, categories=["c", "b", "a"])
    return make_mudata({"rna": rna, "prot": prot, "img": img}, obs={"batch": batch})


def data_setup(mdata, **kwargs):
    kwargs.setdefault("layers", {"rna": "counts"})
    return setup_registry(mdata, **kwargs)


@pytest.fixture
def data_caplog(caplog):
    """caplog attached to the omicvae logger (which does not propagate to the root logger)."""
    logger = logging.getLogger("omicvae")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="omicvae")
    yield caplog
    logger.removeHandler(caplog.handler)


# --------------------------------------------------------------------------------------------------
# registry


def test_registry_fields_and_mudata_unchanged():
    mdata = data_mudata()
    snap = snapshot_mudata(mdata)
    reg = data_setup(mdata, batch_key="batch")
    tensors = build_tensors(mdata, reg)
    assert_mudata_unchanged(mdata, snap)

    assert reg.modality_names() == ("rna", "prot", "img")
    rna, prot, img = reg.modalities
    assert (rna.layer, rna.likelihood, rna.n_features) == ("counts", "nb", 6)
    assert rna.var_names == tuple(names("g", range(6)))
    assert (prot.layer, prot.likelihood, prot.library_log_mean) == (None, "normal", None)
    assert img.likelihood == "image" and img.image_shape == (3, 2, 2)
    assert all(spec.likelihood_inferred for spec in reg.modalities)
    assert reg.batch_key == "batch"
    # declared category order, unused category 'c' dropped
    assert reg.batch_categories == ("b", "a")
    assert reg["prot"] is prot
    assert "img" in reg and "atac" not in reg
    assert tensors.n_obs == mdata.n_obs


def test_registry_round_trip_through_json():
    reg = data_setup(data_mudata(), batch_key="batch")
    text = json.dumps(reg.to_dict())
    back = DataRegistry.from_dict(json.loads(text))
    assert back == reg
    assert isinstance(back.modalities[2].image_shape, tuple)
    assert isinstance(back.modalities[0].var_names, tuple)


def test_registry_getitem_unknown_names_known_modalities():
    reg = data_setup(data_mudata())
    with pytest.raises(KeyError, match=r"'atac'.*\['rna', 'prot', 'img'\]"):
        reg["atac"]


def test_from_dict_missing_field():
    d = data_setup(data_mudata()).to_dict()
    del d["modalities"][0]["likelihood"]
    with pytest.raises(KeyError, match="likelihood"):
        DataRegistry.from_dict(d)


def test_library_log_stats():
    mdata = data_mudata()
    reg = data_setup(mdata)
    logs = np.log(mdata.mod["rna"].layers["counts"].sum(axis=1))
    assert reg["rna"].library_log_mean == pytest.approx(logs.mean(), rel=1e-6)
    assert reg["rna"].library_log_std == pytest.approx(logs.std(), rel=1e-6)


@pytest.mark.parametrize(
    ("values", "uns", "expected", "reason"),
    [
        (np.array([[0, 3], [5, 1]], dtype=np.int64), {}, "nb", "non-negative integer counts"),
        (np.array([[0.0, 1.0], [1.0, 1.0]]), {}, "bernoulli", "all values are 0 or 1"),
        (np.array([[True, False], [False, False]]), {}, "bernoulli", "all values are 0 or 1"),
        (np.array([[0.5, 1.0], [0.2, 0.0]]), {"image_shape": (1, 1, 2)}, "image", "image_shape"),
        (np.array([[0.5, -1.0], [2.0, 0.0]]), {}, "normal", "real-valued data"),
        (np.array([[3.0, -1.0], [2.0, 0.0]]), {}, "normal", "real-valued data"),
    ],
)
def test_inferred_likelihood_is_logged(data_caplog, values, uns, expected, reason):
    mdata = make_mudata(
        {
            "a": toy_modality(values, ["s0", "s1"], "f", uns=uns),
            "b": toy_modality(np.ones((2, 1)), ["s0", "s1"], "h"),
        }
    )
    reg = setup_registry(mdata, likelihoods={"b": "normal"})
    assert reg["a"].likelihood == expected
    assert reg["a"].likelihood_inferred and not reg["b"].likelihood_inferred
    messages = [r.getMessage() for r in data_caplog.records]
    assert any(
        m.startswith(f"modality 'a': likelihood inferred as '{expected}' (") and reason in m
        for m in messages
    ), messages
    assert not any("modality 'b'" in m for m in messages)


def test_image_shape_as_array_like_after_h5mu_round_trip(data_caplog):
    mods = {
        "img": toy_modality(
            np.full((2, 4), 0.5), ["s0", "s1"], "px", uns={"image_shape": np.array([1, 2, 2])}
        ),
        "b": toy_modality(np.ones((2, 1)), ["s0", "s1"], "h"),
    }
    reg = setup_registry(make_mudata(mods))
    assert reg["img"].image_shape == (1, 2, 2)
    assert all(isinstance(v, int) for v in reg["img"].image_shape)
    messages = [r.getMessage() for r in data_caplog.records]
    assert "modality 'img': likelihood inferred as 'image' (uns['image_shape'] = (1, 2, 2))" in (
        messages
    )


def test_categorical_vocabulary():
    tokens = np.array([[0, 2, 1], [3, 0, 0]])
    mods = {
        "txt": toy_modality(tokens, ["s0", "s1"], "t"),
        "txt2": toy_modality(tokens, ["s0", "s1"], "u", uns={"n_categories": 10}),
    }
    reg = setup_registry(
        make_mudata(mods), likelihoods={"txt": "categorical", "txt2": "categorical"}
    )
    assert reg["txt"].n_categories == 4
    assert reg["txt2"].n_categories == 10
    assert reg["txt"].library_log_mean is None


def test_single_modality_warns_once():
    mdata = make_mudata({"rna": toy_modality(np.ones((3, 2)), ["a", "b", "c"], "g")})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        setup_registry(mdata)
    relevant = [w for w in caught if "shared/private split is undefined" in str(w.message)]
    assert len(relevant) == 1 and relevant[0].category is UserWarning
    with pytest.warns(UserWarning, match="only one modality .*'rna'"):
        setup_registry(mdata)


def test_single_selected_modality_of_many_warns():
    mods = {k: toy_modality(np.ones((3, 2)), ["a", "b", "c"], k) for k in ("rna", "prot")}
    mdata = make_mudata(mods)
    with pytest.warns(UserWarning, match="undefined") as record:
        reg = setup_registry(mdata, modalities=["prot"])
    assert reg.modality_names() == ("prot",) and len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        setup_registry(mdata)  # two modalities: no warning


def test_single_batch_category_is_fine():
    mdata = data_mudata()
    mdata.obs["one"] = "only"
    reg = data_setup(mdata, batch_key="one")
    tensors = build_tensors(mdata, reg)
    assert reg.batch_categories == ("only",)
    assert torch.equal(tensors.batch_index, torch.zeros(mdata.n_obs, dtype=torch.long))


def test_integer_batch_codes_sorted_numerically():
    mdata = data_mudata()
    mdata.obs["run"] = [10, 2, 2, 10, 1, 1, 2, 10, 1, 2]
    reg = data_setup(mdata, batch_key="run")
    tensors = build_tensors(mdata, reg)
    assert reg.batch_categories == ("1", "2", "10")
    assert tensors.batch_index.tolist() == [2, 1, 1, 2, 0, 0, 1, 2, 0, 1]
    assert tensors.batch_index.dtype == torch.long


def test_categorical_batch_codes():
    mdata = data_mudata()
    reg = data_setup(mdata, batch_key="batch")
    tensors = build_tensors(mdata, reg)
    expected = [reg.batch_categories.index(v) for v in mdata.obs["batch"].astype(str)]
    assert tensors.batch_index.tolist() == expected
    assert build_tensors(mdata, data_setup(mdata)).batch_index is None


# --------------------------------------------------------------------------------------------------
# tensors


def _dense(matrix):
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


def test_mask_and_zero_fill_follow_mudata_structure():
    mdata = data_mudata()
    reg = data_setup(mdata)
    tensors = build_tensors(mdata, reg)
    assert list(tensors.obs_names) == list(mdata.obs_names)
    assert tensors.mask.dtype == torch.bool and tensors.mask.shape == (10, 3)
    for m, spec in enumerate(reg.modalities):
        adata = mdata.mod[spec.name]
        present = mdata.obs_names.isin(adata.obs_names)
        assert tensors.mask[:, m].numpy().tolist() == present.tolist()
        values = _dense(adata.X if spec.layer is None else adata.layers[spec.layer])
        x = tensors.x[m]
        assert x.dtype == torch.float32 and x.shape == (10, spec.n_features)
        for i, sample in enumerate(mdata.obs_names):
            if present[i]:
                row = values[adata.obs_names.get_loc(sample)]
                np.testing.assert_allclose(x[i].numpy(), row.astype(np.float32))
            else:
                assert not x[i].any()


def test_float32_dense_matrix_covering_every_sample_is_not_copied():
    rng = np.random.default_rng(0)
    obs = names("s", range(6))
    x32 = rng.normal(size=(6, 4)).astype(np.float32)
    x64 = rng.normal(size=(6, 3))
    partial = rng.normal(size=(4, 2)).astype(np.float32)
    mdata = make_mudata(
        {
            "a": toy_modality(x32, obs, "a"),
            "b": toy_modality(x64, obs, "b"),
            "c": toy_modality(partial, names("s", [5, 1, 2, 3]), "c"),
        }
    )
    before = snapshot_mudata(mdata)
    tensors = build_tensors(mdata, setup_registry(mdata))
    a, b, c = tensors.x
    # shares the user's float32 array: the data is held once
    assert np.shares_memory(a.numpy(), mdata.mod["a"].X)
    # float64 and partial coverage are converted / placed into a copy
    assert not np.shares_memory(b.numpy(), mdata.mod["b"].X)
    assert not np.shares_memory(c.numpy(), mdata.mod["c"].X)
    np.testing.assert_array_equal(b.numpy(), x64.astype(np.float32))
    # batches are copies: a batch written to does not write through to the user's data
    batch = MultiModalDataset(tensors).__getitems__([0, 1])
    batch["x"][0].fill_(123.0)
    assert_mudata_unchanged(mdata, before)


def test_layers_used_instead_of_x():
    mdata = data_mudata()
    tensors = build_tensors(mdata, data_setup(mdata))
    counts = mdata.mod["rna"].layers["counts"]
    np.testing.assert_array_equal(tensors.x[0][:7].numpy(), counts)
    # and .X (log values) when no layer is given
    reg_x = setup_registry(mdata)
    assert reg_x["rna"].layer is None and reg_x["rna"].likelihood == "normal"
    np.testing.assert_allclose(build_tensors(mdata, reg_x).x[0][:7].numpy(), mdata.mod["rna"].X)


def test_library_equals_row_sums():
    mdata = data_mudata()
    tensors = build_tensors(mdata, data_setup(mdata))
    lib = tensors.library[0]
    assert lib.shape == (10, 1) and lib.dtype == torch.float32
    np.testing.assert_allclose(lib[:7, 0].numpy(), mdata.mod["rna"].layers["counts"].sum(axis=1))
    assert torch.equal(lib[7:], torch.ones(3, 1))
    assert tensors.library[1] is None and tensors.library[2] is None


def test_zinb_also_gets_library():
    mdata = data_mudata()
    reg = data_setup(mdata, likelihoods={"rna": "zinb"})
    tensors = build_tensors(mdata, reg)
    assert reg["rna"].library_log_mean is not None and tensors.library[0] is not None


def test_sparse_and_dense_give_identical_batches():
    dense_md, sparse_md = data_mudata(sparse_prot=False), data_mudata(sparse_prot=True)
    assert sp.issparse(sparse_md.mod["prot"].X)
    reg_dense, reg_sparse = data_setup(dense_md), data_setup(sparse_md)
    assert reg_dense == reg_sparse
    t_dense, t_sparse = build_tensors(dense_md, reg_dense), build_tensors(sparse_md, reg_sparse)
    assert not t_dense.is_sparse(1) and t_sparse.is_sparse(1)
    assert t_sparse.x[1].layout == torch.sparse_csr
    assert torch.equal(t_sparse.x[1].to_dense(), t_dense.x[1])
    idx = [9, 0, 3, 3, 7]
    b_dense = MultiModalDataset(t_dense).__getitems__(idx)
    b_sparse = MultiModalDataset(t_sparse).__getitems__(idx)
    for a, b in zip(b_dense["x"], b_sparse["x"], strict=True):
        assert b.layout == torch.strided and torch.equal(a, b)
    assert torch.equal(t_sparse.rows(1, torch.tensor(idx)), b_dense["x"][1])
    assert torch.equal(b_dense["mask"], b_sparse["mask"])


def test_sparse_nb_library_and_mudata_unchanged():
    mdata = data_mudata()
    counts = mdata.mod["rna"].layers["counts"]
    mdata.mod["rna"].layers["sparse_counts"] = sp.csc_matrix(counts)
    snap = snapshot_mudata(mdata)
    reg = setup_registry(mdata, layers={"rna": "sparse_counts"})
    tensors = build_tensors(mdata, reg)
    assert_mudata_unchanged(mdata, snap)
    assert reg["rna"].likelihood == "nb"
    np.testing.assert_allclose(tensors.library[0][:7, 0].numpy(), counts.sum(axis=1))
    np.testing.assert_array_equal(tensors.x[0].to_dense()[:7].numpy(), counts)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_csr_rows_to_dense_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    dense = rng.random((8, 5)).astype(np.float32) * (rng.random((8, 5)) < 0.4)
    dense[3] = 0  # an empty row
    matrix = sp.csr_matrix(dense)
    idx = rng.integers(0, 8, size=11)
    out = csr_rows_to_dense(
        torch.from_numpy(matrix.indptr.astype(np.int64)),
        torch.from_numpy(matrix.indices.astype(np.int64)),
        torch.from_numpy(matrix.data),
        torch.from_numpy(idx),
        5,
    )
    np.testing.assert_array_equal(out.numpy(), matrix[idx].toarray())


def test_build_tensors_on_new_data_in_another_order():
    mdata = data_mudata()
    reg = data_setup(mdata)
    new = make_mudata({name: mdata.mod[name][::-1].copy() for name in ("img", "prot", "rna")})
    tensors = build_tensors(new, reg)
    assert list(tensors.obs_names) == list(new.obs_names)
    # modality order follows the registry, rows follow new.obs_names
    row = list(new.obs_names).index("s2")
    np.testing.assert_array_equal(tensors.x[0][row].numpy(), mdata.mod["rna"].layers["counts"][2])
    assert tensors.mask[row].tolist() == [True, False, True]


def test_check_features_false_allows_renamed_features():
    mdata = data_mudata()
    reg = data_setup(mdata)
    new = make_mudata({name: mdata.mod[name].copy() for name in reg.modality_names()})
    new.mod["prot"].var_names = names("q", range(4))
    with pytest.raises(ValueError, match="features differ"):
        build_tensors(new, reg)
    tensors = build_tensors(new, reg, check_features=False)
    assert tensors.x[1].shape == (10, 4)


# --------------------------------------------------------------------------------------------------
# dataset


@pytest.fixture
def data_tensors():
    mdata = data_mudata(sparse_prot=True)
    return build_tensors(mdata, data_setup(mdata, batch_key="batch"))


def _expected_batch(tensors, rows):
    rows_t = torch.as_tensor(rows)
    return {
        "x": [tensors.rows(m, rows_t) for m in range(len(tensors.x))],
        "mask": tensors.mask[rows_t],
        "batch_index": tensors.batch_index[rows_t],
        "library": [None if lib is None else lib[rows_t] for lib in tensors.library],
    }


def _assert_batch_equal(batch, expected):
    for a, b in zip(batch["x"], expected["x"], strict=True):
        assert torch.equal(a, b)
    assert torch.equal(batch["mask"], expected["mask"])
    assert torch.equal(batch["batch_index"], expected["batch_index"])
    for a, b in zip(batch["library"], expected["library"], strict=True):
        assert (a is None and b is None) or torch.equal(a, b)


def test_dataset_getitems_indexes_subset(data_tensors):
    subset = np.array([8, 1, 4, 6])
    ds = MultiModalDataset(data_tensors, subset)
    assert len(ds) == 4 and len(MultiModalDataset(data_tensors)) == 10
    batch = ds.__getitems__([3, 0, 0])
    assert batch["index"].tolist() == [6, 8, 8]
    assert batch["index"].dtype == torch.long
    _assert_batch_equal(batch, _expected_batch(data_tensors, [6, 8, 8]))
    assert [x.shape for x in batch["x"]] == [(3, 6), (3, 4), (3, 12)]
    # a view: no copy of the data
    assert ds.tensors.x[0].data_ptr() == data_tensors.x[0].data_ptr()


def test_dataset_getitem_single_row(data_tensors):
    ds = MultiModalDataset(data_tensors, np.array([5, 2]))
    item = ds[1]
    assert int(item["index"]) == 2
    assert item["x"][0].shape == (6,) and item["mask"].shape == (3,)
    assert torch.equal(item["x"][1], data_tensors.rows(1, torch.tensor([2]))[0])
    assert int(item["batch_index"]) == int(data_tensors.batch_index[2])
    assert item["library"][0].shape == (1,) and item["library"][1] is None
    assert int(ds[-1]["index"]) == 2
    with pytest.raises(IndexError):
        ds[2]
    with pytest.raises(IndexError):
        ds.__getitems__([0, 5])


def test_collate_batch_identity_and_stacking(data_tensors):
    ds = MultiModalDataset(data_tensors)
    batch = ds.__getitems__([4, 1, 7])
    assert collate_batch(batch) is batch
    stacked = collate_batch([ds[4], ds[1], ds[7]])
    _assert_batch_equal(stacked, batch)
    assert torch.equal(stacked["index"], batch["index"])


def test_dataloader_shuffles_and_covers_rows(data_tensors):
    subset = np.array([0, 2, 3, 5, 6, 7, 9])
    ds = MultiModalDataset(data_tensors, subset)
    torch.manual_seed(0)
    loader = DataLoader(ds, batch_size=4, shuffle=True, collate_fn=collate_batch)
    seen = []
    for batch in loader:
        assert batch["x"][0].shape[0] == batch["index"].shape[0] <= 4
        _assert_batch_equal(batch, _expected_batch(data_tensors, batch["index"]))
        seen += batch["index"].tolist()
    assert sorted(seen) == subset.tolist()
    assert seen != subset.tolist() or len(subset) < 3  # shuffled (seeded)


def test_dataset_pickles_for_worker_processes(data_tensors):
    ds = pickle.loads(pickle.dumps(MultiModalDataset(data_tensors, np.array([1, 3]))))
    _assert_batch_equal(ds.__getitems__([1, 0]), _expected_batch(data_tensors, [3, 1]))


def test_dataset_rejects_bad_indices(data_tensors):
    with pytest.raises(IndexError):
        MultiModalDataset(data_tensors, np.array([0, 10]))
    with pytest.raises(ValueError, match="1-D array of integer"):
        MultiModalDataset(data_tensors, np.array([0.5]))
