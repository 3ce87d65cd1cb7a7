"""Survival analysis: Kaplan–Meier with a log-rank test per group, Cox models on embeddings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import concordance_index
from mudata import MuData
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

from .._keys import resolve_keys
from .._readers import get_obsm, present_rows, resolve_random_state, survival_table, time_event
from ._utils import _missing_key_hint

__all__ = ["CoxResult", "SurvivalResult", "survival", "survival_cox"]


@dataclass
class SurvivalResult:
    """Result of :func:`survival`.

    Attributes
    ----------
    p_value
        p-value of the (multivariate) log-rank test across the groups.
    test_statistic
        Its chi-squared statistic.
    degrees_of_freedom
        Number of groups minus one.
    groups
        One row per group: ``n``, ``n_events`` and ``median_survival`` (Kaplan–Meier median; ``inf``
        when the curve never drops to 0.5).
    """

    p_value: float
    test_statistic: float
    degrees_of_freedom: int
    groups: pd.DataFrame


@dataclass
class CoxResult:
    """Result of :func:`survival_cox`.

    Attributes
    ----------
    c_index_mean, c_index_std
        Mean and sample std (ddof=1) of the held-out concordance index over folds.
    per_fold
        One row per fold: ``c_index``, ``n_train``, ``n_test``.
    """

    c_index_mean: float
    c_index_std: float
    per_fold: pd.DataFrame


def survival(
    mdata: MuData,
    *,
    groupby: str,
    time: str = "survival_time",
    event: str = "survival_event",
) -> SurvivalResult:
    """Kaplan–Meier estimates per group and a log-rank test across groups.

    Parameters
    ----------
    mdata
        Data with the survival columns in ``.obs``.
    groupby
        ``mdata.obs`` column of the groups (e.g. clusters from :func:`cluster`).
    time
        ``mdata.obs`` column of follow-up durations.
    event
        ``mdata.obs`` column of event indicators (1/True = event observed, 0/False = censored).

    Returns
    -------
    :class:`SurvivalResult`. Samples with a missing time, event or group are dropped.
    """
    t, e, g = survival_table(mdata, groupby=groupby, time=time, event=event)
    names = np.unique(g)
    if len(names) < 2:
        raise ValueError(
            f"groupby column {groupby!r}: expected at least 2 groups, found {names.tolist()}"
        )
    test = multivariate_logrank_test(t, g, e)
    rows = {}
    for name in names:
        sel = g == name
        kmf = KaplanMeierFitter().fit(t[sel], e[sel])
        rows[name] = {
            "n": int(sel.sum()),
            "n_events": int(e[sel].sum()),
            "median_survival": float(kmf.median_survival_time_),
        }
    return SurvivalResult(
        p_value=float(test.p_value),
        test_statistic=float(test.test_statistic),
        degrees_of_freedom=len(names) - 1,
        groups=pd.DataFrame.from_dict(rows, orient="index").rename_axis(groupby),
    )


def survival_cox(
    mdata: MuData,
    *,
    key: str | None = None,
    key_prefix: str | None = None,
    time: str = "survival_time",
    event: str = "survival_event",
    n_splits: int = 5,
    penalizer: float = 0.1,
    random_state: int = 0,
    seed: int | None = None,
) -> CoxResult:
    """Cross-validated concordance of a penalised Cox model on an embedding.

    In each of ``n_splits`` shuffled folds the embedding is standardised on the training part, a
    ``lifelines.CoxPHFitter(penalizer=penalizer)`` is fit, and Harrell's concordance index of the
    predicted partial hazard is computed on the held-out part.

    Parameters
    ----------
    mdata
        Data with the embedding in ``.obsm`` and the survival columns in ``.obs``.
    key
        ``.obsm`` key of the embedding (covariates of the Cox model); default: the joint shared
        embedding of ``key_prefix``.
    key_prefix
        A model's ``key_prefix`` (e.g. ``"X_mmvaeplus"``); default: the embeddings recorded last
        in ``mdata.uns["idmvae"]``, else ``"X_idmvae"``.
    time, event
        ``mdata.obs`` columns of durations and event indicators.
    n_splits
        Number of folds.
    penalizer
        L2 penalty of the Cox model.
    random_state
        Seed of the fold assignment.
    seed
        Deprecated name of ``random_state`` (``FutureWarning``).

    Returns
    -------
    :class:`CoxResult`. Samples with NaN embedding rows or unknown survival are dropped.
    """
    random_state = resolve_random_state(random_state, seed, where="survival_cox")
    key = resolve_keys(mdata, key_prefix, shared_key=key).shared_key
    X = get_obsm(mdata, key, hint=_missing_key_hint("key"))
    t, e, ok = time_event(mdata, time, event)
    ok = ok & present_rows(X)
    X, t, e = X[ok], t[ok], e[ok]
    cols = [f"x{i}" for i in range(X.shape[1])]
    records = []
    for k, (tr, te) in enumerate(KFold(n_splits, shuffle=True, random_state=random_state).split(X)):
        scaler = StandardScaler().fit(X[tr])
        train = pd.DataFrame(scaler.transform(X[tr]), columns=cols)
        train["T"], train["E"] = t[tr], e[tr]
        cph = CoxPHFitter(penalizer=penalizer).fit(train, duration_col="T", event_col="E")
        risk = cph.predict_partial_hazard(pd.DataFrame(scaler.transform(X[te]), columns=cols))
        # higher hazard means shorter survival, so negate for the concordance convention
        c = concordance_index(t[te], -np.asarray(risk), e[te]) if e[te].any() else np.nan
        records.append({"fold": k, "c_index": c, "n_train": len(tr), "n_test": len(te)})
    per_fold = pd.DataFrame.from_records(records).set_index("fold")
    return CoxResult(
        c_index_mean=float(per_fold["c_index"].mean()),
        c_index_std=float(per_fold["c_index"].std(ddof=1)),
        per_fold=per_fold,
    )
