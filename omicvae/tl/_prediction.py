"""Label prediction from embeddings with the paper's TCGA protocol (method.md §4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from mudata import MuData
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .._keys import resolve_keys
from .._logging import logger
from .._readers import as_list, get_obsm, label_array, present_rows
from ._utils import index_mask, modality_representation, resolve_modalities

__all__ = ["PredictionResult", "predict_labels"]

METRICS = ("accuracy", "f1_macro", "auroc")
_MULTIMODAL = ("z", "z+w")


@dataclass
class PredictionResult:
    """Scores of :func:`predict_labels`.

    Attributes
    ----------
    per_split
        One row per (representation, split): ``representation``, ``split``, ``accuracy``,
        ``f1_macro``, ``auroc``, ``n_train``, ``n_test``.
    summary
        One row per representation: ``<metric>_mean`` and ``<metric>_std`` (sample std, ddof=1) over
        the splits, and ``n_splits``.
    """

    per_split: pd.DataFrame
    summary: pd.DataFrame


def _auroc(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """Binary AUROC, or one-vs-rest macro AUROC over the classes present in ``y``."""
    present = [k for k, c in enumerate(classes) if (y == c).any() and (y != c).any()]
    if not present:
        return np.nan
    if len(classes) == 2:
        return float(roc_auc_score(y == classes[1], proba[:, 1]))
    return float(np.mean([roc_auc_score(y == classes[k], proba[:, k]) for k in present]))


def _fit_predict(
    X: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    classes: np.ndarray,
    max_iter: int,
) -> np.ndarray:
    """Class probabilities (columns in ``classes`` order) for ``X[test]`` from a model fit on ``X[train]``."""
    proba = np.zeros((int(test.sum()), len(classes)))
    y_train = y[train]
    seen = np.unique(y_train)
    if len(seen) < 2:
        # a single class in training: the model can only ever predict it
        proba[:, np.searchsorted(classes, seen[0])] = 1.0
        return proba
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
    pipe.fit(X[train], y_train)
    proba[:, np.searchsorted(classes, pipe.classes_)] = pipe.predict_proba(X[test])
    return proba


def _representations(
    mdata: MuData,
    representation: str | Sequence[str],
    keys: str | Sequence[str] | None,
    modalities: str | Sequence[str] | None,
    shared_prefix: str,
    private_prefix: str,
) -> dict[str, list[np.ndarray]]:
    """``{name: [matrix per modality]}``; explicit obsm keys are one 'modality' each."""
    reps: dict[str, list[np.ndarray]] = {}
    for name in as_list(representation):
        if name in _MULTIMODAL:
            prefixes = {"shared_prefix": shared_prefix}
            if name == "z+w":
                prefixes["private_prefix"] = private_prefix
            mods = resolve_modalities(mdata, modalities, prefixes)
            mats = []
            for m in mods:
                Z = modality_representation(mdata, shared_prefix, m, param="shared_prefix")
                if name == "z+w":
                    W = modality_representation(mdata, private_prefix, m, param="private_prefix")
                    Z = np.hstack([W, Z])
                mats.append(Z)
            reps[name] = mats
        elif name in mdata.obsm:
            reps[name] = [get_obsm(mdata, name)]
        else:
            raise ValueError(
                f"representation {name!r}: expected 'z' (the per-modality shared embeddings), "
                "'z+w' (shared and private) or an .obsm key; "
                f"obsm keys: {sorted(mdata.obsm.keys())}"
            )
    for key in as_list(keys):
        reps[key] = [get_obsm(mdata, key)]
    return reps


def _resolve_splits(
    mdata: MuData,
    y: np.ndarray,
    valid: np.ndarray,
    splits: Sequence[tuple[Sequence, Sequence]] | None,
    n_splits: int,
    test_size: float,
    random_state: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test boolean masks over ``mdata.obs``, restricted to labelled samples."""
    n = mdata.n_obs
    out = []
    if splits is not None:
        for k, (tr, te) in enumerate(splits):
            masks = []
            for part, idx in (("train", tr), ("test", te)):
                idx = np.asarray(idx)
                if idx.dtype.kind in "OUS":
                    pos = mdata.obs_names.get_indexer(idx)
                    if (pos < 0).any():
                        raise KeyError(
                            f"splits[{k}] {part}: obs names {idx[pos < 0][:5].tolist()} not in mdata"
                        )
                    idx = pos
                masks.append(index_mask(n, idx) & valid)
            out.append(tuple(masks))
        return out
    labelled = np.flatnonzero(valid)
    for k in range(n_splits):
        tr, te = train_test_split(
            labelled, test_size=test_size, random_state=random_state + k, stratify=y[labelled]
        )
        out.append((index_mask(n, tr), index_mask(n, te)))
    return out


