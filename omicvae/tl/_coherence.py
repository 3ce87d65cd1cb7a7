"""Generation coherence of image modalities (method.md §4, "Generation coherence")."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from mudata import MuData
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from .._readers import as_list, image_modalities, label_array, modality_matrix, resolve_random_state
from ._utils import split_masks

__all__ = ["CoherenceResult", "ImageCNNClassifier", "coherence"]


@dataclass
class CoherenceResult:
    """Result of :func:`coherence`.

    Attributes
    ----------
    self_coherence
        Mean over modalities ``d`` of the coherence of ``d → d`` generations.
    cross_coherence
        Mean over ordered pairs ``e ≠ d`` of the coherence of ``e → d`` generations.
    unconditional
        Fraction of unconditional samples whose predicted labels agree across all modalities.
    matrix
        Coherence of every source (rows) → target (columns) pair.
    classifier_accuracy
        Held-out accuracy of each modality's classifier on real data (an upper bound of sorts).
    """

    self_coherence: float
    cross_coherence: float
    unconditional: float
    matrix: pd.DataFrame
    classifier_accuracy: pd.Series


class ImageCNNClassifier:
    """A small convolutional classifier of flattened images with an sklearn-like interface.

    Parameters
    ----------
    image_shape
        ``(C, H, W)`` of the flattened images.
    epochs
        Training epochs (Adam, learning rate 2e-3, batch 128). Default: at least 5 epochs and at
        least 300 optimiser steps, so small data sets are not under-trained.
    random_state
        Seed of the initialisation and of the batch order.
    num_threads
        torch CPU threads while fitting and predicting (the global setting is restored after);
        a network this small runs fastest on one, and more threads thrash on a busy machine.
    seed
        Deprecated name of ``random_state`` (``FutureWarning``).
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        *,
        epochs: int | None = None,
        random_state: int = 0,
        num_threads: int = 1,
        seed: int | None = None,
    ):
        self.image_shape = tuple(int(s) for s in image_shape)
        self.epochs = epochs
        self.random_state = resolve_random_state(random_state, seed, where="ImageCNNClassifier")
        self.num_threads = num_threads

    @contextmanager
    def _threads(self) -> Iterator[None]:
        previous = torch.get_num_threads()
        torch.set_num_threads(self.num_threads)
        try:
            yield
        finally:
            torch.set_num_threads(previous)

    def _net(self, n_classes: int) -> torch.nn.Module:
        layers: list[torch.nn.Module] = []
        width = self.image_shape[0]
        for out in (32, 64, 64):
            # group normalisation: uncentred [0, 1] pixels on textured backgrounds train slowly
            # without it (a 2-layer net without it read PolyMNIST digits at 0.14-0.81)
            layers += [
                torch.nn.Conv2d(width, out, 3, padding=1),
                torch.nn.GroupNorm(8, out),
                torch.nn.ReLU(),
                torch.nn.MaxPool2d(2),
            ]
            width = out
        # position-invariant: digits move between quadrants
        layers[-1] = torch.nn.AdaptiveMaxPool2d(1)
        return torch.nn.Sequential(*layers, torch.nn.Flatten(), torch.nn.Linear(width, n_classes))

    def _tensor(self, X: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(X, dtype=np.float32)).reshape(-1, *self.image_shape)

    def fit(self, X: np.ndarray, y: np.ndarray) -> ImageCNNClassifier:
        """Fit on flattened images ``X`` (n, C·H·W) and labels ``y``."""
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        gen = torch.Generator().manual_seed(self.random_state)
        n_batches = -(-len(codes) // 128)
        epochs = self.epochs if self.epochs is not None else max(5, -(-300 // n_batches))
        with self._threads():
            torch.manual_seed(self.random_state)
            self.net_ = self._net(len(self.classes_))
            opt = torch.optim.Adam(self.net_.parameters(), lr=2e-3)
            xs, ys = self._tensor(X), torch.as_tensor(codes)
            self.net_.train()
            for _ in range(epochs):
                for batch in torch.randperm(len(ys), generator=gen).split(128):
                    opt.zero_grad()
                    torch.nn.functional.cross_entropy(self.net_(xs[batch]), ys[batch]).backward()
                    opt.step()
            self.net_.eval()
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted labels of flattened images ``X``."""
        with self._threads(), torch.no_grad():
            logits = torch.cat([self.net_(b) for b in self._tensor(X).split(512)])
        return self.classes_[logits.argmax(1).numpy()]


def _make_classifier(classifier: Any, mdata: MuData, mod: str, random_state: int) -> Any:
    if isinstance(classifier, str):
        if classifier == "logistic":
            return LogisticRegression(max_iter=1000)
        if classifier == "cnn":
            shape = mdata.mod[mod].uns.get("image_shape")
            if shape is None:
                raise KeyError(
                    f"modality {mod!r}: uns['image_shape'] = (C, H, W) is needed by classifier='cnn'"
                )
            return ImageCNNClassifier(shape, random_state=random_state)
        raise ValueError(
            f"classifier: expected 'logistic', 'cnn', an estimator or a dict, got {classifier!r}"
        )
    return clone(classifier) if hasattr(classifier, "get_params") else copy.deepcopy(classifier)


def _classifiers(
    classifier: Any,
    mdata: MuData,
    mods: list[str],
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    random_state: int,
) -> tuple[dict[str, Any], dict[str, float]]:
    """Per-modality classifiers (fit here unless given fitted) and their held-out accuracy."""
    fitted, acc = {}, {}
    for m in mods:
        X, present = modality_matrix(mdata, m)
        if isinstance(classifier, Mapping):
            if m not in classifier:
                raise KeyError(f"classifier dict has no entry for modality {m!r}")
            fitted[m] = classifier[m]
        else:
            tr = train & present
            if tr.sum() == 0:
                raise ValueError(
                    f"modality {m!r}: no labelled training samples to fit its classifier"
                )
            fitted[m] = _make_classifier(classifier, mdata, m, random_state).fit(X[tr], y[tr])
        te = test & present
        acc[m] = (
            float(np.mean(fitted[m].predict(X[te]).astype(str) == y[te])) if te.any() else np.nan
        )
    return fitted, acc


def _finite_mean(values: np.ndarray) -> float:
    """Mean of the non-NaN ``values``; NaN (without a warning) when there are none."""
    return float(np.nanmean(values)) if np.isfinite(values).any() else np.nan


def coherence(
    model: Any,
    mdata: MuData,
    *,
    shared_label: str,
    modalities: str | Sequence[str] | None = None,
    n_unconditional: int = 1000,
    n_conditional: int | None = None,
    classifier: Any = "logistic",
    split: str = "split",
    test_size: float = 0.2,
    random_state: int = 0,
    seed: int | None = None,
) -> CoherenceResult:
    """Self, cross and unconditional coherence of generated images (image modalities only).

    A classifier per modality is trained on real images to predict ``shared_label``. Conditional
    generations ``e → d`` (``model.impute([e], d)``: shared z from modality ``e``, private w of ``d``
    from the prior) are coherent when the ``d`` classifier recovers the source sample's label; self
    coherence averages ``d → d``, cross coherence averages the pairs ``e ≠ d``. Unconditional samples
    (``model.generate``: z and every w from the priors) are coherent when all modalities' predicted
    labels agree.

    Parameters
    ----------
    model
        Trained model with ``impute``, ``generate`` and a ``registry`` (``modality_names()`` and
        ``registry[m].likelihood``).
    mdata
        The data the classifiers are trained on; conditional generation uses its held-out samples.
    shared_label
        ``mdata.obs`` column of the label all modalities share (e.g. digit).
    modalities
        Image modalities to evaluate; default: all of the model's image modalities. Coherence
        needs classifiers of generated images, so it is defined for image modalities only
        (likelihood ``"image"``); any other modality raises a ``ValueError``.
    n_unconditional
        Number of unconditional samples.
    n_conditional
        At most this many held-out samples (random, seeded) per source modality; default: all.
    classifier
        ``"logistic"`` (``LogisticRegression(max_iter=1000)`` on pixels), ``"cnn"``
        (:class:`ImageCNNClassifier`, needs ``uns["image_shape"]``), an unfitted sklearn-style
        estimator (cloned per modality), or ``{modality: fitted classifier}`` with ``predict``.
    split
        ``mdata.obs`` column with ``"train"``/``"test"`` values (classifiers are fit on train and
        scored, like the conditional generations, on test); when absent, a random split.
    test_size
        Held-out fraction of the random split.
    random_state
        Seed of the split, the sub-sampling, the classifiers and the generations.
    seed
        Deprecated name of ``random_state`` (``FutureWarning``).

    Returns
    -------
    :class:`CoherenceResult`.
    """
    random_state = resolve_random_state(random_state, seed, where="coherence")
    mods = image_modalities(model, as_list(modalities) or None, what="coherence")
    for m in mods:
        if m not in mdata.mod:
            raise KeyError(f"modality {m!r} not found in mdata.mod ({list(mdata.mod)})")
    y_raw, ok = label_array(mdata, shared_label, what="shared_label")
    y = np.where(ok, y_raw.astype(str), "")
    train, test = split_masks(
        mdata,
        split=split if split in mdata.obs.columns else None,
        test_size=test_size,
        random_state=random_state,
    )
    train, test = train & ok, test & ok
    clfs, acc = _classifiers(classifier, mdata, mods, y, train, test, random_state)
    rng = np.random.default_rng(random_state)

    matrix = pd.DataFrame(
        np.nan, index=pd.Index(mods, name="source"), columns=pd.Index(mods, name="target")
    )
    for e in mods:
        idx = np.flatnonzero(test & modality_matrix(mdata, e)[1])
        if n_conditional is not None and len(idx) > n_conditional:
            idx = np.sort(rng.choice(idx, n_conditional, replace=False))
        if len(idx) == 0:
            continue
        for d in mods:
            # indices are rows of ``mdata``, which need not be the MuData the model was trained on
            gen = model.impute(
                [e], d, indices=idx, mdata=mdata, seed=random_state, return_numpy=True
            )
            matrix.loc[e, d] = float(np.mean(clfs[d].predict(gen).astype(str) == y[idx]))

    samples = model.generate(n_unconditional, seed=random_state, return_numpy=True)
    preds = np.stack([clfs[m].predict(samples[m]).astype(str) for m in mods])
    unconditional = float(np.mean((preds == preds[0]).all(axis=0)))

    diag = np.eye(len(mods), dtype=bool)
    values = matrix.to_numpy()
    return CoherenceResult(
        self_coherence=_finite_mean(values[diag]),
        cross_coherence=_finite_mean(values[~diag]),
        unconditional=unconditional,
        matrix=matrix,
        classifier_accuracy=pd.Series(acc, name="accuracy"),
    )
