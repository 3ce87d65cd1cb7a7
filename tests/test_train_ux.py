"""What a newcomer sees when training: the default length, the output, the history, the warning."""

import logging
import warnings

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import pytest

import omicvae as ov
from omicvae import IDMVAE
from omicvae.train import default_max_epochs, loss_still_falling

from .conftest import QUIET, TINY


@pytest.fixture
def omicvae_log():
    """Records of the "omicvae" logger (which does not propagate to the root, so caplog misses it)."""
    records = []

    class _Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = _Keep(level=logging.INFO)
    log = logging.getLogger("omicvae")
    log.addHandler(handler)
    yield records
    log.removeHandler(handler)


class _Record(pl.Callback):
    """Remembers the trainer's max_epochs; stops after the first epoch when ``stop``."""

    def __init__(self, stop: bool):
        self.stop, self.max_epochs = stop, None

    def on_train_epoch_end(self, trainer, pl_module):
        self.max_epochs = trainer.max_epochs
        if self.stop:
            trainer.should_stop = True


def test_default_max_epochs_scales_with_the_training_samples():
    assert [default_max_epochs(n) for n in (10, 83, 630, 1000, 3000, 100_000)] == [
        400,
        400,
        238,
        150,
        50,
        50,
    ]
    with pytest.raises(ValueError, match="n_train must be positive"):
        default_max_epochs(0)


def test_max_epochs_none_uses_the_default_and_reports_it(omicvae_log):
    mdata = ov.datasets.simulate(n_obs=800, n_features=6, seed=0)
    IDMVAE.setup_mudata(mdata)
    model = IDMVAE(mdata, **TINY)
    seen = _Record(stop=True)  # one epoch is enough to see the schedule the trainer got
    model.train(batch_size=800, train_size=0.75, callbacks=[seen], **QUIET)
    assert seen.max_epochs == default_max_epochs(600) == 250
    messages = [r.getMessage() for r in omicvae_log if r.levelno == logging.INFO]
    assert any("training for 250 epochs" in m and "600 training samples" in m for m in messages)

    omicvae_log.clear()
    explicit = _Record(stop=False)
    model.train(max_epochs=2, batch_size=800, callbacks=[explicit], **QUIET)
    assert explicit.max_epochs == 2
    assert not any("training for" in r.getMessage() for r in omicvae_log)


def test_loss_still_falling_rule():
    t = np.arange(100, dtype=float)
    assert loss_still_falling(500 - 2 * t) == pytest.approx(0.1, abs=0.01)  # linear: 10%
    converged = 100 + 400 * np.exp(-t / 5)
    assert abs(loss_still_falling(converged)) < 1e-3
    assert loss_still_falling(np.r_[converged[:80], converged[79] + np.arange(1, 21)]) < 0
    # the same shape at another offset and sign (likelihoods with negative losses) gives the same
    assert loss_still_falling(-1000 - 2 * t) == pytest.approx(loss_still_falling(500 - 2 * t))
    assert loss_still_falling((500 - 2 * t)[:19]) is None  # too short to judge
    assert loss_still_falling(np.full(50, 3.0)) is None  # never fell


def test_train_warns_at_the_callers_line_when_the_loss_is_still_falling():
    mdata = ov.datasets.simulate(n_obs=60, n_features=6, seed=1)
    IDMVAE.setup_mudata(mdata)
    model = IDMVAE(mdata, **TINY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.train(max_epochs=2, batch_size=60, train_size=1.0, **QUIET)
    assert not [w for w in caught if "still falling" in str(w.message)]  # too few epochs to judge

    model = IDMVAE(mdata, **TINY)  # 20 single-step epochs: the loss is far from flat
    with pytest.warns(
        UserWarning, match=r"IDMVAE\.train: the training loss was still falling"
    ) as rec:
        model.train(max_epochs=20, batch_size=60, train_size=1.0, **QUIET)
    ours = [w for w in rec if "still falling" in str(w.message)]
    assert len(ours) == 1 and ours[0].filename == __file__
    assert "model.train(max_epochs=...)" in str(ours[0].message)


@pytest.fixture
def lightning_log():
    """Lightning's INFO messages at Lightning's default level (conftest lowers it for the suite).

    Recorded by a handler on the "lightning.pytorch" logger: its own stream handler writes to the
    stderr of import time, which output-capturing fixtures do not see.
    """
    records = []

    class _Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    log = logging.getLogger("lightning.pytorch")
    before, handler = log.level, _Keep(level=logging.DEBUG)
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    yield records
    log.removeHandler(handler)
    log.setLevel(before)


def test_training_output_is_one_epoch_bar_with_the_loss_and_no_lightning_noise(
    capfd, lightning_log
):
    mdata = ov.datasets.simulate(n_obs=60, n_features=6, seed=2)
    IDMVAE.setup_mudata(mdata)
    capfd.readouterr()
    model = IDMVAE(mdata, **TINY)
    model.train(max_epochs=2, batch_size=30, enable_progress_bar=True)
    assert logging.getLogger("lightning.pytorch").level == logging.INFO  # restored afterwards
    bar = capfd.readouterr()
    text = "\n".join([bar.out, bar.err, *lightning_log])
    for noise in ("GPU available", "TPU available", "litlogger", "v_num", "Trainer.fit` stopped"):
        assert noise not in text, noise
    assert "2/2" in text and "epoch" in text  # one bar over the epochs, not one per epoch
    assert "loss=" in text and "val_loss=" in text
    assert "Validation" not in text and "Epoch 0" not in text

    model.train(max_epochs=1, batch_size=30, verbose=True, **QUIET)
    assert any("GPU available" in m for m in lightning_log)  # verbose=True brings them back


def test_a_second_train_appends_to_the_history(tmp_path):
    mdata = ov.datasets.simulate(n_obs=60, n_features=6, seed=3)
    IDMVAE.setup_mudata(mdata)
    model = IDMVAE(mdata, **TINY)
    model.train(max_epochs=2, batch_size=30, **QUIET)
    first = model.history
    model.train(max_epochs=3, batch_size=30, **QUIET)
    second = model.history
    assert set(second) == set(first)
    for term, frame in second.items():
        assert list(frame.index) == [0, 1, 2, 3, 4] and frame.index.name == "epoch"
        pd.testing.assert_frame_equal(frame.iloc[:2], first[term])
    # training continued from the trained weights: the loss goes on from where it was
    loss = second["loss"]["train"].to_numpy()
    assert loss[2] < loss[0]
    model.save(tmp_path / "m")
    pd.testing.assert_frame_equal(
        IDMVAE.load(tmp_path / "m", mdata).history["loss"], second["loss"]
    )
