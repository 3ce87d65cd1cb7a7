"""Hyper-parameters of the model: defaults, named presets and validation.

The defaults are the paper's TCGA setting plus three changes selected on TCGA-BRCA validation
patients (``benchmarks/results/tcga_brca_search.json``): encoder inputs are standardised with
training statistics, the encoder / decoder MLPs are twice as wide (256-128 / 128-256 instead of
128-64 / 64-128) and the diffusion denoisers are 128 wide instead of 512; and two changes chosen on
the simulations with known shared and private factors (``benchmarks/disentanglement.py``), which keep
the shared information out of the private codes: separate z and w towers in the MLP encoders and the
independence term (``independence_weight=10``). ``preset="paper_tcga"`` restores the published
setting exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real

from ..distributions import ImageLikelihood, likelihood_class
from ..nn._mlp import _ACTIVATIONS

DEFAULTS: dict = {
    "n_shared": 16,
    "n_private": 32,
    "cross_mi_weight": 10.0,
    "gen_aug_weight": 1e-3,
    "independence_weight": 10.0,
    "diffusion_prior": True,
    "diffusion_weight": 0.1,
    "beta": 2.5,
    "encoder_hidden": (256, 128),
    "decoder_hidden": (128, 256),
    "separate_towers": True,
    "activation": "relu",
    "dropout": 0.0,
    "layer_norm": False,
    "likelihood_scale": None,
    "image_scale": 0.75,
    "image_family": "laplace",
    "diffusion_hidden": 128,
    "diffusion_steps": 1000,
    "diffusion_sample_steps": 100,
    "temperature": 1.0,
    "standardize_inputs": True,
    "conv_channels": (32, 64, 128, 256),
}

PRESETS: dict[str, dict] = {
    # method.md §3, TCGA column: exactly the published setting
    "paper_tcga": {
        "independence_weight": 0.0,
        "separate_towers": False,
        "standardize_inputs": False,
        "encoder_hidden": (128, 64),
        "decoder_hidden": (64, 128),
        "diffusion_hidden": 512,
    },
    # method.md §3, PolyMNIST-Quadrant column (images are never standardised)
    "paper_polymnist": {
        "n_shared": 32,
        "n_private": 128,
        "cross_mi_weight": 80.0,
        "gen_aug_weight": 20.0,
        "independence_weight": 0.0,
        "diffusion_weight": 1.0,
        "beta": 2.5,
        "image_scale": 0.75,
        "diffusion_hidden": 512,
    },
}


def resolve_preset(preset: str | None, params: dict) -> dict:
    """Explicit ``params`` on top of the named preset (``None``: the defaults)."""
    if preset is None:
        return dict(params)
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; expected None or one of {sorted(PRESETS)}")
    return {**PRESETS[preset], **params}


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _non_negative(name, value):
    if isinstance(value, bool) or not isinstance(value, Real) or not value >= 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def check_hyperparameters(params: dict, modality_names) -> dict:
    """Validate ``params`` (all keys of :data:`DEFAULTS`); return them with tuples normalised."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown hyper-parameters {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    for name in (
        "n_shared",
        "n_private",
        "diffusion_hidden",
        "diffusion_steps",
        "diffusion_sample_steps",
    ):
        _positive_int(name, p[name])
    for name in (
        "cross_mi_weight",
        "gen_aug_weight",
        "independence_weight",
        "diffusion_weight",
        "beta",
    ):
        _non_negative(name, p[name])
    for name in ("image_scale", "temperature"):
        _positive(name, p[name])
    if p["diffusion_sample_steps"] > p["diffusion_steps"]:
        raise ValueError(
            f"diffusion_sample_steps ({p['diffusion_sample_steps']}) cannot exceed diffusion_steps ({p['diffusion_steps']})"
        )
    if not (isinstance(p["dropout"], Real) and 0 <= p["dropout"] < 1):
        raise ValueError(f"dropout must be in [0, 1), got {p['dropout']!r}")
    for name in ("encoder_hidden", "decoder_hidden", "conv_channels"):
        widths = p[name]
        if isinstance(widths, Integral):
            widths = (widths,)
        widths = tuple(widths)
        for width in widths:
            _positive_int(f"every width in {name}", width)
        p[name] = widths
    if p["activation"] not in _ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(_ACTIVATIONS)}, got {p['activation']!r}"
        )
    if p["image_family"] not in ImageLikelihood.families:
        raise ValueError(
            f"image_family must be one of {ImageLikelihood.families}, got {p['image_family']!r}"
        )
    for name in ("diffusion_prior", "separate_towers", "layer_norm", "standardize_inputs"):
        if not isinstance(p[name], bool):
            raise TypeError(f"{name} must be True or False, got {p[name]!r}")
    scale = p["likelihood_scale"]
    if scale is not None:
        if not isinstance(scale, Mapping):
            raise TypeError(
                f"likelihood_scale must be a dict {{modality: scale}}, got {type(scale).__name__}"
            )
        for mod, value in scale.items():
            if mod not in modality_names:
                raise KeyError(
                    f"likelihood_scale names modality {mod!r}, which is not registered ({list(modality_names)})"
                )
            _positive(f"likelihood_scale[{mod!r}]", value)
        p["likelihood_scale"] = {k: float(v) for k, v in scale.items()}
    return p


def check_train_arguments(
    max_epochs, batch_size, lr, weight_decay, train_size, early_stopping_patience
) -> None:
    """Validate the arguments of :meth:`IDMVAE.train` (``max_epochs=None``: the size-aware default)."""
    if max_epochs is not None:
        _positive_int("max_epochs", max_epochs)
    _positive_int("batch_size", batch_size)
    _positive("lr", lr)
    _non_negative("weight_decay", weight_decay)
    _positive_int("early_stopping_patience", early_stopping_patience)
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
