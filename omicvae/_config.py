"""The model's settings: one typed, validated configuration and the named presets.

:class:`IDMVAEConfig` groups :class:`NetworkConfig`, :class:`LossWeights`, :class:`LikelihoodConfig`
and :class:`DiffusionConfig`; every field carries its help text and its check, and the command line
builds its options from the same fields (docs/developer.md, "The settings"). Field names are unique
across the groups, so a configuration is also a flat ``{name: value}`` dict
(:meth:`IDMVAEConfig.to_flat`). Why the defaults differ from the published TCGA setting
(``PRESETS["paper_tcga"]``): docs/user_guide/model.md, "Choosing the settings".

This file imports neither torch nor the rest of the package (the command line's help reads it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from numbers import Integral, Real
from typing import Any

ACTIVATIONS = ("elu", "gelu", "leaky_relu", "relu", "silu")
"""Activation names the MLPs accept (``omicvae.nn``; a test keeps both lists equal)."""

IMAGE_FAMILIES = ("laplace", "bernoulli")
"""Families of the image likelihood (``ImageLikelihood.families``; a test keeps both equal)."""


# ------------------------------------------------------------------ checks of single values
# Each takes the name to report and the value, and returns the value in its normal form.


def _number(kind: type, convert: Callable, ok: Callable, expected: str) -> Callable:
    """A check that the value is a ``kind`` (never a bool) for which ``ok(value)`` holds."""

    def check(name: str, value):
        if isinstance(value, bool) or not isinstance(value, kind) or not ok(value):
            raise ValueError(f"{name} must be {expected}, got {value!r}")
        return convert(value)

    return check


positive_int = _number(Integral, int, lambda v: v > 0, "a positive integer")
non_negative = _number(Real, float, lambda v: v >= 0, "a non-negative number")
positive = _number(Real, float, lambda v: v > 0, "a positive number")
_probability = _number(Real, float, lambda v: 0 <= v < 1, "in [0, 1)")


def _boolean(name: str, value):
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def _widths(name: str, value):
    widths = (value,) if isinstance(value, Integral) else tuple(value)
    return tuple(positive_int(f"every width in {name}", width) for width in widths)


def _one_of(choices: tuple[str, ...]) -> Callable:
    def check(name: str, value):
        if value not in choices:
            raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
        return value

    return check


def _scales(name: str, value):
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict {{modality: scale}}, got {type(value).__name__}")
    return {str(mod): positive(f"{name}[{mod!r}]", scale) for mod, scale in value.items()}


def setting(default, help: str, check: Callable, **cli) -> Any:
    """A configuration field: its default, help text (for docs and the CLI) and check.

    Parameters
    ----------
    default
        The package default.
    help
        One line for ``--help``; the default is appended by the command line.
    check
        ``check(name, value) -> value``: raises a clear error, returns the normal form.
    **cli
        How the command line shows the field: ``metavar``, ``choices``, ``flag`` (the switch
        of a boolean, which sets the opposite of the default) with its ``flag_help`` (default:
        ``help``), ``pairs`` (a ``{modality: value}`` mapping given as repeated ``NAME=VALUE``).
    """
    return field(default=default, metadata=dict(help=help, check=check, cli=cli))


class _Checked:
    """Runs every field's check in ``__post_init__`` and stores the normal form."""

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, f.metadata["check"](f.name, getattr(self, f.name)))


@dataclass(frozen=True)
class NetworkConfig(_Checked):
    """Latent sizes and the encoder / decoder networks."""

    n_shared: int = setting(16, "dimension of the shared latent z", positive_int, metavar="N")
    n_private: int = setting(32, "dimension of each private latent w", positive_int, metavar="N")
    encoder_hidden: tuple[int, ...] = setting(
        (256, 128), "hidden widths of the MLP encoders (the paper: 128 64)", _widths, metavar="W"
    )
    decoder_hidden: tuple[int, ...] = setting(
        (128, 256), "hidden widths of the MLP decoders (the paper: 64 128)", _widths, metavar="W"
    )
    separate_towers: bool = setting(
        True,
        "separate MLP trunks for z and w in each encoder",
        _boolean,
        flag="--shared-trunk",
        flag_help="one MLP trunk for z and w in each encoder (the paper's setting)",
    )
    activation: str = setting(
        "relu", "activation of the MLPs", _one_of(ACTIVATIONS), choices=ACTIVATIONS
    )
    dropout: float = setting(0.0, "dropout rate of the MLPs", _probability, metavar="P")
    layer_norm: bool = setting(
        False, "layer normalisation in the MLPs", _boolean, flag="--layer-norm"
    )
    conv_channels: tuple[int, ...] = setting(
        (32, 64, 128, 256),
        "widths of the convolution stages of image encoders and decoders",
        _widths,
        metavar="W",
    )
    standardize_inputs: bool = setting(
        True,
        "z-score each encoder input feature with training-split statistics (images never)",
        _boolean,
        flag="--raw-inputs",
        flag_help="feed the encoders the values as they are (the paper's setting); by default "
        "each input feature is z-scored with training-split statistics, which omics on very "
        "different scales (read counts next to copy-number calls) need",
    )


