"""Registries made by ``setup_mudata``, kept beside (never inside) the user's MuData."""

from __future__ import annotations

import weakref

from ..data import DataRegistry

_REGISTRIES: dict[int, DataRegistry] = {}


def remember(mdata, registry: DataRegistry) -> None:
    """Keep ``registry`` for ``mdata`` until the MuData object is garbage-collected."""
    key = id(mdata)
    if key not in _REGISTRIES:
        weakref.finalize(mdata, _REGISTRIES.pop, key, None)
    _REGISTRIES[key] = registry


def recall(mdata, model_name: str) -> DataRegistry:
    """The registry of ``mdata``; a clear error when ``setup_mudata`` was not called on it."""
    try:
        return _REGISTRIES[id(mdata)]
    except KeyError:
        raise ValueError(
            f"this MuData has not been set up: call {model_name}.setup_mudata(mdata, ...) before "
            f"{model_name}(mdata)"
        ) from None
