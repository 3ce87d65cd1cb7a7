"""Names of the embeddings a model writes into ``mdata.obsm`` and the record it keeps in ``mdata.uns``.

One place for both sides: the models write with :func:`obsm_keys` and :func:`record_embeddings`;
``ov.tl`` and ``ov.pl`` find the keys again with :func:`resolve_keys`, so nobody repeats the naming
rule or passes prefixes for the embeddings of the last model trained.

The keys of a model with prefix ``p`` (``key_prefix``; ``"X_idmvae"`` for :class:`IDMVAE`,
``"X_mmvaeplus"`` for :class:`MMVAEPlus`) are ``p + "_shared"`` (joint shared embedding),
``p + "_shared_" + m`` (shared embedding from modality ``m`` alone) and ``p + "_private_" + m``.
The record ``mdata.uns["idmvae"][name]`` (``name``: the class name for the class's own prefix, else
the prefix) holds ``model``, ``key_prefix``, ``shared``, ``shared_modality``, ``private`` and
``hyperparameters``; ``mdata.uns["idmvae"]["latest"]`` names the record written last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ._constants import UNS_KEY
from ._logging import logger

DEFAULT_PREFIX = "X_idmvae"
"""Prefix of :class:`IDMVAE`'s embeddings, used when ``mdata`` records none."""

LATEST = "latest"
"""``mdata.uns["idmvae"][LATEST]``: name of the record written last."""


@dataclass(frozen=True)
class EmbeddingKeys:
    """Where one model's embeddings are in ``mdata.obsm``.

    Attributes
    ----------
    key_prefix
        The prefix the keys were made from.
    shared_key
        Key of the joint shared embedding.
    shared_prefix, private_prefix
        ``shared_prefix + m`` and ``private_prefix + m`` are modality ``m``'s shared and private
        embeddings.
    model
        Class that recorded them (None when the keys come from a prefix alone).
    """

    key_prefix: str
    shared_key: str
    shared_prefix: str
    private_prefix: str
    model: str | None = None

    def shared(self, modality: str) -> str:
        """Key of modality ``modality``'s shared embedding."""
        return self.shared_prefix + modality

    def private(self, modality: str) -> str:
        """Key of modality ``modality``'s private embedding."""
        return self.private_prefix + modality


def check_key_prefix(key_prefix) -> str:
    """Return ``key_prefix`` if it is a non-empty string; raise a TypeError/ValueError otherwise."""
    if not isinstance(key_prefix, str):
        raise TypeError(
            f"key_prefix must be a string such as 'X_idmvae_run2', got {type(key_prefix).__name__}"
        )
    if not key_prefix or key_prefix != key_prefix.strip() or "/" in key_prefix:
        raise ValueError(
            f"key_prefix must be a non-empty name without surrounding spaces or '/' (it names "
            f".obsm keys and .h5mu groups), got {key_prefix!r}"
        )
    return key_prefix


def keys_from_prefix(key_prefix: str, model: str | None = None) -> EmbeddingKeys:
    """The keys a model with prefix ``key_prefix`` writes."""
    return EmbeddingKeys(
        key_prefix=key_prefix,
        shared_key=f"{key_prefix}_shared",
        shared_prefix=f"{key_prefix}_shared_",
        private_prefix=f"{key_prefix}_private_",
        model=model,
    )


def obsm_keys(key_prefix: str, modalities: Iterable[str]) -> dict[str, Any]:
    """``{"shared": key, "shared_mod": {m: key}, "private": {m: key}}`` for a writer."""
    keys = keys_from_prefix(key_prefix)
    names = list(modalities)
    return {
        "shared": keys.shared_key,
        "shared_mod": {m: keys.shared(m) for m in names},
        "private": {m: keys.private(m) for m in names},
    }


def record_embeddings(
    target,
    *,
    model: str,
    key_prefix: str,
    class_prefix: str,
    keys: Mapping[str, Any],
    hyperparameters: Mapping[str, Any],
) -> str:
    """Record what a model wrote in ``target.uns["idmvae"]`` and mark it the latest; returns its name."""
    name = model if key_prefix == class_prefix else key_prefix
    record = dict(target.uns.get(UNS_KEY, {}))
    record[name] = {
        "model": model,
        "key_prefix": key_prefix,
        "shared": keys["shared"],
        "shared_modality": dict(keys["shared_mod"]),
        "private": dict(keys["private"]),
        "hyperparameters": dict(hyperparameters),
    }
    record[LATEST] = name
    target.uns[UNS_KEY] = record
    return name


def recorded_keys(mdata) -> dict[str, EmbeddingKeys]:
    """``{record name: EmbeddingKeys}`` of every model recorded in ``mdata.uns["idmvae"]``."""
    store = mdata.uns.get(UNS_KEY)
    out: dict[str, EmbeddingKeys] = {}
    if not isinstance(store, Mapping):
        return out
    for name, record in store.items():
        if not isinstance(record, Mapping) or "shared" not in record:
            continue
        prefix = record.get("key_prefix")
        if prefix is None:  # written before records named their prefix
            prefix = str(record["shared"]).removesuffix("_shared")
        out[str(name)] = keys_from_prefix(str(prefix), model=str(record.get("model", name)))
    return out


def resolve_keys(
    mdata,
    key_prefix: str | None = None,
    *,
    shared_key: str | None = None,
    shared_prefix: str | None = None,
    private_prefix: str | None = None,
) -> EmbeddingKeys:
    """The embedding keys an analysis reads: explicit arguments, else what a model recorded.

    Parameters
    ----------
    mdata
        The data.
    key_prefix
        A model's ``key_prefix`` (e.g. ``"X_mmvaeplus"``); default: the embeddings recorded in
        ``mdata.uns["idmvae"]`` — those written last when several models wrote some — and
        ``"X_idmvae"`` when none is recorded.
    shared_key, shared_prefix, private_prefix
        Explicit keys; each overrides its part of what ``key_prefix`` or the record gives.
    """
    if key_prefix is not None:
        check_key_prefix(key_prefix)
        recorded = {k.key_prefix: k for k in recorded_keys(mdata).values()}
        keys = recorded.get(key_prefix, keys_from_prefix(key_prefix))
    else:
        keys = _latest(mdata)
    given = dict(shared_key=shared_key, shared_prefix=shared_prefix, private_prefix=private_prefix)
    return replace(keys, **{field: key for field, key in given.items() if key is not None})


def _latest(mdata) -> EmbeddingKeys:
    records = recorded_keys(mdata)
    if not records:
        return keys_from_prefix(DEFAULT_PREFIX)
    if len(records) == 1:
        return next(iter(records.values()))
    latest = mdata.uns[UNS_KEY].get(LATEST)
    name = latest if latest in records else list(records)[-1]
    logger.info(
        f"using the embeddings {records[name].key_prefix!r}_* written last (by "
        f"{records[name].model}); mdata also holds {sorted(set(records) - {name})}: pass "
        "key_prefix= to choose"
    )
    return records[name]
