"""Linear-probe disentanglement table (method.md §4, "Linear probes")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

import numpy as np
import pandas as pd
from mudata import MuData
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .._keys import resolve_keys
from .._readers import label_array, present_rows, resolve_random_state
from ._utils import modality_representation, modality_table, resolve_modalities, split_masks

__all__ = ["disentanglement"]

PROBE_COLUMNS = ("z_shared", "z_private", "w_private", "w_shared")


def _probe(
    X: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    max_iter: int,
    standardize: bool,
) -> tuple[float, float]:
    """Held-out accuracy of a logistic-regression probe and the majority-class (chance) rate."""
    if train.sum() == 0 or test.sum() == 0:
        return np.nan, np.nan
    y_train, y_test = y[train].astype(str), y[test].astype(str)
    classes, counts = np.unique(y_train, return_counts=True)
    chance = float(np.mean(y_test == classes[np.argmax(counts)]))
    if len(classes) < 2:
        return chance, chance
    clf = LogisticRegression(max_iter=max_iter)
    if standardize:
        clf = make_pipeline(StandardScaler(), clf)
    clf.fit(X[train], y_train)
    return float(clf.score(X[test], y_test)), chance


def disentanglement(
    mdata: MuData,
    *,
    shared_label: str,
    private_labels: Mapping[str, str] | None = None,
    modalities: str | Sequence[str] | None = None,
    key_prefix: str | None = None,
    shared_prefix: str | None = None,
    private_prefix: str | None = None,
    split: str | None = None,
    test_size: float = 0.3,
    random_state: int = 0,
    max_iter: int = 1000,
    standardize: bool = False,
    seed: int | None = None,
) -> pd.DataFrame:
    """Linear probes of the shared and private posterior means (the paper's disentanglement table).

    For every modality ``m`` a ``LogisticRegression(max_iter=1000)`` is fit on the training samples
    and scored (accuracy) on the held-out samples, for four probes:

    - ``z_shared``: shared mean of ``m`` → shared label (high is good);
    - ``z_private``: shared mean of ``m`` → private label of ``m`` (chance is good);
    - ``w_private``: private mean of ``m`` → private label of ``m`` (high is good);
    - ``w_shared``: private mean of ``m`` → shared label (chance is good).

    Samples lacking ``m`` (NaN rows in either representation) or the probed label are skipped.

    Parameters
    ----------
    mdata
        Data with ``obsm[shared_prefix + m]`` and ``obsm[private_prefix + m]`` for each modality.
    shared_label
        ``mdata.obs`` column of the label all modalities share (e.g. digit, subtype).
    private_labels
        ``{modality: obs column}`` of each modality's private label (e.g. quadrant). Modalities
        without one get NaN in the ``z_private`` and ``w_private`` columns.
    modalities
        Modalities to probe; default: every modality with both obsm keys.
    key_prefix
        A model's ``key_prefix`` (e.g. ``"X_mmvaeplus"``); default: the embeddings recorded last
        in ``mdata.uns["idmvae"]``, else ``"X_idmvae"``.
    shared_prefix, private_prefix
        Key prefixes of the per-modality representations (``shared_prefix + m``); each overrides
        its part of ``key_prefix``, e.g. to probe baselines.
    split
        ``mdata.obs`` column with ``"train"``/``"test"`` values; ``None`` draws a random split.
    test_size
        Held-out fraction of the random split.
    random_state
        Seed of the random split.
    max_iter
        ``LogisticRegression`` iteration limit.
    standardize
        Z-score each code dimension (training-sample statistics) before the probe, so that a
        label carried by codes of small spread is not read as chance (the paper's probe,
        ``False``, is L2-penalised on the codes as they are; see the user guide's
        disentanglement page).
    seed
        Deprecated name of ``random_state`` (``FutureWarning``).

    Returns
    -------
    One row per modality plus a ``"mean"`` row (mean over modalities, NaN ignored). Columns:
    ``z_shared``, ``z_private``, ``w_private``, ``w_shared`` (accuracies), ``chance_shared`` and
    ``chance_private`` (rate of the training set's majority class among the held-out samples),
    ``n_train`` and ``n_test`` (samples having the modality and the shared label).
    """
    random_state = resolve_random_state(random_state, seed, where="disentanglement")
    keys = resolve_keys(
        mdata, key_prefix, shared_prefix=shared_prefix, private_prefix=private_prefix
    )
    shared_prefix, private_prefix = keys.shared_prefix, keys.private_prefix
    mods = resolve_modalities(
        mdata, modalities, {"shared_prefix": shared_prefix, "private_prefix": private_prefix}
    )
    private_labels = dict(private_labels or {})
    unknown = set(private_labels) - set(mods)
    if unknown:
        raise KeyError(
            f"private_labels names modalities {sorted(unknown)} that are not probed; "
            f"probed modalities: {mods}"
        )
    y_shared, ok_shared = label_array(mdata, shared_label, what="shared_label")
    private = {
        m: label_array(mdata, c, what=f"private label of {m!r}") for m, c in private_labels.items()
    }
    train, test = split_masks(mdata, split=split, test_size=test_size, random_state=random_state)
    probe = partial(_probe, max_iter=max_iter, standardize=standardize)

    rows = {}
    for m in mods:
        Z = modality_representation(mdata, shared_prefix, m, param="shared_prefix")
        W = modality_representation(mdata, private_prefix, m, param="private_prefix")
        have = present_rows(Z) & present_rows(W)
        row = dict.fromkeys([*PROBE_COLUMNS, "chance_private"], np.nan)
        tr, te = train & have & ok_shared, test & have & ok_shared
        row["z_shared"], row["chance_shared"] = probe(Z, y_shared, tr, te)
        row["w_shared"], _ = probe(W, y_shared, tr, te)
        row["n_train"], row["n_test"] = int(tr.sum()), int(te.sum())
        if m in private:
            y_priv, ok_priv = private[m]
            tr, te = train & have & ok_priv, test & have & ok_priv
            row["w_private"], row["chance_private"] = probe(W, y_priv, tr, te)
            row["z_private"], _ = probe(Z, y_priv, tr, te)
        rows[m] = row

    columns = [*PROBE_COLUMNS, "chance_shared", "chance_private"]
    return modality_table(rows, columns, ["n_train", "n_test"])
