"""Convolutional towers for 32x32 and 64x64 images."""

from __future__ import annotations

import math

import torch
from torch import nn

DEFAULT_CHANNELS = (32, 64, 128, 256)


def _stage_widths(channels, size: int) -> tuple[int, ...]:
    if size not in (32, 64):
        raise ValueError(
            f"convolutional networks support 32x32 and 64x64 images, got {size}x{size}"
        )
    n = 3 if size == 32 else 4  # down to a 4x4 map either way
    if len(channels) < n:
        raise ValueError(
            f"{size}x{size} images need {n} convolution widths, got conv_channels={tuple(channels)}"
        )
    return tuple(channels[:n])


def group_norm(channels: int) -> nn.GroupNorm:
    """Group normalisation with up to 8 groups (as many as divide ``channels``)."""
    return nn.GroupNorm(math.gcd(8, channels), channels)


class ConvTower(nn.Module):
    """Strided convolutions from an image to a flat feature vector (4x4 final map).

    ``channels`` are the widths of the stages (the first 3 are used for 32x32 images, 4 for 64x64).
    Each convolution is followed by group normalisation: without it the features of uncentred
    [0, 1] images hardly vary between images at initialisation, and the cross-view InfoNCE, which
    compares directions, settles at chance by aligning the views' constant offsets.
    """

    def __init__(
        self, image_shape: tuple[int, int, int], channels: tuple[int, ...] = DEFAULT_CHANNELS
    ):
        super().__init__()
        c, h, w = image_shape
        if h != w:
            raise ValueError(f"convolutional networks need square images, got {h}x{w}")
        layers: list[nn.Module] = []
        width = c
        for out in _stage_widths(channels, h):
            layers += [nn.Conv2d(width, out, 4, stride=2, padding=1), group_norm(out), nn.SiLU()]
            width = out
        layers.append(nn.Flatten())
        self.net = nn.Sequential(*layers)
        self.n_out = width * 16

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        return self.net(img)


class ConvDecoderTower(nn.Module):
    """Transposed convolutions from a latent vector to image logits, flattened."""

    def __init__(
        self,
        n_in: int,
        image_shape: tuple[int, int, int],
        channels: tuple[int, ...] = DEFAULT_CHANNELS,
    ):
        super().__init__()
        c, h, _ = image_shape
        chans = list(reversed(_stage_widths(channels, h)))
        self.start = nn.Sequential(nn.Linear(n_in, chans[0] * 16), nn.SiLU())
        self.first_channels = chans[0]
        layers: list[nn.Module] = []
        for a, b in zip(chans[:-1], chans[1:], strict=True):
            layers += [nn.ConvTranspose2d(a, b, 4, stride=2, padding=1), nn.SiLU()]
        layers.append(nn.ConvTranspose2d(chans[-1], c, 4, stride=2, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        x = self.start(h).view(-1, self.first_channels, 4, 4)
        return self.net(x).flatten(1)
