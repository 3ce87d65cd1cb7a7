import numpy as np
import pandas as pd
import pytest

from omicvae.datasets import tcga_acc


@pytest.fixture(scope="module")
def acc():
    return tcga_acc()


def test_shapes_and_patients(acc):
    assert acc.n_obs == 92
    assert {m: a.shape for m, a in acc.mod.items()} == {
        "rna": (79, 198),
        "mirna": (80, 471),
        "cnv": (90, 198),
        "protein": (46, 33),
        "mutation": (90, 97),
    }
    assert (acc.obs_names.str.len() == 12).all() and acc.obs_names.is_unique
    for adata in acc.mod.values():
        assert adata.obs_names.isin(acc.obs_names).all()
        assert (adata.obs["barcode"].str[:12] == adata.obs_names).all()
        assert adata.X.dtype == np.float32 and not np.isnan(adata.X).any()


def test_missingness_pattern(acc):
    has = pd.DataFrame({m: acc.obs_names.isin(a.obs_names) for m, a in acc.mod.items()})
    assert has.all(axis=1).sum() == 43
    assert (has["rna"] & has["cnv"] & has["mirna"]).sum() == 77
    assert (has["rna"] & has["cnv"] & has["mirna"] & has["protein"]).sum() == 45
    assert has.any(axis=1).all()


def test_labels_and_survival(acc):
    counts = acc.obs["C1A.C1B"].value_counts(dropna=False)
    assert counts["C1A"] == 43 and counts["C1B"] == 35 and acc.obs["C1A.C1B"].isna().sum() == 14
    for col in ("COC", "mRNA_K4", "MethyLevel", "miRNA.cluster", "SCNA.cluster", "OncoSign"):
        assert isinstance(acc.obs[col].dtype, pd.CategoricalDtype)
    assert set(acc.obs["COC"].cat.categories) == {"COC1", "COC2", "COC3"}
    dead = acc.obs["vital_status"] == 1
    assert acc.obs["survival_event"].sum() == dead.sum() == 34
    np.testing.assert_array_equal(
        acc.obs.loc[dead, "survival_time"], acc.obs.loc[dead, "days_to_death"]
    )
    np.testing.assert_array_equal(
        acc.obs.loc[~dead, "survival_time"], acc.obs.loc[~dead, "days_to_last_followup"]
    )


def test_raw_values_kept(acc):
    mirna = acc["mirna"].X
    assert (mirna >= 0).all() and np.array_equal(mirna, np.round(mirna))
    assert set(np.unique(acc["cnv"].X)) <= {-2, -1, 0, 1, 2}
    assert set(np.unique(acc["mutation"].X)) == {0, 1}
    rna = acc["rna"].X
    assert rna.max() > 1e5 and np.mean(rna != np.round(rna)) > 0.9
    np.testing.assert_allclose(acc["rna"].layers["log1p"], np.log1p(rna), rtol=1e-6)
    assert (acc["protein"].X < 0).any()


def test_provenance(acc):
    info = acc.uns["omicvae_dataset"]
    assert info["name"] == "tcga_acc"
    assert "Artistic-2.0" in info["licence"] and "r-bioc-multiassayexperiment" in info["source"]
    assert dict(info["likelihoods"]) == {
        "rna": "normal",
        "mirna": "nb",
        "cnv": "normal",
        "protein": "normal",
        "mutation": "bernoulli",
    }
