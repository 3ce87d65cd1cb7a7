"""Every likelihood's log-probability against scipy.stats, including extreme parameters; the registry."""

import numpy as np
import pytest
import scipy.special as sps
import scipy.stats as st
import torch

from omicvae.data._validate import ValueSummary, check_likelihood_name
from omicvae.distributions import (
    Likelihood,
    NegativeBinomialLikelihood,
    infer_likelihood,
    likelihood_class,
    likelihood_names,
    make_likelihood,
    register_likelihood,
    registered_likelihoods,
    unregister_likelihood,
)

RNG = np.random.default_rng(0)


def _as_t(a):
    return torch.as_tensor(np.asarray(a), dtype=torch.float32)


def _nb_case(extreme: bool):
    n, f = 6, 5
    if extreme:
        counts = np.array([[0, 1e6, 0, 3, 250000]] * n, dtype=np.float64)
        logits = RNG.normal(0, 8, (n, f))
        library = np.array([[1.0], [1e6], [1e-2], [5e5], [1.0], [1e4]])
        log_theta = np.array([-8.0, 8.0, 0.0, -3.0, 10.0])
    else:
        counts = RNG.poisson(20, (n, f)).astype(np.float64)
        logits = RNG.normal(0, 1, (n, f))
        library = counts.sum(1, keepdims=True)
        log_theta = RNG.normal(0, 1, f)
    return counts, logits, library, log_theta


def _nb_params(logits, library, log_theta):
    mu = library * sps.softmax(logits, axis=1)
    theta = np.exp(log_theta)
    return mu, theta


@pytest.mark.parametrize("extreme", [False, True])
def test_negative_binomial_matches_scipy(extreme):
    counts, logits, library, log_theta = _nb_case(extreme)
    lik = make_likelihood("nb", counts.shape[1])
    with torch.no_grad():
        lik.log_theta.copy_(_as_t(log_theta))
    ours = (
        lik.log_prob(_as_t(counts), {"scale_logits": _as_t(logits)}, _as_t(library))
        .detach()
        .double()
        .numpy()
    )
    mu, theta = _nb_params(logits, library, log_theta)
    mu = mu + 1e-8  # the likelihood's numerical floor on the mean
    expected = st.nbinom.logpmf(counts, theta, theta / (theta + mu)).sum(1)
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, expected, rtol=2e-4, atol=2e-2 if extreme else 1e-3)


@pytest.mark.parametrize("extreme", [False, True])
def test_zinb_matches_scipy(extreme):
    counts, logits, library, log_theta = _nb_case(extreme)
    gate_logits = RNG.normal(0, 6 if extreme else 1, counts.shape)
    lik = make_likelihood("zinb", counts.shape[1])
    with torch.no_grad():
        lik.log_theta.copy_(_as_t(log_theta))
    out = {"scale_logits": _as_t(logits), "gate_logits": _as_t(gate_logits)}
    ours = lik.log_prob(_as_t(counts), out, _as_t(library)).detach().double().numpy()
    mu, theta = _nb_params(logits, library, log_theta)
    nb = st.nbinom.logpmf(counts, theta, theta / (theta + mu + 1e-8))
    pi = sps.expit(gate_logits)
    expected = np.where(
        counts == 0, np.logaddexp(np.log(pi), np.log1p(-pi) + nb), np.log1p(-pi) + nb
    ).sum(1)
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, expected, rtol=2e-4, atol=2e-2 if extreme else 1e-3)


@pytest.mark.parametrize("name,dist", [("normal", st.norm), ("laplace", st.laplace)])
@pytest.mark.parametrize("extreme", [False, True])
def test_continuous_matches_scipy(name, dist, extreme):
    n, f = 5, 4
    x = RNG.normal(0, 1e3 if extreme else 1, (n, f))
    loc = RNG.normal(0, 1, (n, f))
    raw = np.array([-30.0, 0.0, 5.0, 40.0]) if extreme else RNG.normal(0, 1, f)
    lik = make_likelihood(name, f)
    with torch.no_grad():
        lik.raw_scale.copy_(_as_t(raw))
    ours = lik.log_prob(_as_t(x), {"loc": _as_t(loc)}).detach().double().numpy()
    scale = lik.scale.detach().detach().double().numpy()
    assert (
        scale.min() >= 1e-3
    )  # learned scales are floored: no infinite density on constant features
    expected = dist.logpdf(x, loc, scale).sum(1)
    if name == "laplace" and extreme:
        # scipy's laplace.logpdf is log(pdf) and underflows to -inf this far in the tails
        assert np.isneginf(expected).any()
        expected = (-np.abs(x - loc) / scale - np.log(2 * scale)).sum(1)
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-2 if extreme else 1e-4)


