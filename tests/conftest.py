"""Shared fixtures: small simulated MuData objects and model settings that train in seconds."""

import logging

import pytest
import torch

from omicvae.datasets import simulate

# the 2-core CI machine: one intra-op thread avoids oversubscription when processes overlap
torch.set_num_threads(1)
logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)

TINY = dict(
    n_shared=4,
    n_private=3,
    encoder_hidden=(16,),
    decoder_hidden=(16,),
    diffusion_hidden=32,
    diffusion_steps=100,
    diffusion_sample_steps=10,
)
QUIET = dict(enable_progress_bar=False)


@pytest.fixture
def tiny_settings():
    return dict(TINY)


@pytest.fixture
def sim_mdata():
    """120 samples, NB + Gaussian + Bernoulli, about 20% of samples missing each modality."""
    return simulate(n_obs=120, n_features=12, missing_fraction=0.2, seed=1)
