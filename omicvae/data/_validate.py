"""Validation of setup arguments and of data values against a likelihood.

Values are scanned once into a :class:`ValueSummary` (counts of NaN, negative, non-integer, ...);
inference and every likelihood check then read the summary. Sparse matrices are scanned on their
stored values only, the implicit zeros being accounted for without densifying. What each likelihood
accepts, and when it is inferred, is declared by its class in the likelihood registry
(:mod:`omicvae.distributions`).
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from mudata import MuData

from omicvae.distributions import likelihood_class, likelihood_names

from ._access import iter_row_chunks, where

# --------------------------------------------------------------------------------------------------
# setup arguments


def normalise_modalities(mdata: MuData, modalities) -> tuple[str, ...]:
    """Validate the ``modalities`` argument and return the selected names in the given order."""
    known = list(mdata.mod)
    if modalities is None:
        return tuple(known)
    if isinstance(modalities, str):
        raise TypeError(
            f"modalities must be a list of modality names, not a string; use "
            f"modalities=[{modalities!r}]"
        )
    if not isinstance(modalities, Iterable):
        raise TypeError(
            f"modalities must be a list of modality names, got {type(modalities).__name__}"
        )
    names = list(modalities)
    if not names:
        raise ValueError(f"modalities is empty; choose at least one of {known}")
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"modalities must hold strings, got {name!r} ({type(name).__name__})")
        if name not in mdata.mod:
            raise KeyError(f"unknown modality {name!r} in modalities; mdata.mod has {known}")
    if len(set(names)) != len(names):
        raise ValueError(f"modalities lists a modality more than once: {names}")
    return tuple(names)


def normalise_mapping(mdata: MuData, mapping, field: str, selected: tuple[str, ...]) -> dict:
    """Validate a per-modality dict argument (``layers`` or ``likelihoods``) and return a copy.

    Keys must be selected modalities: a name missing from ``mdata.mod`` raises KeyError, a known but
    unselected modality raises ValueError.
    """
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{field} must be a dict {{modality: value}}, got {type(mapping).__name__}")
    for key in mapping:
        if key not in mdata.mod:
            raise KeyError(
                f"{field} names unknown modality {key!r}; mdata.mod has {list(mdata.mod)}"
            )
        if key not in selected:
            raise ValueError(
                f"{field} names modality {key!r}, which is not among the selected modalities "
                f"{list(selected)}"
            )
    return dict(mapping)


def check_pairing(positions: Mapping[str, np.ndarray], n_obs: int) -> None:
    """Refuse modalities that share no sample; warn about a modality whose samples are mostly unpaired.

    ``positions`` maps each selected modality to the global rows of its samples (among ``n_obs``).
    The shared latent is learnt from samples observed in two or more modalities, so modalities
    whose sample names (``obs_names``) do not match, e.g. after one was renamed, leave it nothing
    to learn from. The warning is for a modality of which fewer than half of the samples are in
    another modality too.
    """
    if len(positions) < 2:
        return
    n_modalities = np.zeros(n_obs, dtype=np.int64)
    for rows in positions.values():
        n_modalities[rows] += 1
    shared = n_modalities >= 2
    n_shared = int(shared.sum())
    sizes = ", ".join(f"{name!r} has {len(rows)}" for name, rows in positions.items())
    hint = "check that the modalities name the same samples alike (their obs_names)"
    if n_shared == 0:
        raise ValueError(
            f"no sample is in two or more of the modalities {list(positions)} ({sizes} samples, "
            f"0 shared): the shared latent is learnt from samples seen in several modalities; "
            f"{hint}"
        )
    for name, rows in positions.items():
        paired = int(shared[rows].sum())
        if 2 * paired < len(rows):
            warnings.warn(
                f"modality {name!r}: only {paired} of its {len(rows)} samples are also in another "
                f"modality ({sizes} samples, {n_shared} shared by two or more); {hint}",
                UserWarning,
                stacklevel=2,
            )


def check_layer_name(name: str, layer) -> None:
    """Raise a TypeError unless a layer argument is None or a string."""
    if layer is not None and not isinstance(layer, str):
        raise TypeError(
            f"modality {name!r}: layer must be a layer name (str) or None for .X, got {layer!r}"
        )


def check_likelihood_name(name: str, likelihood) -> None:
    """Raise a ValueError unless ``likelihood`` is a registered likelihood name."""
    known = likelihood_names()
    if not isinstance(likelihood, str) or likelihood not in known:
        raise ValueError(
            f"modality {name!r}: unknown likelihood {likelihood!r}; expected one of {list(known)}"
        )


# --------------------------------------------------------------------------------------------------
# value summary


@dataclass
class ValueSummary:
    """Counts describing the values of one matrix (finite values only, except ``n_nan``/``n_inf``)."""

    n_values: int = 0
    n_nan: int = 0
    n_inf: int = 0
    n_negative: int = 0
    n_non_integer: int = 0
    n_non_binary: int = 0
    n_outside_unit: int = 0
    min: float = np.inf
    max: float = -np.inf
    example_non_integer: float | None = None
    example_non_binary: float | None = None

    def add(self, values: np.ndarray) -> None:
        """Accumulate the statistics of a block of values (any shape)."""
        if values.dtype == np.bool_:
            values = values.view(np.uint8)
        if np.issubdtype(values.dtype, np.floating):
            nan = np.isnan(values)
            inf = np.isinf(values)
            self.n_nan += int(nan.sum())
            self.n_inf += int(inf.sum())
            finite = values[~(nan | inf)] if (nan.any() or inf.any()) else values.ravel()
            non_integer = finite != np.round(finite)
        else:
            finite = values.ravel()
            non_integer = np.zeros(finite.shape, dtype=bool)
        if finite.size == 0:
            return
        self.n_negative += int((finite < 0).sum())
        self.n_non_integer += int(non_integer.sum())
        non_binary = (finite != 0) & (finite != 1)
        self.n_non_binary += int(non_binary.sum())
        self.n_outside_unit += int(((finite < 0) | (finite > 1)).sum())
        self.min = min(self.min, float(finite.min()))
        self.max = max(self.max, float(finite.max()))
        if self.example_non_integer is None and non_integer.any():
            self.example_non_integer = float(finite[non_integer][0])
        if self.example_non_binary is None and non_binary.any():
            self.example_non_binary = float(finite[non_binary][0])


def summarize_values(matrix) -> ValueSummary:
    """Scan a dense array (in row chunks) or a sparse matrix (its stored values) once."""
    summary = ValueSummary(n_values=int(matrix.shape[0]) * int(matrix.shape[1]))
    if sp.issparse(matrix):
        summary.add(np.asarray(matrix.data))
        if matrix.nnz < summary.n_values:  # the zeros it does not store pass every check
            summary.min = min(summary.min, 0.0)
            summary.max = max(summary.max, 0.0)
        return summary
    for rows in iter_row_chunks(matrix.shape[0]):
        summary.add(np.asarray(matrix[rows]))
    return summary


# --------------------------------------------------------------------------------------------------
# checks and inference


def check_finite(summary: ValueSummary, name: str, layer: str | None) -> None:
    """Raise a ValueError for NaN or infinite values (missing samples are absent rows, not NaN)."""
    loc = where(layer)
    if summary.n_values and summary.n_nan == summary.n_values:
        raise ValueError(
            f"modality {name!r}: all values are NaN in {loc}; a modality needs observed values "
            "(drop the modality or the samples that lack it)"
        )
    if summary.n_nan:
        raise ValueError(
            f"modality {name!r}: found {summary.n_nan} NaN values in {loc}; missing values are not "
            f"supported: remove samples that lack the modality from mdata.mod[{name!r}] instead "
            "(samples may be absent from a modality), or impute them"
        )
    if summary.n_inf:
        raise ValueError(
            f"modality {name!r}: found {summary.n_inf} infinite values in {loc}; values must be finite"
        )


_CHECKED: dict[int, set[tuple[str, int | None]]] = {}
"""``id(matrix)`` -> the ``(likelihood, n_categories)`` its values were checked for; an entry goes
when its matrix is garbage-collected (so an id is never reused while it is here)."""


def check_modality_values(
    matrix,
    name: str,
    layer: str | None,
    likelihood: str,
    n_categories: int | None = None,
    summary: ValueSummary | None = None,
) -> None:
    """The one check of a modality's values: finite, and suited to ``likelihood``.

    ``setup_mudata`` and the tensors built for training both call it; a matrix object already
    checked for the same likelihood (e.g. ``.X`` between ``setup_mudata`` and ``train``) is not
    scanned again. A copy, a subset, a re-read ``.h5mu`` or new data are other objects and are
    checked; edits made in place to a checked matrix are not seen (the tensors may share its
    memory anyway). ``summary`` is the values' :class:`ValueSummary` when the caller has it (setup
    scans once for inference too). Raises a ValueError naming the modality, the layer (None:
    ``.X``) and what was expected.
    """
    signature = (likelihood, n_categories)
    if summary is None:
        if signature in _CHECKED.get(id(matrix), ()):
            return
        summary = summarize_values(matrix)
    check_finite(summary, name, layer)
    likelihood_class(likelihood).check_values(
        summary, modality=name, location=where(layer), n_categories=n_categories
    )
    _remember_checked(matrix, signature)


def _remember_checked(matrix, signature: tuple[str, int | None]) -> None:
    key = id(matrix)
    if key not in _CHECKED:
        try:
            weakref.finalize(matrix, _CHECKED.pop, key, None)
        except TypeError:  # not weakly referenceable: never remembered, always checked
            return
        _CHECKED[key] = set()
    _CHECKED[key].add(signature)


def parse_image_shape(raw, name: str, n_features: int, likelihood: str) -> tuple[int, int, int]:
    """Validate ``uns['image_shape']`` and return it as a tuple of three positive ints.

    ``likelihood`` names the likelihood that asks for the shape (one with convolutional networks),
    for the message when the shape is missing.
    """
    where_ = f"mdata.mod[{name!r}].uns['image_shape']"
    if raw is None:
        raise ValueError(
            f"modality {name!r}: likelihood {likelihood!r} needs {where_} = (C, H, W), which is "
            "missing"
        )
    values = None if isinstance(raw, str) else np.asarray(raw, dtype=object).ravel().tolist()
    if (
        values is None
        or len(values) != 3
        or not all(_is_integral(v) and int(v) > 0 for v in values)
    ):
        raise ValueError(
            f"modality {name!r}: {where_} must be three positive integers (C, H, W), got {raw!r}"
        )
    shape = tuple(int(v) for v in values)
    n_pixels = int(np.prod(shape))
    if n_pixels != n_features:
        raise ValueError(
            f"modality {name!r}: {where_} = {shape} describes C*H*W = {n_pixels} pixels, "
            f"but the modality has {n_features} features"
        )
    return shape


def _is_integral(value) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | np.integer):
        return True
    return isinstance(value, float | np.floating) and float(value).is_integer()


def resolve_n_categories(raw, summary: ValueSummary, name: str) -> int:
    """Vocabulary size of a categorical modality: ``uns['n_categories']`` or max token + 1."""
    if raw is None:
        return int(summary.max) + 1
    if not _is_integral(raw) or int(raw) < 1:
        raise ValueError(
            f"modality {name!r}: mdata.mod[{name!r}].uns['n_categories'] must be a positive "
            f"integer, got {raw!r}"
        )
    return int(raw)
