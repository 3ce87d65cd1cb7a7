"""The model's seams (issue 15, item 4): split helper, library sizes, posterior iterator, training
plan class, trainer factory and weight schedule; each pinned to what the code did before it."""

import numpy as np
import pytest

import omicvae as ov
from omicvae.data import split_indices

from .conftest import QUIET, TINY


def _split_before(n, train_size, seed):
    """How ``IDMVAE.train`` drew its split before :func:`split_indices` existed."""
    order = np.random.default_rng(seed).permutation(n)
    n_train = n if train_size >= 1 else max(1, int(round(train_size * n)))
    return np.sort(order[:n_train]), np.sort(order[n_train:])


@pytest.mark.parametrize(
    ("n", "train_size", "seed"),
    [(120, 0.9, 0), (120, 0.8, 3), (7, 0.5, 1), (5, 1.0, 2), (3, 0.01, 0)],
)
def test_split_indices_are_the_split_train_drew_before(n, train_size, seed):
    for new, old in zip(
        split_indices(n, train_size, seed=seed), _split_before(n, train_size, seed), strict=True
    ):
        np.testing.assert_array_equal(new, old)
        assert new.dtype == np.int64


def test_split_indices_with_a_validation_size():
    train, val = split_indices(100, 0.6, 0.2, seed=4)
    assert (len(train), len(val)) == (60, 20)
    assert not set(train) & set(val)
    np.testing.assert_array_equal(train, split_indices(100, 0.6, seed=4)[0])
    with pytest.raises(ValueError, match="take more than"):
        split_indices(10, 0.8, 0.5)


def test_train_uses_the_split_helper(sim_mdata):
    ov.IDMVAE.setup_mudata(sim_mdata)
    model = ov.IDMVAE(sim_mdata, **TINY)
    model.train(1, train_size=0.75, seed=5, **QUIET)
    train, val = split_indices(sim_mdata.n_obs, 0.75, seed=5)
    np.testing.assert_array_equal(model.train_indices, train)
    np.testing.assert_array_equal(model.validation_indices, val)


def test_library_sizes_are_those_computed_before(sim_mdata):
    import torch

    from omicvae.data import build_tensors, draw_library, library_rows, setup_registry

    registry = setup_registry(sim_mdata)
    tensors = build_tensors(sim_mdata, registry)
    spec, counts = registry.modalities[0], sim_mdata["m0"]
    assert spec.likelihood == "nb"
    totals = np.asarray(counts.X.sum(1), dtype=np.float64).ravel()
    logs = np.log(totals[totals > 0])
    assert (spec.library_log_mean, spec.library_log_std) == (float(logs.mean()), float(logs.std()))
    rows = torch.arange(tensors.n_obs)
    present = tensors.mask[:, 0]
    typical = float(np.exp(spec.library_log_mean))
    expected = torch.where(
        present[:, None], tensors.library[0], torch.full_like(tensors.library[0], typical)
    )
    assert torch.equal(library_rows(spec, tensors, 0, rows), expected)
    assert torch.equal(library_rows(spec, tensors, 0, rows, minimum=1.0), expected.clamp(min=1.0))
    positions = sim_mdata.obs_names.get_indexer(counts.obs_names)
    np.testing.assert_array_equal(
        tensors.library[0][positions, 0].numpy(), totals.astype(np.float32)
    )
    assert bool((tensors.library[0][~present] == 1).all())
    gen = torch.Generator().manual_seed(0)
    noise = torch.randn(6, 1, generator=torch.Generator().manual_seed(0))
    old = (spec.library_log_mean + spec.library_log_std * noise).exp()
    assert torch.equal(draw_library(spec, 6, gen, "cpu"), old)
    normal = registry.modalities[1]
    assert library_rows(normal, tensors, 1, rows) is None
    assert draw_library(normal, 6, gen, "cpu") is None