@pytest.mark.parametrize("extreme", [False, True])
def test_bernoulli_matches_scipy(extreme):
    x = (RNG.random((6, 7)) < 0.4).astype(float)
    logits = RNG.normal(0, 30 if extreme else 1, x.shape)
    ours = (
        make_likelihood("bernoulli", 7)
        .log_prob(_as_t(x), {"logits": _as_t(logits)})
        .detach()
        .double()
        .numpy()
    )
    # log sigmoid in a stable form; scipy's bernoulli.logpmf underflows at |logit| = 30 in float64 p
    expected = (x * -np.logaddexp(0, -logits) + (1 - x) * -np.logaddexp(0, logits)).sum(1)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-3)
    if not extreme:
        np.testing.assert_allclose(
            ours, st.bernoulli.logpmf(x, sps.expit(logits)).sum(1), rtol=1e-5, atol=1e-4
        )
    assert np.isfinite(ours).all()


def test_image_laplace_uses_fixed_scale_and_sigmoid_mean():
    x = RNG.random((3, 12))
    logits = RNG.normal(0, 3, x.shape)
    lik = make_likelihood("image", 12, image_scale=0.75)
    ours = lik.log_prob(_as_t(x), {"logits": _as_t(logits)}).detach().double().numpy()
    expected = st.laplace.logpdf(x, sps.expit(logits), 0.75).sum(1)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-4)
    assert list(lik.parameters()) == []  # nothing learned


def test_image_bernoulli_option_is_binary_cross_entropy():
    x = RNG.random((3, 8))
    logits = RNG.normal(0, 2, x.shape)
    lik = make_likelihood("image", 8, image_family="bernoulli")
    ours = lik.log_prob(_as_t(x), {"logits": _as_t(logits)}).detach().double().numpy()
    p = sps.expit(logits)
    np.testing.assert_allclose(
        ours, (x * np.log(p) + (1 - x) * np.log1p(-p)).sum(1), rtol=1e-5, atol=1e-4
    )


def test_categorical_matches_scipy_and_one_hot_input():
    n, length, c = 4, 3, 5
    tokens = RNG.integers(0, c, (n, length))
    logits = RNG.normal(0, 2, (n, length * c))
    lik = make_likelihood("categorical", length, n_categories=c)
    ours = lik.log_prob(_as_t(tokens), {"logits": _as_t(logits)}).detach().double().numpy()
    logp = sps.log_softmax(logits.reshape(n, length, c), axis=-1)
    expected = np.array(
        [
            sum(
                st.multinomial.logpmf(np.eye(c)[tokens[i, j]], 1, np.exp(logp[i, j]))
                for j in range(length)
            )
            for i in range(n)
        ]
    )
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-4)
    enc = lik.encoder_input(_as_t(tokens))
    assert enc.shape == (n, length * c) and torch.all(enc.sum(1) == length)
    mean_in = lik.mean_encoder_input({"logits": _as_t(logits)})
    np.testing.assert_allclose(mean_in.view(n, length, c).sum(-1).detach().numpy(), 1.0, rtol=1e-5)


def test_count_encoder_input_is_log1p_and_means_scale_with_library():
    lik = make_likelihood("nb", 3)
    x = _as_t([[0.0, 9.0, 99.0]])
    np.testing.assert_allclose(lik.encoder_input(x).numpy(), np.log1p([[0, 9, 99]]), rtol=1e-6)
    out = {"scale_logits": _as_t([[0.0, 0.0, 0.0]])}
    np.testing.assert_allclose(
        lik.mean(out, _as_t([[300.0]])).detach().numpy(), [[100.0, 100.0, 100.0]], rtol=1e-6
    )
    zinb = make_likelihood("zinb", 3)
    out["gate_logits"] = _as_t([[0.0, 0.0, 0.0]])
    np.testing.assert_allclose(
        zinb.mean(out, _as_t([[300.0]])).detach().numpy(), [[50.0, 50.0, 50.0]], rtol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"name": "poisson", "n_features": 3}, "unknown likelihood 'poisson'"),
        ({"name": "categorical", "n_features": 3}, "needs n_categories"),
        (
            {"name": "image", "n_features": 3, "image_family": "gaussian"},
            "'laplace' or 'bernoulli'",
        ),
        ({"name": "image", "n_features": 3, "image_scale": 0.0}, "scale must be > 0"),
    ],
)
def test_bad_likelihood_arguments(kwargs, message):
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=message):
        make_likelihood(name, **kwargs)


