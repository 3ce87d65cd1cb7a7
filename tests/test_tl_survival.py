"""Log-rank tests and Cox concordance on simulated survival data."""

import anndata as ad
import mudata as md
import numpy as np
import pytest

from omicvae.tl import CoxResult, SurvivalResult, survival, survival_cox

N = 300


def _make(seed=0):
    """'risk' groups differ threefold in hazard; 'null' groups do not; X_risk drives the hazard."""
    rng = np.random.default_rng(seed)
    adata = ad.AnnData(rng.normal(size=(N, 2)))
    adata.obs_names = [f"s{i}" for i in range(N)]
    with md.set_options(pull_on_update=False):
        mdata = md.MuData({"a": adata})
    group = np.repeat(["low", "high"], N // 2)
    emb = rng.normal(size=(N, 3))
    hazard = np.where(group == "high", 3.0, 1.0) * np.exp(emb[:, 0])
    t_event = rng.exponential(1 / hazard)
    t_censor = rng.exponential(2.0, size=N)
    mdata.obs["survival_time"] = np.minimum(t_event, t_censor)
    mdata.obs["survival_event"] = t_event <= t_censor
    mdata.obs["risk"] = group
    mdata.obs["null"] = rng.choice(["x", "y", "z"], size=N)
    mdata.obsm["X_risk"] = emb
    mdata.obsm["X_noise"] = rng.normal(size=(N, 3))
    return mdata


def test_logrank_detects_planted_difference_only():
    mdata = _make()
    obs_before = mdata.obs.copy()
    res = survival(mdata, groupby="risk")
    assert isinstance(res, SurvivalResult)
    assert res.p_value < 0.01 and res.test_statistic > 0
    assert res.groups.loc["high", "median_survival"] < res.groups.loc["low", "median_survival"]
    assert res.groups["n"].sum() == N
    null = survival(mdata, groupby="null")
    assert null.p_value > 0.05 and null.degrees_of_freedom == 2
    assert mdata.obs.equals(obs_before)


def test_missing_survival_values_are_dropped():
    mdata = _make()
    mdata.obs.loc[mdata.obs_names[:20], "survival_time"] = np.nan
    mdata.obs["risk"] = mdata.obs["risk"].astype(object)
    mdata.obs.loc[mdata.obs_names[-5:], "risk"] = None
    assert survival(mdata, groupby="risk").groups["n"].sum() == N - 25


def test_cox_concordance():
    mdata = _make()
    res = survival_cox(mdata, key="X_risk", n_splits=3)
    assert isinstance(res, CoxResult)
    assert res.c_index_mean > 0.6
    assert len(res.per_fold) == 3 and res.c_index_std >= 0
    noise = survival_cox(mdata, key="X_noise", n_splits=3)
    assert abs(noise.c_index_mean - 0.5) < 0.1


def test_errors():
    mdata = _make()
    with pytest.raises(KeyError, match="time column 'os_time'"):
        survival(mdata, groupby="risk", time="os_time")
    mdata.obs["survival_event"] = 2
    with pytest.raises(ValueError, match="'survival_event'"):
        survival(mdata, groupby="risk")
