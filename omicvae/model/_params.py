"""Flat views of the typed configuration (:mod:`omicvae._config`) for the user API: defaults,
presets, validation of the API's arguments."""

from __future__ import annotations

from numbers import Real

from .._config import (
    DEFAULT_CONFIG,
    IMAGE_PRESET,
    non_negative,
    positive,
    positive_int,
    preset_config,
)
from .._config import PRESETS as PRESET_CONFIGS
from ..distributions import likelihood_class

DEFAULTS: dict = DEFAULT_CONFIG.to_flat()
"""The package defaults as ``{setting: value}``."""

PRESETS: dict[str, dict] = {
    name: {k: v for k, v in config.to_flat().items() if v != DEFAULTS[k]}
    for name, config in PRESET_CONFIGS.items()
}
"""Each preset as the settings in which it differs from :data:`DEFAULTS`."""


def resolve_preset(preset: str | None, params: dict) -> dict:
    """Explicit ``params`` on top of the named preset (``None``: the defaults)."""
    if preset is None:
        return dict(params)
    preset_config(preset)  # a clear error for an unknown name
    return {**PRESETS[preset], **params}


def data_preset(registry) -> str | None:
    """``"images"`` when every modality is an image (the package defaults were chosen on omics),
    else None."""
    kinds = {likelihood_class(spec.likelihood).network for spec in registry.modalities}
    return IMAGE_PRESET if kinds == {"conv"} else None


def check_train_arguments(
    max_epochs, batch_size, lr, weight_decay, train_size, early_stopping_patience
) -> None:
    """Validate the arguments of :meth:`IDMVAE.train` (``max_epochs=None``: the size-aware default)."""
    if max_epochs is not None:
        positive_int("max_epochs", max_epochs)
    positive_int("batch_size", batch_size)
    positive("lr", lr)
    non_negative("weight_decay", weight_decay)
    positive_int("early_stopping_patience", early_stopping_patience)
    if isinstance(train_size, bool) or not isinstance(train_size, Real) or not 0 < train_size <= 1:
        raise ValueError(f"train_size must be in (0, 1], got {train_size!r}")


def check_image_modalities(registry) -> None:
    """The convolutional networks take square 32x32 or 64x64 images."""
    for spec in registry.modalities:
        if likelihood_class(spec.likelihood).network != "conv":
            continue
        _, h, w = spec.image_shape
        if h != w or h not in (32, 64):
            raise ValueError(
                f"modality {spec.name!r}: the image networks support 32x32 and 64x64 images, got "
                f"image_shape {tuple(spec.image_shape)}; resize the images first"
            )