# --------------------------------------------------------------------------------------------------
# the registry


def test_registry_lists_the_built_in_likelihoods_and_derives_the_constants():
    import omicvae._constants as constants

    names = ("nb", "zinb", "normal", "laplace", "bernoulli", "image", "categorical")
    assert likelihood_names() == names
    assert constants.LIKELIHOODS == names
    assert constants.COUNT_LIKELIHOODS == likelihood_names(needs_library=True) == ("nb", "zinb")
    classes = registered_likelihoods()
    assert all(cls.name == name for name, cls in classes.items())
    assert [n for n, c in classes.items() if c.network == "conv"] == ["image"]
    assert [n for n, c in classes.items() if c.needs_n_categories] == ["categorical"]
    assert likelihood_class("nb") is NegativeBinomialLikelihood
    with pytest.raises(ValueError, match=r"unknown likelihood 'poisson'; expected one of nb, zinb"):
        likelihood_class("poisson")


def test_inference_rules_by_priority():
    summary = ValueSummary(n_values=4, min=0.0, max=1.0)
    assert infer_likelihood(summary, (1, 2, 2))[0] == "image"
    assert infer_likelihood(summary, None) == ("bernoulli", "all values are 0 or 1")
    summary.n_non_binary = 2
    assert infer_likelihood(summary, None) == ("nb", "non-negative integer counts")
    summary.n_negative = 1
    assert infer_likelihood(summary, None) == ("normal", "real-valued data")


class _Poisson(Likelihood):
    """A toy likelihood for the registration tests (not registered at import)."""

    name = "poisson_toy"
    needs_library = True
    infer_priority = 150

    @classmethod
    def infer_reason(cls, summary, image_shape):
        return "toy rule" if summary.n_negative == 0 and summary.n_non_integer == 0 else None

    @property
    def heads(self):
        return {"log_rate": self.n_features}

    def distribution(self, out, library):
        rate = library * out["log_rate"].exp()
        return torch.distributions.Independent(torch.distributions.Poisson(rate), 1)


@pytest.fixture
def toy_registered():
    register_likelihood(_Poisson)
    yield _Poisson
    unregister_likelihood(_Poisson.name)


def test_a_registered_likelihood_is_known_everywhere(toy_registered):
    import omicvae._constants as constants

    assert likelihood_names()[-1] == "poisson_toy"
    assert "poisson_toy" in constants.LIKELIHOODS and "poisson_toy" in constants.COUNT_LIKELIHOODS
    lik = make_likelihood("poisson_toy", 3)
    assert isinstance(lik, _Poisson)
    out = {"log_rate": torch.zeros(2, 3)}
    x = lik.sample(out, torch.full((2, 1), 4.0), torch.Generator().manual_seed(0))
    assert x.shape == (2, 3)
    counts = ValueSummary(n_values=4, n_non_binary=3, min=0.0, max=7.0)
    assert infer_likelihood(counts, None) == ("poisson_toy", "toy rule")  # above nb's 100
    check_likelihood_name("toy", "poisson_toy")  # accepted by setup_mudata's name check


def test_unregistering_forgets_the_likelihood(toy_registered):
    unregister_likelihood("poisson_toy")
    assert "poisson_toy" not in likelihood_names()
    with pytest.raises(ValueError, match="unknown likelihood 'poisson_toy'"):
        make_likelihood("poisson_toy", 3)
    register_likelihood(_Poisson)  # for the fixture's clean-up
    with pytest.raises(KeyError, match="not registered"):
        unregister_likelihood("never_registered")


def _subclass(**attrs):
    return type("Bad", (_Poisson,), {"__module__": __name__, **attrs})


@pytest.mark.parametrize(
    "attrs,message",
    [
        ({"name": ""}, "needs a non-empty string `name`"),
        ({"name": "nb"}, "'nb' is already registered by omicvae.distributions._counts"),
        ({"network": "rnn"}, r"network must be one of \['mlp', 'conv'\], got 'rnn'"),
        ({"infer_priority": 100}, "inference priority 100 is already used by 'nb'"),
    ],
)
def test_registration_refuses_bad_declarations(attrs, message):
    with pytest.raises(ValueError, match=message):
        register_likelihood(_subclass(**attrs))
    assert "poisson_toy" not in likelihood_names()
