"""On images the cross-view InfoNCE must leave its chance value and find the shared digit.

Before the convolutional towers had group normalisation, the shared means of different images were
almost parallel at initialisation (cosine 0.9998) and optimising CrossMI alone only aligned the two
views' constant offsets: the loss went to log(2B - 1) per direction, the value of codes that carry
nothing in common, and stayed there while its gradient vanished.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

import omicvae as ov
from omicvae.module import IDMVAEModule
from omicvae.module._contrastive import cross_mi_loss


def _views(n_tuples=256):
    mdata = ov.datasets.polymnist_quadrant(
        n_views=2, image_size=32, n_tuples_train=n_tuples, n_tuples_test=1, seed=0
    )
    x = [torch.tensor(np.asarray(mdata[m].X)[:n_tuples]) for m in mdata.mod]
    specs = [
        type("Spec", (), dict(name=m, likelihood="image", n_features=x[0].shape[1],
                              image_shape=(3, 32, 32)))
        for m in mdata.mod
    ]  # fmt: skip
    return x, specs


def test_image_shared_means_differ_between_images_at_initialisation():
    x, specs = _views(64)
    torch.manual_seed(0)
    module = IDMVAEModule(specs, n_shared=8, n_private=8, diffusion_prior=False,
                          conv_channels=(8, 16, 32))  # fmt: skip
    with torch.no_grad():
        mu = module.encode(x, None).mu_z[0]
    unit = F.normalize(mu, dim=-1)
    mean_cosine = (unit @ unit.T).mean().item()
    assert mean_cosine < 0.9, mean_cosine


def test_crossmi_alone_decreases_below_chance_on_images():
    x, specs = _views(256)
    torch.manual_seed(0)
    module = IDMVAEModule(specs, n_shared=8, n_private=8, diffusion_prior=False,
                          conv_channels=(8, 16, 32))  # fmt: skip
    opt = torch.optim.Adam(module.parameters(), lr=1e-3)
    batch = 64
    chance = 2 * math.log(2 * batch - 1)  # one pair, both directions, normalised by M - 1 = 1
    mask = torch.ones(batch, 2, dtype=torch.bool)
    gen = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(60):
        idx = torch.randperm(256, generator=gen)[:batch]
        loss = cross_mi_loss(module.encode([v[idx] for v in x], None).mu_z, mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    late = float(np.mean(losses[-10:]))
    assert late < chance - 0.5, (chance, losses[::10])
