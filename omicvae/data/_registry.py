"""The data registry: which modalities, where their values live, and how they are modelled."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from mudata import MuData

from omicvae._logging import logger
from omicvae.distributions import infer_likelihood, likelihood_class

from ._access import (
    check_coverage,
    check_global_obs_names,
    check_is_mudata,
    read_modality,
    where,
)
from ._batch import batch_categories, batch_column
from ._library import library_log_stats
from ._validate import (
    check_finite,
    check_layer_name,
    check_likelihood_name,
    check_modality_values,
    check_pairing,
    normalise_mapping,
    normalise_modalities,
    parse_image_shape,
    resolve_n_categories,
    summarize_values,
)

REGISTRY_VERSION = 1

SETUP_UNS_KEY = "omicvae_setup"
"""``mdata.uns`` key where ``setup_mudata`` records the registry (:meth:`DataRegistry.to_uns`), the
only thing it writes into the user's MuData; copies, subsets and re-read ``.h5mu`` files keep it."""


@dataclass(frozen=True)
class ModalitySpec:
    """How one modality is read and modelled.

    Attributes
    ----------
    name
        Key in ``mdata.mod``.
    layer
        Layer holding the values; None for ``.X``.
    likelihood
        A registered likelihood name (:func:`omicvae.distributions.likelihood_names`).
    n_features
        Number of variables (sequence length for a likelihood with ``needs_n_categories``).
    var_names
        The modality's ``var_names`` at setup, in order.
    image_shape
        ``(C, H, W)`` for a likelihood with convolutional networks (``network == "conv"``, e.g.
        ``"image"``), else None.
    n_categories
        Vocabulary size (token ids ``0..n_categories-1``) for a likelihood with
        ``needs_n_categories`` (``"categorical"``), else None.
    likelihood_inferred
        True when the likelihood was inferred from the values rather than given.
    library_log_mean, library_log_std
        For a likelihood with ``needs_library`` (``"nb"``, ``"zinb"``): mean and std of
        ``log(row total)`` over the observed samples with a positive total; None otherwise.
    """

    name: str
    layer: str | None
    likelihood: str
    n_features: int
    var_names: tuple[str, ...]
    image_shape: tuple[int, int, int] | None
    n_categories: int | None
    likelihood_inferred: bool
    library_log_mean: float | None
    library_log_std: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable representation."""
        d = asdict(self)
        d["var_names"] = list(self.var_names)
        d["image_shape"] = None if self.image_shape is None else list(self.image_shape)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModalitySpec:
        """Inverse of :meth:`to_dict`."""
        _require_keys(d, tuple(cls.__dataclass_fields__), "modality spec")
        check_likelihood_name(d["name"], d["likelihood"])
        var_names = tuple(str(v) for v in d["var_names"])
        if len(var_names) != int(d["n_features"]):
            raise ValueError(
                f"modality spec {d['name']!r}: {len(var_names)} var_names for n_features = "
                f"{d['n_features']}"
            )
        return cls(
            name=str(d["name"]),
            layer=_optional(str, d["layer"]),
            likelihood=str(d["likelihood"]),
            n_features=int(d["n_features"]),
            var_names=var_names,
            image_shape=_optional(lambda shape: tuple(int(v) for v in shape), d["image_shape"]),
            n_categories=_optional(int, d["n_categories"]),
            likelihood_inferred=bool(d["likelihood_inferred"]),
            library_log_mean=_optional(float, d["library_log_mean"]),
            library_log_std=_optional(float, d["library_log_std"]),
        )


@dataclass(frozen=True)
class DataRegistry:
    """What :func:`setup_registry` recorded about a MuData: modalities and batch covariate.

    Attributes
    ----------
    modalities
        One :class:`ModalitySpec` per selected modality, in the model's modality order.
    batch_key
        Column of ``mdata.obs`` holding the batch, or None.
    batch_categories
        The batch categories (as strings) in code order; ``()`` without ``batch_key``.
    """

    modalities: tuple[ModalitySpec, ...]
    batch_key: str | None
    batch_categories: tuple[str, ...]

    def modality_names(self) -> tuple[str, ...]:
        """Names of the registered modalities, in order."""
        return tuple(spec.name for spec in self.modalities)

    def __getitem__(self, name: str) -> ModalitySpec:
        for spec in self.modalities:
            if spec.name == name:
                return spec
        raise KeyError(
            f"modality {name!r} is not registered; registered modalities: "
            f"{list(self.modality_names())}"
        )

    def __contains__(self, name: object) -> bool:
        return name in self.modality_names()

    @property
    def n_batch(self) -> int:
        """Number of batch categories (0 without ``batch_key``)."""
        return len(self.batch_categories)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable representation (plain lists, str, int, float, bool, None)."""
        return {
            "version": REGISTRY_VERSION,
            "modalities": [spec.to_dict() for spec in self.modalities],
            "batch_key": self.batch_key,
            "batch_categories": list(self.batch_categories),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DataRegistry:
        """Inverse of :meth:`to_dict`."""
        _require_keys(d, ("modalities", "batch_key", "batch_categories"), "data registry")
        version = d.get("version", REGISTRY_VERSION)
        if version != REGISTRY_VERSION:
            raise ValueError(
                f"data registry version {version!r} is not supported (expected {REGISTRY_VERSION})"
            )
        return cls(
            modalities=tuple(ModalitySpec.from_dict(m) for m in d["modalities"]),
            batch_key=_optional(str, d["batch_key"]),
            batch_categories=tuple(str(c) for c in d["batch_categories"]),
        )

    def to_uns(self) -> dict[str, Any]:
        """The registry as ``mdata.uns`` can hold and ``.h5mu`` files can store.

        Like :meth:`to_dict`, but the modalities are a dict keyed by name (HDF5 stores no list of
        dicts) with their order in ``"modality_order"``. :meth:`from_uns` reads it back, also after
        a ``write_h5mu`` / ``read_h5mu`` round trip (which turns lists into numpy arrays).
        """
        return self.to_dict() | {
            "modality_order": list(self.modality_names()),
            "modalities": {spec.name: spec.to_dict() for spec in self.modalities},
        }

    @classmethod
    def from_uns(cls, d) -> DataRegistry:
        """Inverse of :meth:`to_uns` (numpy arrays and numpy scalars from an ``.h5mu`` accepted)."""
        _require_keys(
            d,
            ("modality_order", "modalities", "batch_key", "batch_categories"),
            f"mdata.uns[{SETUP_UNS_KEY!r}]",
        )
        order = [str(name) for name in _plain_field(d["modality_order"]) or []]
        missing = [name for name in order if name not in d["modalities"]]
        if missing:
            raise KeyError(
                f"mdata.uns[{SETUP_UNS_KEY!r}] lists the modalities {missing} in 'modality_order' "
                "but has no entry for them in 'modalities'"
            )
        return cls.from_dict(
            {
                "version": _plain_scalar(d.get("version", REGISTRY_VERSION)),
                "modalities": [
                    {k: _plain_field(v) for k, v in dict(d["modalities"][name]).items()}
                    for name in order
                ],
                "batch_key": _plain_scalar(d["batch_key"]),
                "batch_categories": _plain_field(d["batch_categories"]) or [],
            }
        )


def _plain_scalar(value):
    """A numpy scalar as the Python scalar it holds; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _plain_field(value):
    """A value read from uns as plain Python: arrays -> lists, numpy scalars -> Python scalars."""
    if isinstance(value, np.ndarray):
        return [_plain_scalar(v) for v in value.ravel().tolist()]
    return _plain_scalar(value)


def write_setup(mdata: MuData, registry: DataRegistry) -> None:
    """Record ``registry`` in ``mdata.uns[SETUP_UNS_KEY]`` (the one key ``setup_mudata`` writes)."""
    mdata.uns[SETUP_UNS_KEY] = registry.to_uns()


def read_setup(mdata: MuData, model_name: str = "IDMVAE") -> DataRegistry:
    """The registry ``setup_mudata`` recorded in ``mdata.uns[SETUP_UNS_KEY]``.

    Parameters
    ----------
    mdata
        A MuData set up with ``setup_mudata``, or a copy, subset or re-read ``.h5mu`` of one.
    model_name
        Class named in the message when ``mdata`` was not set up.

    Raises
    ------
    TypeError
        When ``mdata`` is not a MuData.
    ValueError
        When ``mdata`` was not set up, or its record cannot be read.
    """
    check_is_mudata(mdata)
    record = mdata.uns.get(SETUP_UNS_KEY)
    if record is None:
        raise ValueError(
            f"this MuData has not been set up (no mdata.uns[{SETUP_UNS_KEY!r}]): call "
            f"{model_name}.setup_mudata(mdata, ...) before {model_name}(mdata)"
        )
    try:
        return DataRegistry.from_uns(record)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(
            f"mdata.uns[{SETUP_UNS_KEY!r}] cannot be read as an omicvae setup ({err}); call "
            f"{model_name}.setup_mudata(mdata, ...) again"
        ) from None


def _require_keys(d, keys, what: str) -> None:
    if not isinstance(d, Mapping):
        raise TypeError(f"{what} must be a dict, got {type(d).__name__}")
    missing = [k for k in keys if k not in d]
    if missing:
        raise KeyError(f"{what} is missing the fields {missing}")


def _optional(convert, value):
    """``convert(value)``, or None for None."""
    return None if value is None else convert(value)


# --------------------------------------------------------------------------------------------------
# setup


def setup_registry(
    mdata: MuData,
    modalities=None,
    layers: dict[str, str | None] | None = None,
    likelihoods: dict[str, str] | None = None,
    batch_key: str | None = None,
) -> DataRegistry:
    """Validate a MuData and record how each modality is read and modelled.

    Parameters
    ----------
    mdata
        The data; never modified.
    modalities
        Names in ``mdata.mod`` to use, in order (default: all).
    layers
        ``{modality: layer}``; modalities not listed use ``.X``.
    likelihoods
        ``{modality: likelihood}``; modalities not listed have theirs inferred by the registered
        likelihoods' inference rules and reported with ``logger.info``: ``uns['image_shape']``
        present -> ``"image"``, all values 0/1 -> ``"bernoulli"``, non-negative integers ->
        ``"nb"``, otherwise ``"normal"``.
    batch_key
        Column of ``mdata.obs`` with a categorical batch covariate.

    Returns
    -------
    DataRegistry

    Raises
    ------
    TypeError, KeyError, ValueError
        With a message naming the modality or argument and what was expected; a ValueError too
        when two or more modalities share no sample.

    Warns
    -----
    UserWarning
        When one modality only is registered, or fewer than half of a modality's samples are in
        another modality too.
    """
    check_is_mudata(mdata)
    check_global_obs_names(mdata)
    names = normalise_modalities(mdata, modalities)
    layers = normalise_mapping(mdata, layers, "layers", names)
    likelihoods = normalise_mapping(mdata, likelihoods, "likelihoods", names)

    covered = np.zeros(mdata.n_obs, dtype=bool)
    specs = []
    rows = {}
    for name in names:
        spec, rows[name] = _setup_modality(mdata, name, layers.get(name), likelihoods.get(name))
        covered[rows[name]] = True
        specs.append(spec)
    check_coverage(mdata, covered, names)
    check_pairing(rows, mdata.n_obs)

    categories = () if batch_key is None else batch_categories(batch_column(mdata, batch_key))

    if len(names) == 1:
        warnings.warn(
            f"only one modality ({names[0]!r}) is registered: the shared/private split is "
            "undefined, so the shared z and the private w both describe that one modality",
            UserWarning,
            stacklevel=2,
        )
    return DataRegistry(modalities=tuple(specs), batch_key=batch_key, batch_categories=categories)


def _setup_modality(mdata: MuData, name: str, layer, likelihood) -> tuple[ModalitySpec, np.ndarray]:
    """Validate one modality and build its spec; also return its global row positions."""
    check_layer_name(name, layer)
    if likelihood is not None:
        check_likelihood_name(name, likelihood)
    adata, matrix, positions = read_modality(mdata, name, layer)
    summary = summarize_values(matrix)
    check_finite(summary, name, layer)  # before inference, which reads finite values only

    raw_shape = adata.uns.get("image_shape")
    inferred = likelihood is None
    if inferred:
        likelihood, reason = infer_likelihood(summary, raw_shape)
        logger.info(f"modality {name!r}: likelihood inferred as {likelihood!r} ({reason})")

    kind = likelihood_class(likelihood)
    image_shape = None
    if kind.network == "conv":
        image_shape = parse_image_shape(raw_shape, name, adata.n_vars, likelihood)
    n_categories = None
    if kind.needs_n_categories:
        n_categories = resolve_n_categories(adata.uns.get("n_categories"), summary, name)
    check_modality_values(matrix, name, layer, likelihood, n_categories, summary=summary)

    log_mean = log_std = None
    if kind.needs_library:
        stats = library_log_stats(matrix)
        if stats is None:
            raise ValueError(
                f"modality {name!r}: likelihood {likelihood!r} needs counts, but every sample has "
                f"a total of 0 in {where(layer)}"
            )
        log_mean, log_std = stats

    spec = ModalitySpec(
        name=name,
        layer=layer,
        likelihood=likelihood,
        n_features=int(adata.n_vars),
        var_names=tuple(str(v) for v in adata.var_names),
        image_shape=image_shape,
        n_categories=n_categories,
        likelihood_inferred=inferred,
        library_log_mean=log_mean,
        library_log_std=log_std,
    )
    return spec, positions