def predict_labels(
    mdata: MuData,
    *,
    label: str,
    representation: str | Sequence[str] = "z",
    keys: str | Sequence[str] | None = None,
    modalities: str | Sequence[str] | None = None,
    key_prefix: str | None = None,
    shared_prefix: str | None = None,
    private_prefix: str | None = None,
    n_splits: int = 5,
    test_size: float = 0.2,
    random_state: int = 0,
    splits: Sequence[tuple[Sequence, Sequence]] | None = None,
    max_iter: int = 1000,
) -> PredictionResult:
    """Predict a sample label from embeddings (the paper's TCGA protocol).

    For each modality ``m`` a ``Pipeline(StandardScaler, LogisticRegression(max_iter=1000))`` is fit
    on the training samples that have ``m``, on ``z_m`` (``representation="z"``) or on ``[w_m, z_m]``
    (``"z+w"``). A test sample's class probabilities are the mean over the modalities it has.
    Accuracy, macro-F1 and AUROC (one-vs-rest macro over the classes present in the test set for
    more than two classes) are reported per split and as mean ± std over splits. Any ``.obsm`` key
    (``keys=["X_pca"]``, or given in ``representation``) goes through the same code as a single
    representation, so baselines are scored identically.

    Parameters
    ----------
    mdata
        Data with the embeddings in ``.obsm``.
    label
        ``mdata.obs`` column to predict; samples where it is missing are dropped.
    representation
        ``"z"``, ``"z+w"``, an ``.obsm`` key, or a list of these; anything else raises a
        ``ValueError`` naming the valid values.
    keys
        Further ``.obsm`` keys scored as single representations.
    modalities
        Modalities of the ``"z"``/``"z+w"`` ensembles; default: all with the needed obsm keys.
    key_prefix
        A model's ``key_prefix`` (e.g. ``"X_mmvaeplus"``); default: the embeddings recorded last
        in ``mdata.uns["idmvae"]``, else ``"X_idmvae"``.
    shared_prefix, private_prefix
        Key prefixes of the per-modality shared and private embeddings; each overrides its part
        of ``key_prefix``.
    n_splits
        Number of stratified random splits; split ``k`` uses seed ``random_state + k``.
    test_size
        Test fraction of each random split.
    random_state
        Seed of the first random split.
    splits
        Explicit ``[(train, test), ...]``: integer positions in ``mdata.obs`` or obs names.
        Overrides ``n_splits``/``test_size``/``random_state`` (e.g. to fix 70/10/20 splits and pass
        the 70 % and 20 % parts).
    max_iter
        ``LogisticRegression`` iteration limit.

    Returns
    -------
    :class:`PredictionResult` with ``per_split`` and ``summary`` DataFrames. Test samples with no
    usable representation (all modalities missing) are not scored; ``n_test`` counts the scored ones.
    """
    y_raw, valid = label_array(mdata, label)
    y = np.where(valid, y_raw.astype(str), "")
    classes = np.unique(y[valid])
    if len(classes) < 2:
        raise ValueError(
            f"label column {label!r}: expected at least 2 classes, found {classes.tolist()}"
        )
    found = resolve_keys(
        mdata, key_prefix, shared_prefix=shared_prefix, private_prefix=private_prefix
    )
    reps = _representations(
        mdata, representation, keys, modalities, found.shared_prefix, found.private_prefix
    )
    masks = _resolve_splits(mdata, y, valid, splits, n_splits, test_size, random_state)

    records = []
    for name, mats in reps.items():
        for k, (train, test) in enumerate(masks):
            total = np.zeros((mdata.n_obs, len(classes)))
            count = np.zeros(mdata.n_obs)
            for X in mats:
                have = present_rows(X)
                te = test & have
                if not te.any():
                    continue
                total[te] += _fit_predict(X, y, train & have, te, classes, max_iter)
                count[te] += 1
            scored = test & (count > 0)
            if (test & ~scored).any():
                logger.info(
                    f"predict_labels: {name!r} split {k}: {int((test & ~scored).sum())} test samples "
                    "have no representation and are not scored"
                )
            proba = total[scored] / count[scored, None]
            y_true = y[scored]
            y_pred = classes[np.argmax(proba, axis=1)]
            records.append(
                {
                    "representation": name,
                    "split": k,
                    "accuracy": accuracy_score(y_true, y_pred),
                    "f1_macro": f1_score(y_true, y_pred, average="macro", labels=np.unique(y_true)),
                    "auroc": _auroc(y_true, proba, classes),
                    "n_train": int(train.sum()),
                    "n_test": int(scored.sum()),
                }
            )
    per_split = pd.DataFrame.from_records(records)
    grouped = per_split.groupby("representation", sort=False)
    summary = grouped[list(METRICS)].agg(["mean", "std"])
    summary.columns = [f"{metric}_{stat}" for metric, stat in summary.columns]
    summary["n_splits"] = grouped.size()
    return PredictionResult(per_split=per_split, summary=summary)
