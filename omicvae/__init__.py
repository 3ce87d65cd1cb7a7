"""omicvae: the information-disentangled multimodal VAE (IDMVAE) for multi-omics and images."""

from importlib import import_module as _import_module
from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("omicvae")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

from ._logging import logger  # noqa: E402

__all__ = ["IDMVAE", "MMVAEPlus", "__version__", "datasets", "logger", "pl", "tl"]

# Loaded when first used, so that ``omicvae --help`` and other light entry points import neither
# torch nor scanpy: ``ov.IDMVAE``, ``ov.pl`` and ``from omicvae import tl`` work as usual.
_LAZY = {"IDMVAE": ".model", "MMVAEPlus": ".model", "datasets": None, "pl": None, "tl": None}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = _import_module(_LAZY[name] or f".{name}", __name__)
    value = module if _LAZY[name] is None else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
