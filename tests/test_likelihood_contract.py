"""The contract every registered likelihood keeps.

The cases iterate the likelihood registry, so a newly registered likelihood is tested here without
editing this file; only its scipy reference has to be added to ``REFERENCES`` (the scipy test fails
until it is). Checked: log-probability against scipy.stats, shapes, ``mean`` against the
distribution's mean and the mean of many samples, the samples' variance against the distribution's,
reproducible sampling, and finite log-probabilities and gradients at extreme parameters.
"""

import numpy as np
import pytest
import scipy.special as sps
import scipy.stats as st
import torch
from torch.distributions import Categorical

from omicvae.distributions import make_likelihood, registered_likelihoods

N_FEATURES = 4
N_CATEGORIES = 3
VARIANTS = {
    "image": {"laplace": {"image_family": "laplace"}, "bernoulli": {"image_family": "bernoulli"}}
}
"""Options of likelihoods tested in several variants, ``{name: {variant: options}}``."""


def _cases():
    cases = []
    for name in registered_likelihoods():
        for variant, options in VARIANTS.get(name, {"": {}}).items():
            case_id = f"{name}-{variant}" if variant else name
            cases.append(pytest.param(name, options, id=case_id))
    return cases


CASES = _cases()


def _build(name, options, dtype=torch.float64, seed=0):
    """The likelihood with its learned per-feature parameters moved off their initial values."""
    lik = make_likelihood(name, N_FEATURES, n_categories=N_CATEGORIES, **options).to(dtype)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in lik.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen, dtype=dtype))
    return lik


