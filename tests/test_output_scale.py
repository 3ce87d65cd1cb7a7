"""Real-valued likelihoods decode in units of the training data (``standardize_inputs=True``).

Unscaled real-valued features (one view in thousands, another in thousandths) used to dominate the
Gaussian reconstruction term and wash the shared signal out of z; the decoder now predicts
``mean + sd * output`` with the training data's per-feature mean and standard deviation.
"""

import numpy as np
import pytest
import torch

import omicvae as ov
from omicvae.distributions import make_likelihood


@pytest.mark.parametrize("name", ["normal", "laplace"])
def test_fitted_scale_maps_decoder_output_to_data_units(name):
    lik = make_likelihood(name, 3)
    out = {"loc": torch.tensor([[0.0, 1.0, -2.0]])}
    assert torch.equal(lik.mean(out), out["loc"])  # before the fit: the identity
    lik.fit_data_scale(torch.tensor([10.0, -5.0, 0.0]), torch.tensor([100.0, 2.0, 0.5]))
    torch.testing.assert_close(lik.mean(out), torch.tensor([[10.0, -3.0, -1.0]]))
    torch.testing.assert_close(lik.distribution(out).mean, lik.mean(out))
    # the learned scale starts at one standard deviation of the data
    torch.testing.assert_close(lik.scale, torch.tensor([100.0, 2.0, 0.5]) * (1 + lik.min_scale))


def test_fitted_scale_survives_state_dict_round_trip():
    lik = make_likelihood("normal", 2)
    lik.fit_data_scale(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]))
    other = make_likelihood("normal", 2)
    other.load_state_dict(lik.state_dict())
    torch.testing.assert_close(other.data_scale, torch.tensor([3.0, 4.0]))


def test_a_state_dict_saved_before_the_data_scale_loads_as_the_identity():
    lik = make_likelihood("normal", 2)
    lik.fit_data_scale(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]))
    old = {
        k: v
        for k, v in make_likelihood("normal", 2).state_dict().items()
        if not k.startswith("data_")
    }
    lik.load_state_dict(old)
    out = {"loc": torch.tensor([[0.5, -1.0]])}
    torch.testing.assert_close(lik.mean(out), out["loc"])


def _latent(mdata):
    ov.IDMVAE.setup_mudata(mdata, likelihoods={m: "normal" for m in mdata.mod})
    model = ov.IDMVAE(mdata, n_shared=4, n_private=4, diffusion_prior=False, seed=0)
    model.train(max_epochs=3, batch_size=64, train_size=1.0, seed=0, enable_progress_bar=False)
    return model.get_latent_representation("shared")


def test_training_does_not_depend_on_the_units_of_real_valued_features():
    """Rescaling a view (x -> 1000 x + 50) leaves the trained shared code unchanged."""
    torch.set_num_threads(1)
    mdata = ov.datasets.simulate(n_obs=128, noise=("normal", "normal"), n_features=12, seed=1)
    scaled = mdata.copy()
    view = list(scaled.mod)[0]
    scaled.mod[view].X = scaled.mod[view].X * 1000.0 + 50.0
    z, z_scaled = _latent(mdata), _latent(scaled)
    np.testing.assert_allclose(z_scaled, z, atol=2e-3)
