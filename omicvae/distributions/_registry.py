"""The likelihood registry: likelihood names -> :class:`Likelihood` subclasses.

Every question the rest of the package asks about a likelihood by name (does it need a library
size, which networks does it use, which values does it accept, when is it inferred from data) is
answered by the registered class, so adding a likelihood means writing and registering one class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._base import Likelihood

NETWORKS = ("mlp", "conv")
"""Network kinds a likelihood may ask for: fully connected, or convolutional (needs ``image_shape``)."""

_REGISTRY: dict[str, type[Likelihood]] = {}


def register_likelihood(cls: type[Likelihood]) -> type[Likelihood]:
    """Register a :class:`Likelihood` subclass under its ``name`` (usable as a class decorator).

    Parameters
    ----------
    cls
        The likelihood class. It must set ``name`` and may set ``needs_library``,
        ``needs_n_categories``, ``network`` and an inference rule (``infer_priority`` with
        :meth:`~Likelihood.infer_reason`).

    Returns
    -------
    type
        ``cls`` itself.

    Raises
    ------
    ValueError
        When the name is empty or taken by another class, the network kind is unknown, or the
        inference priority is used by another registered likelihood.
    """
    name = cls.name
    if not isinstance(name, str) or not name:
        raise ValueError(f"{cls.__qualname__} needs a non-empty string `name` to be registered")
    previous = _REGISTRY.get(name, cls)
    # the same class defined again (a reloaded module) replaces the previous one
    if (previous.__module__, previous.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(
            f"likelihood {name!r} is already registered by {previous.__module__}."
            f"{previous.__qualname__}"
        )
    if cls.network not in NETWORKS:
        raise ValueError(
            f"likelihood {name!r}: network must be one of {list(NETWORKS)}, got {cls.network!r}"
        )
    if cls.infer_priority is not None:
        for other in _REGISTRY.values():
            if other.name != name and other.infer_priority == cls.infer_priority:
                raise ValueError(
                    f"likelihood {name!r}: inference priority {cls.infer_priority} is already "
                    f"used by {other.name!r}"
                )
    _REGISTRY[name] = cls
    return cls


def unregister_likelihood(name: str) -> None:
    """Remove the likelihood called ``name`` from the registry (for plugins and tests)."""
    if name not in _REGISTRY:
        raise KeyError(f"likelihood {name!r} is not registered")
    del _REGISTRY[name]


def likelihood_class(name: str) -> type[Likelihood]:
    """The class registered under ``name``.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the registered names.
    """
    if isinstance(name, str) and name in _REGISTRY:
        return _REGISTRY[name]
    raise ValueError(
        f"unknown likelihood {name!r}; expected one of {', '.join(likelihood_names())}"
    )


def likelihood_names(*, needs_library: bool | None = None) -> tuple[str, ...]:
    """Registered names in registration order, optionally only those that need (or not) a library."""
    return tuple(
        name
        for name, cls in _REGISTRY.items()
        if needs_library is None or cls.needs_library == needs_library
    )


def registered_likelihoods() -> dict[str, type[Likelihood]]:
    """A copy of the registry, ``{name: class}`` in registration order."""
    return dict(_REGISTRY)


def infer_likelihood(summary, image_shape) -> tuple[str, str]:
    """Choose a likelihood from a modality's values with the registered inference rules.

    Rules are tried from the highest ``infer_priority`` down; the first whose
    :meth:`~Likelihood.infer_reason` returns a reason wins.

    Parameters
    ----------
    summary
        The modality's :class:`~omicvae.data._validate.ValueSummary`.
    image_shape
        The raw ``uns['image_shape']`` of the modality, or None.

    Returns
    -------
    tuple of str
        ``(likelihood name, reason)``, the reason for the log message.
    """
    rules = sorted(
        (cls for cls in _REGISTRY.values() if cls.infer_priority is not None),
        key=lambda cls: cls.infer_priority,
        reverse=True,
    )
    for cls in rules:
        reason = cls.infer_reason(summary, image_shape)
        if reason is not None:
            return cls.name, reason
    raise ValueError("no registered likelihood's inference rule matches these values")


def make_likelihood(
    name: str,
    n_features: int,
    *,
    n_categories: int | None = None,
    image_scale: float = 0.75,
    image_family: str = "laplace",
) -> Likelihood:
    """Build the likelihood registered as ``name`` for a modality with ``n_features`` features.

    Parameters
    ----------
    name
        A registered likelihood name (see :func:`likelihood_names`).
    n_features
        Number of features of the modality.
    n_categories, image_scale, image_family
        Options; each likelihood takes those it uses (see its ``from_options``).

    Returns
    -------
    Likelihood
    """
    return likelihood_class(name).from_options(
        n_features, n_categories=n_categories, image_scale=image_scale, image_family=image_family
    )
