"""Fuzz setup_registry + build_tensors with random small MuData objects.

Either both succeed, and the tensors agree with the MuData's structure, or a ValueError / TypeError
/ KeyError is raised; the MuData is unchanged either way.
"""

import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from omicvae._constants import LIKELIHOODS
from omicvae.data import MultiModalDataset, build_tensors, setup_registry

from ._mudata import (
    assert_mudata_unchanged,
    make_mudata,
    snapshot_mudata,
    toy_modality,
)

POOL = [f"s{i}" for i in range(8)]
GOOD_KINDS = ("counts", "floats", "binary", "negative", "unit", "ints")
# repeated entries (and valid choices first, which hypothesis favours) weight the draws towards
# valid data so that both outcomes are well exercised
KINDS = GOOD_KINDS * 3 + ("with_nan",)


def _values(kind: str, shape, rng: np.random.Generator) -> np.ndarray:
    if kind == "counts":
        return rng.poisson(2.0, size=shape).astype(np.float32)
    if kind == "ints":
        return rng.integers(0, 5, size=shape)
    if kind == "binary":
        return (rng.random(shape) < 0.5).astype(np.float64)
    if kind == "unit":
        return rng.random(shape)
    values = rng.normal(size=shape)
    if kind == "negative":
        return -np.abs(values) - 1.0
    if kind == "with_nan" and values.size:
        values[rng.random(shape) < 0.3] = np.nan
    return values


@st.composite
def modality(draw, name: str):
    min_size = draw(st.sampled_from([1] * 7 + [0]))
    samples = draw(
        st.lists(st.sampled_from(POOL), unique=True, min_size=min_size, max_size=len(POOL))
    )
    n_vars = draw(st.sampled_from([3, 1, 2, 4] * 2 + [0]))
    kind = draw(st.sampled_from(KINDS))
    seed = draw(st.integers(0, 2**16))
    values = _values(kind, (len(samples), n_vars), np.random.default_rng(seed))
    if draw(st.booleans()):
        values = sp.csr_matrix(values)
    uns = {}
    if draw(st.integers(0, 4)) == 4:
        uns["image_shape"] = draw(
            st.sampled_from([(1, 1, n_vars), (n_vars, 1, 1), (1, 2, 2), (1, n_vars)])
        )
    return toy_modality(values, samples, f"{name}_", uns=uns)


@st.composite
def mudata_case(draw):
    names = ["rna", "prot", "img"][: draw(st.integers(1, 3))]
    mods = {name: draw(modality(name)) for name in names}
    likelihoods = {
        name: draw(st.sampled_from(LIKELIHOODS)) for name in names if draw(st.integers(0, 3)) == 3
    }
    selected = draw(st.sampled_from([None, None, names, names[:1], names[::-1]]))
    batch = draw(st.sampled_from([None, "plain", "plain", "with_nan"]))
    return mods, likelihoods, selected, batch


def _add_batch(mdata, batch, rng):
    if batch is None:
        return None
    values = rng.choice(np.array(["a", "b", "c"], dtype=object), size=mdata.n_obs)
    if batch == "with_nan" and mdata.n_obs:
        values[0] = np.nan
    mdata.obs["site"] = values
    return "site"


def _check_consistent(mdata, registry, tensors):
    n_obs = mdata.n_obs
    assert tensors.mask.shape == (n_obs, len(registry.modalities))
    assert list(tensors.obs_names) == list(mdata.obs_names)
    assert bool(tensors.mask.any(dim=1).all())
    for m, spec in enumerate(registry.modalities):
        adata = mdata.mod[spec.name]
        present = torch.from_numpy(np.asarray(mdata.obs_names.isin(adata.obs_names)))
        assert torch.equal(tensors.mask[:, m], present)
        assert tensors.x[m].shape == (n_obs, adata.n_vars) == (n_obs, spec.n_features)
        dense = tensors.x[m].to_dense()
        assert not torch.isnan(dense).any()
        assert not dense[~present].any()
        library = tensors.library[m]
        if spec.likelihood in ("nb", "zinb"):
            assert torch.equal(library[:, 0], torch.where(present, dense.sum(1), 1.0))
        else:
            assert library is None
    if n_obs:
        batch = MultiModalDataset(tensors).__getitems__(list(range(n_obs)))
        for m in range(len(registry.modalities)):
            assert torch.equal(batch["x"][m], tensors.x[m].to_dense())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mudata_case(), seed=st.integers(0, 1000))
def test_random_mudata_succeeds_consistently_or_fails_cleanly(case, seed):
    mods, likelihoods, selected, batch = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata/mudata chatter while building
        mdata = make_mudata(mods)
    batch_key = _add_batch(mdata, batch, np.random.default_rng(seed))
    if selected is not None:
        likelihoods = {k: v for k, v in likelihoods.items() if k in selected}
    snap = snapshot_mudata(mdata)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            registry = setup_registry(
                mdata, modalities=selected, likelihoods=likelihoods, batch_key=batch_key
            )
            tensors = build_tensors(mdata, registry)
        except (ValueError, TypeError, KeyError) as err:
            event(f"rejected: {type(err).__name__}: {str(err)[:60]}")
            registry = None
    assert_mudata_unchanged(mdata, snap)
    if registry is None:
        return
    event("accepted")
    ours = [w for w in caught if "shared/private split" in str(w.message)]
    assert len(ours) == (len(registry.modalities) == 1)
    _check_consistent(mdata, registry, tensors)
    if batch_key is not None:
        codes = tensors.batch_index.numpy()
        assert pd.Index(registry.batch_categories)[codes].tolist() == list(mdata.obs["site"])