def test_one_posterior_iterator_feeds_latents_and_reconstruction(sim_mdata, monkeypatch):
    import torch

    from omicvae.model import _posterior

    ov.IDMVAE.setup_mudata(sim_mdata)
    model = ov.IDMVAE(sim_mdata, **TINY)
    model.train(1, **QUIET)
    rows = np.array([5, 0, 17, 3, 99, 42, 8])
    batches = list(_posterior.iter_posteriors(model, None, rows, 3))
    assert [len(b[0]["mask"]) for b in batches] == [3, 3, 1]
    tensors = model._tensors(None)
    x = [tensors.rows(m, torch.as_tensor(rows)) for m in range(model.module.n_mod)]
    with torch.no_grad():
        whole = model.module.encode(x, None)
    got = torch.cat([b[3].mu_z for b in batches], dim=1)
    torch.testing.assert_close(got, whole.mu_z)
    assert not model.module.training
    mu_z, _, _, _, mask = _posterior.posterior_arrays(model, None, rows, 3)
    np.testing.assert_array_equal(
        model.get_latent_representation(indices=rows, batch_size=3),
        _posterior.mixture_mean(mu_z, mask),
    )
    calls = []
    real = _posterior.iter_posteriors

    def counting(*args):
        calls.append(args[2])
        yield from real(*args)

    monkeypatch.setattr("omicvae.model._idmvae.iter_posteriors", counting)
    model.get_reconstruction_error(indices=rows)
    assert len(calls) == 1 and calls[0] is rows


def test_weight_schedule_passes_through_train_to_the_plan(sim_mdata):
    ov.IDMVAE.setup_mudata(sim_mdata)
    model = ov.IDMVAE(sim_mdata, **TINY)
    epochs = []

    def beta(epoch):
        epochs.append(epoch)
        return 0.5 * (epoch + 1)

    model.train(2, weight_schedule={"beta": beta}, **QUIET)
    assert epochs == [0, 1]
    assert model.module.weights["beta"] == 1.0
    with pytest.raises(KeyError, match="not loss weights"):
        model.train(1, weight_schedule={"no_such_term": beta}, **QUIET)


def test_a_subclass_trains_with_its_own_training_plan(sim_mdata):
    from omicvae.train import TrainingPlan

    built = []

    class CountingPlan(TrainingPlan):
        def __init__(self, module, **kwargs):
            super().__init__(module, **kwargs)
            built.append(kwargs)

    class Variant(ov.IDMVAE):
        _training_plan_cls = CountingPlan

    Variant.setup_mudata(sim_mdata)
    Variant(sim_mdata, **TINY).train(1, lr=1e-3, **QUIET)
    assert len(built) == 1 and built[0]["lr"] == 1e-3
    assert ov.IDMVAE._training_plan_cls is TrainingPlan


def test_the_trainer_factory_builds_the_trainer_of_train(sim_mdata, monkeypatch):
    import lightning.pytorch as pl

    from omicvae.model import _idmvae
    from omicvae.train import EpochProgressBar, HistoryLogger, make_trainer

    trainer, history = make_trainer(
        3, early_stopping=True, early_stopping_monitor="train_loss", max_time={"minutes": 5}
    )
    assert trainer.max_epochs == 3 and isinstance(trainer.loggers[0], HistoryLogger)
    assert trainer.loggers[0] is history and trainer.checkpoint_callback is None
    assert any(isinstance(c, EpochProgressBar) for c in trainer.callbacks)
    assert [c.monitor for c in trainer.callbacks if isinstance(c, pl.callbacks.EarlyStopping)] == [
        "train_loss"
    ]
    assert any(isinstance(c, pl.callbacks.Timer) for c in trainer.callbacks)
    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs)
        return make_trainer(*args, **kwargs)

    monkeypatch.setattr(_idmvae, "make_trainer", spy)
    ov.IDMVAE.setup_mudata(sim_mdata)
    ov.IDMVAE(sim_mdata, **TINY).train(1, max_time={"minutes": 5}, early_stopping=True, **QUIET)
    assert seen[0]["max_time"] == {"minutes": 5}
    assert seen[0]["early_stopping_monitor"] == "validation_loss"
