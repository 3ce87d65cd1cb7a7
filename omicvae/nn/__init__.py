"""Network building blocks: MLPs, encoders, decoders, convolutional towers, diffusion priors."""

from ._conv import ConvDecoderTower, ConvTower
from ._decoders import ConvDecoder, MLPDecoder
from ._diffusion import (
    Denoiser,
    GroupedLinear,
    LatentDiffusion,
    sigmoid_alphas_cumprod,
    sinusoidal_embedding,
)
from ._encoders import ConvEncoder, MLPEncoder, gaussian_params
from ._mlp import MLP, activation

__all__ = [
    "MLP",
    "ConvDecoder",
    "ConvDecoderTower",
    "ConvEncoder",
    "ConvTower",
    "Denoiser",
    "GroupedLinear",
    "LatentDiffusion",
    "MLPDecoder",
    "MLPEncoder",
    "activation",
    "gaussian_params",
    "sigmoid_alphas_cumprod",
    "sinusoidal_embedding",
]