def _params(lik, n, seed=1, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    out = {k: torch.randn(n, w, generator=gen, dtype=dtype) for k, w in lik.heads.items()}
    library = torch.full((n, 1), 50.0, dtype=dtype) if lik.needs_library else None
    return out, library


def _tile(out, library, times):
    out = {k: v.repeat(times, 1) for k, v in out.items()}
    return out, None if library is None else library.repeat(times, 1)


def _reference_moments(lik, out, library):
    """Mean and variance of the observation distribution, in the space of ``lik.mean``.

    For categorical events the mean is the class probabilities (the mean of one-hot draws).
    """
    dist = lik.distribution(out, library)
    base = dist.base_dist
    if isinstance(base, Categorical):
        return base.probs, base.probs * (1 - base.probs)
    return dist.mean, dist.variance


def _to_mean_space(lik, x, mean):
    """Samples in the space of ``mean``: one-hot when the mean has a class dimension."""
    if mean.dim() == x.dim() + 1:
        return torch.nn.functional.one_hot(x.long(), mean.shape[-1]).to(mean.dtype)
    return x


# --------------------------------------------------------------------------------------------------
# scipy references: (likelihood, decoder output, library, x) -> log p(x) per row, all numpy float64


def _np(t):
    return t.detach().cpu().double().numpy()


def _nb_mu_theta(lik, out, library):
    mu = _np(library) * sps.softmax(_np(out["scale_logits"]), axis=1) + 1e-8  # the mean's floor
    return mu, np.exp(_np(lik.log_theta))


def _ref_nb(lik, out, library, x):
    # torch's NB counts successes with success probability mu / (mu + theta); scipy's nbinom
    # counts failures before theta successes with success probability theta / (theta + mu)
    mu, theta = _nb_mu_theta(lik, out, library)
    return st.nbinom.logpmf(x, theta, theta / (theta + mu)).sum(1)


def _ref_zinb(lik, out, library, x):
    mu, theta = _nb_mu_theta(lik, out, library)
    nb = st.nbinom.logpmf(x, theta, theta / (theta + mu))
    gate = sps.expit(_np(out["gate_logits"]))
    zero = np.logaddexp(np.log(gate), np.log1p(-gate) + nb)
    return np.where(x == 0, zero, np.log1p(-gate) + nb).sum(1)


def _ref_normal(lik, out, library, x):
    return st.norm.logpdf(x, _np(out["loc"]), _np(lik.scale)).sum(1)


def _ref_laplace(lik, out, library, x):
    return st.laplace.logpdf(x, _np(out["loc"]), _np(lik.scale)).sum(1)


def _ref_bernoulli(lik, out, library, x):
    return st.bernoulli.logpmf(x, sps.expit(_np(out["logits"]))).sum(1)


def _ref_image_laplace(lik, out, library, x):
    return st.laplace.logpdf(x, sps.expit(_np(out["logits"])), lik.fixed_scale).sum(1)


def _ref_categorical(lik, out, library, x):
    n, k = x.shape[0], lik.n_categories
    probs = sps.softmax(_np(out["logits"]).reshape(n, lik.n_features, k), axis=-1)
    one_hot = np.eye(k)[x.astype(int)]
    return st.multinomial.logpmf(one_hot, 1, probs).sum(1)


REFERENCES = {
    "nb": _ref_nb,
    "zinb": _ref_zinb,
    "normal": _ref_normal,
    "laplace": _ref_laplace,
    "bernoulli": _ref_bernoulli,
    "image-laplace": _ref_image_laplace,
    "image-bernoulli": _ref_bernoulli,
    "categorical": _ref_categorical,
}
"""Reference log-probabilities keyed by case id; a new likelihood needs an entry here."""


# --------------------------------------------------------------------------------------------------
# the contract


@pytest.mark.parametrize("name,options", CASES)
def test_log_prob_matches_scipy(request, name, options):
    case_id = request.node.callspec.id
    if case_id not in REFERENCES:
        pytest.fail(f"likelihood case {case_id!r} has no scipy reference: add one to REFERENCES")
    lik = _build(name, options)
    out, library = _params(lik, 8)
    x = lik.sample(out, library, torch.Generator().manual_seed(2))
    ours = _np(lik.log_prob(x, out, library))
    expected = REFERENCES[case_id](lik, out, library, _np(x))
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, expected, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("name,options", CASES)
def test_shapes(name, options):
    lik = _build(name, options)
    n = 5
    out, library = _params(lik, n)
    x = lik.sample(out, library)
    assert x.shape == (n, lik.n_features)
    assert x.dtype == out[next(iter(out))].dtype and not x.requires_grad
    assert lik.log_prob(x, out, library).shape == (n,)
    mean = lik.mean(out, library)
    assert mean.shape[:2] == (n, lik.n_features) and mean.dim() in (2, 3)
    assert lik.encoder_input(x).shape == (n, lik.encoder_dim)
    assert lik.mean_encoder_input(out, library).shape == (n, lik.encoder_dim)


@pytest.mark.parametrize("name,options", CASES)
def test_mean_is_the_distribution_mean(name, options):
    lik = _build(name, options)
    out, library = _params(lik, 6)
    expected, _ = _reference_moments(lik, out, library)
    torch.testing.assert_close(lik.mean(out, library), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name,options", CASES)
def test_sample_moments_match_the_distribution(name, options):
    lik = _build(name, options)
    n_draws = 20000
    out, library = _params(lik, 3)
    mean, var = _reference_moments(lik, out, library)
    x = lik.sample(*_tile(out, library, n_draws), torch.Generator().manual_seed(3))
    draws = _to_mean_space(lik, x, mean).reshape(n_draws, *mean.shape)
    standard_error = (var / n_draws).sqrt()
    sample_mean = draws.mean(0)
    assert ((sample_mean - mean).abs() <= 5 * standard_error + 1e-9).all(), (sample_mean, mean)
    torch.testing.assert_close(draws.var(0), var, rtol=0.08, atol=1e-9)


@pytest.mark.parametrize("name,options", CASES)
def test_sample_is_reproducible_and_leaves_the_global_rng(name, options):
    lik = _build(name, options)
    out, library = _params(lik, 50)
    state = torch.get_rng_state()
    first = lik.sample(out, library, torch.Generator().manual_seed(7))
    again = lik.sample(out, library, torch.Generator().manual_seed(7))
    assert torch.equal(first, again)
    assert torch.equal(torch.get_rng_state(), state)
    other = lik.sample(out, library, torch.Generator().manual_seed(8))
    assert not torch.equal(first, other)


EXTREME_HEADS = (-1e4, -30.0, 0.0, 30.0, 1e4)
"""Decoder outputs far out: saturated logits, huge locations, near-zero and dominant softmax shares."""
EXTREME_PARAMETERS = (-15.0, 15.0)
"""Learned raw parameters far out: dispersions theta = exp(+-15), scales near the floor or large."""
EXTREME_LIBRARIES = (1e-3, 1.0, 1e8)


def _extreme(lik, n):
    """Decoder outputs, learned parameters and libraries cycling through extreme values (float32)."""
    with torch.no_grad():
        for p in lik.parameters():
            flat = torch.tensor(EXTREME_PARAMETERS).repeat(p.numel())[: p.numel()]
            p.copy_(flat.view_as(p))
    values = torch.tensor(EXTREME_HEADS)
    out = {}
    for h, (k, w) in enumerate(lik.heads.items()):
        idx = (torch.arange(n)[:, None] + 2 * torch.arange(w)[None, :] + 3 * h) % len(values)
        out[k] = values[idx].clone().requires_grad_(True)
    library = None
    if lik.needs_library:
        library = torch.tensor(EXTREME_LIBRARIES).repeat(n)[:n, None]
    return out, library


@pytest.mark.parametrize("name,options", CASES)
def test_finite_log_prob_and_gradients_at_extreme_parameters(name, options):
    lik = _build(name, options, dtype=torch.float32)
    n = 15
    moderate = lik.sample(*_params(lik, n, dtype=torch.float32))
    out, library = _extreme(lik, n)
    own = lik.sample(out, library, torch.Generator().manual_seed(4))
    assert torch.isfinite(lik.mean(out, library)).all()
    for x in (moderate, own):
        lik.zero_grad()
        for t in out.values():
            t.grad = None
        log_prob = lik.log_prob(x, out, library)
        assert torch.isfinite(log_prob).all(), log_prob
        log_prob.sum().backward()
        grads = [t.grad for t in out.values()] + [p.grad for p in lik.parameters()]
        for grad in grads:
            assert grad is not None and torch.isfinite(grad).all(), grad