@dataclass(frozen=True)
class LossWeights(_Checked):
    """Weights of the objective's terms (method.md's β, λ1, λ2, λ_diff) and the NT-Xent temperature."""

    beta: float = setting(2.5, "weight of the prior terms of the ELBO", non_negative)
    cross_mi_weight: float = setting(
        10.0, "λ1, weight of the cross-view InfoNCE on z", non_negative, metavar="λ1"
    )
    gen_aug_weight: float = setting(
        1e-3, "λ2, weight of the generative-augmentation loss", non_negative, metavar="λ2"
    )
    independence_weight: float = setting(
        100.0,
        "weight of the term that keeps shared information out of the private codes "
        "(beyond the paper: 0 is the paper)",
        non_negative,
        metavar="W",
    )
    shared_purity_weight: float = setting(
        0.0,
        "weight of the term that keeps each modality's private information out of its shared code "
        "(beyond the paper: 0 is the paper)",
        non_negative,
        metavar="W",
    )
    private_reconstruction_weight: float = setting(
        1.0,
        "weight of the term that reconstructs each modality from another modality's z and its own "
        "w, so the decoders read the private signal from w (beyond the paper: 0 is the paper)",
        non_negative,
        metavar="W",
    )
    diffusion_weight: float = setting(
        0.1, "λ_diff, weight of the diffusion-prior loss", non_negative, metavar="W"
    )
    temperature: float = setting(1.0, "temperature of the NT-Xent losses", positive, metavar="T")

    def as_mapping(self) -> dict[str, float]:
        """``{term name: weight}`` as the module's loss reads it (``beta``: the ELBO's prior terms).

        Every field but ``temperature`` is a term's weight; the term's name drops ``_weight``.
        """
        return {
            f.name.removesuffix("_weight"): getattr(self, f.name)
            for f in fields(self)
            if f.name != "temperature"
        }


@dataclass(frozen=True)
class LikelihoodConfig(_Checked):
    """Options of the likelihoods."""

    likelihood_scale: Mapping[str, float] | None = setting(
        None,
        "multiplier of a modality's log-likelihood (default 1)",
        _scales,
        pairs="NAME=SCALE",
    )
    image_scale: float = setting(
        0.75, "fixed scale of the Laplace image likelihood", positive, metavar="S"
    )
    image_family: str = setting(
        "laplace", "family of the image likelihood", _one_of(IMAGE_FAMILIES), choices=IMAGE_FAMILIES
    )

    def check_modalities(self, names: Iterable[str]) -> None:
        """Every modality named in ``likelihood_scale`` must be one of ``names``."""
        names = list(names)
        for mod in self.likelihood_scale or {}:
            if mod not in names:
                raise KeyError(
                    f"likelihood_scale names modality {mod!r}, which is not registered ({names})"
                )


@dataclass(frozen=True)
class DiffusionConfig(_Checked):
    """The diffusion priors of z and of each w."""

    diffusion_prior: bool = setting(
        True,
        "train diffusion priors for z and each w jointly",
        _boolean,
        flag="--no-diffusion",
        flag_help="Gaussian priors only",
    )
    diffusion_hidden: int = setting(128, "width of the denoisers (the paper: 512)", positive_int)
    diffusion_steps: int = setting(1000, "diffusion steps T", positive_int)
    diffusion_sample_steps: int = setting(100, "DDIM steps when sampling", positive_int)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.diffusion_sample_steps > self.diffusion_steps:
            raise ValueError(
                f"diffusion_sample_steps ({self.diffusion_sample_steps}) cannot exceed "
                f"diffusion_steps ({self.diffusion_steps})"
            )


GROUPS = {
    "network": NetworkConfig,
    "loss": LossWeights,
    "likelihood": LikelihoodConfig,
    "diffusion": DiffusionConfig,
}


