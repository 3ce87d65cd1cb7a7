"""Diffusion latent priors: schedule, loss weights, DDIM sampling, and learning a two-cluster latent."""

import math

import pytest
import torch

from omicvae.nn import GroupedLinear, LatentDiffusion, sigmoid_alphas_cumprod, sinusoidal_embedding


def test_sigmoid_schedule_shape_and_range():
    ac = sigmoid_alphas_cumprod(1000)
    assert ac.shape == (1000,)
    assert torch.all(ac[1:] < ac[:-1])  # strictly less signal as t grows
    assert 0.999 < ac[0].item() < 1.0 and ac[-1].item() < 1e-3
    betas = 1 - ac[1:] / ac[:-1]
    assert betas.max().item() <= 0.999 + 1e-6
    # the schedule is symmetric around the midpoint: half the signal is left at t = T/2
    assert ac[499].item() == pytest.approx(0.5, abs=0.01)


def test_min_snr_weights_are_clamped_to_1_and_100():
    prior = LatentDiffusion(2, n_steps=1000, hidden=8)
    snr = prior.alphas_cumprod / (1 - prior.alphas_cumprod)
    torch.testing.assert_close(prior.loss_weight, snr.clamp(1, 100))
    assert prior.loss_weight[0].item() == 100.0 and prior.loss_weight[-1].item() == 1.0


def test_per_sample_loss_formula():
    torch.manual_seed(0)
    prior = LatentDiffusion(3, n_groups=2, hidden=8, n_steps=100)
    x0 = torch.randn(2, 5, 3)
    t = torch.randint(0, 100, (2, 5))
    noise = torch.randn(2, 5, 3)
    ac = prior.alphas_cumprod[t][..., None]
    x_t = ac.sqrt() * x0 + (1 - ac).sqrt() * noise
    pred = prior.denoiser(x_t, t)
    expected = prior.loss_weight[t] * (pred - x0).pow(2).sum(-1)
    torch.testing.assert_close(prior.per_sample_loss(x0, t, noise), expected)


def test_grouped_linear_equals_separate_linears():
    torch.manual_seed(0)
    layer = GroupedLinear(3, 4, 2)
    x = torch.randn(3, 6, 4)
    out = layer(x)
    for g in range(3):
        torch.testing.assert_close(out[g], x[g] @ layer.weight[g] + layer.bias[g, 0])


def test_sinusoidal_embedding_values():
    emb = sinusoidal_embedding(torch.tensor([0, 7]), 8)
    assert emb.shape == (2, 8)
    torch.testing.assert_close(emb[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    assert emb[1, 0].item() == pytest.approx(math.sin(7.0), rel=1e-5)


def test_ddim_is_deterministic_given_the_noise():
    torch.manual_seed(0)
    prior = LatentDiffusion(2, hidden=16, n_steps=100)
    a = prior.sample(8, 20, torch.Generator().manual_seed(5))
    b = prior.sample(8, 20, torch.Generator().manual_seed(5))
    assert a.shape == (1, 8, 2) and torch.equal(a, b)


def test_prior_learns_two_clusters_and_ddim_samples_land_in_both():
    torch.manual_seed(0)
    centres = torch.tensor([[2.0, 2.0], [-2.0, -2.0]])
    prior = LatentDiffusion(2, hidden=64, n_steps=1000)
    opt = torch.optim.Adam(prior.parameters(), lr=2e-3)
    for _ in range(600):
        x0 = centres[torch.randint(0, 2, (256,))] + 0.15 * torch.randn(256, 2)
        loss = prior.per_sample_loss(x0[None]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    samples = prior.sample(400, 100, torch.Generator().manual_seed(0))[0]
    dist = torch.cdist(samples, centres)
    nearest = dist.argmin(1)
    close = dist.min(1).values < 0.75
    assert close.float().mean() > 0.8, "most samples should land on a cluster"
    share = nearest[close].float().mean().item()
    assert 0.25 < share < 0.75, f"both clusters should be sampled, got share {share:.2f}"