@dataclass(frozen=True)
class IDMVAEConfig:
    """Every setting of an IDMVAE model, validated when built.

    Build one from flat settings with :meth:`from_flat` (unknown names raise ``TypeError``) or
    change one with :meth:`replace`; :meth:`to_flat` gives the flat dict back.
    """

    network: NetworkConfig = field(default_factory=NetworkConfig)
    loss: LossWeights = field(default_factory=LossWeights)
    likelihood: LikelihoodConfig = field(default_factory=LikelihoodConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)

    def __post_init__(self) -> None:
        for name, kind in GROUPS.items():
            if not isinstance(getattr(self, name), kind):
                raise TypeError(f"{name} must be a {kind.__name__}")
        if self.diffusion.diffusion_prior and self.loss.diffusion_weight == 0:
            raise ValueError(
                "diffusion_weight is 0 with diffusion_prior=True: the diffusion priors would "
                "never be trained, yet generate() and impute() sample from them; give "
                "diffusion_weight > 0, or diffusion_prior=False for Gaussian priors"
            )

    @classmethod
    def from_flat(
        cls, settings: Mapping[str, Any], base: IDMVAEConfig | None = None
    ) -> IDMVAEConfig:
        """``base`` (default: the package defaults) with the flat ``settings`` on top."""
        base = cls() if base is None else base
        unknown = set(settings) - set(FIELD_GROUP)
        if unknown:
            raise TypeError(
                f"unknown hyper-parameters {sorted(unknown)}; known: {sorted(FIELD_GROUP)}"
            )
        groups = {
            name: replace(
                getattr(base, name),
                **{k: v for k, v in settings.items() if FIELD_GROUP[k] == name},
            )
            for name in GROUPS
        }
        return cls(**groups)

    def replace(self, **settings) -> IDMVAEConfig:
        """A copy with the flat ``settings`` changed."""
        return self.from_flat(settings, base=self)

    def to_flat(self) -> dict[str, Any]:
        """``{setting: value}`` over every group (tuples as tuples, ``likelihood_scale`` a dict)."""
        return {k: v for name in GROUPS for k, v in asdict(getattr(self, name)).items()}


FIELD_GROUP: dict[str, str] = {
    f.name: group for group, kind in GROUPS.items() for f in fields(kind)
}
"""Group of every flat setting name."""


def setting_fields() -> list:
    """Every field of every group, in the order of the groups (the command line's order)."""
    return [f for kind in GROUPS.values() for f in fields(kind)]


DEFAULT_CONFIG = IDMVAEConfig()
"""The package defaults."""

PRESETS: dict[str, IDMVAEConfig] = {
    # method.md §3, TCGA column: exactly the published setting
    "paper_tcga": DEFAULT_CONFIG.replace(
        independence_weight=0.0,
        private_reconstruction_weight=0.0,
        separate_towers=False,
        standardize_inputs=False,
        encoder_hidden=(128, 64),
        decoder_hidden=(64, 128),
        diffusion_hidden=512,
    ),
    # method.md §3, PolyMNIST-Quadrant column (images are never standardised)
    "paper_polymnist": DEFAULT_CONFIG.replace(
        n_shared=32,
        n_private=128,
        cross_mi_weight=80.0,
        gen_aug_weight=20.0,
        independence_weight=0.0,
        private_reconstruction_weight=0.0,
        diffusion_weight=1.0,
        beta=2.5,
        image_scale=0.75,
        diffusion_hidden=512,
    ),
}
# Beyond the paper, for data whose modalities are all images (IDMVAE's defaults on such data): the
# configuration measured in benchmarks/results/polymnist*.md, the PolyMNIST-Quadrant weights with
# Bernoulli pixels and the private-reconstruction term, without the diffusion prior (at CPU scale
# its loss held z back) or the independence term (at 100 it cost w→Quadrant 0.93 -> 0.79 there).
PRESETS["images"] = PRESETS["paper_polymnist"].replace(
    image_family="bernoulli", private_reconstruction_weight=1.0, diffusion_prior=False
)
"""Named settings: the published ones (``paper_tcga``, ``paper_polymnist``) and ``images``."""

IMAGE_PRESET = "images"
"""The preset :class:`omicvae.IDMVAE` starts from when every modality is an image."""


def preset_config(preset: str | None) -> IDMVAEConfig:
    """The configuration of a named preset (``None``: the package defaults)."""
    if preset is None:
        return DEFAULT_CONFIG
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; expected None or one of {sorted(PRESETS)}")
    return PRESETS[preset]
