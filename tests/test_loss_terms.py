"""The loss as inference -> named terms -> weighted sum: a new term is one function and one weight,
added without editing the module, and a training plan can anneal any weight."""

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

import omicvae as ov
from omicvae._config import PRESETS
from omicvae.module import LOSS_TERMS, IDMVAEModule, LossTerm, StepState
from omicvae.train import HistoryLogger, TrainingPlan

from ._mudata import make_mudata, toy_modality
from .test_module_loss import MODS, SMALL, make_batch


def l2_on_z(module, state: StepState) -> torch.Tensor:
    """A toy term: mean squared norm of the shared samples."""
    return state.z.pow(2).sum(-1).mean()


L2 = LossTerm("l2_z", l2_on_z)


def _module(**settings):
    torch.manual_seed(0)
    return IDMVAEModule(MODS, PRESETS["paper_tcga"], **{**SMALL, **settings})


def test_a_new_term_is_added_to_the_loss_and_to_the_logged_terms():
    plain, extended = _module(), _module()
    extended.add_loss_term(L2, weight=0.3)
    batch = make_batch()
    noise = plain.draw_noise(plain.encode(batch["x"], None))
    before, after = plain.loss(batch, noise), extended.loss(batch, noise)
    assert list(after.terms) == [*before.terms, "l2_z"]
    expected = l2_on_z(plain, plain.infer(batch, noise))
    torch.testing.assert_close(after.terms["l2_z"], expected)
    torch.testing.assert_close(after.loss, before.loss + 0.3 * expected)
    assert IDMVAEModule.loss_terms == LOSS_TERMS  # the class is untouched
    extended.weights["l2_z"] = 0.0  # weight 0: not computed
    assert "l2_z" not in extended.loss(batch, noise).terms
    with pytest.raises(ValueError, match="already has a loss term named 'l2_z'"):
        extended.add_loss_term(L2)


def test_a_subclass_extends_the_terms():
    class WithL2(IDMVAEModule):
        loss_terms = (*IDMVAEModule.loss_terms, L2)

    torch.manual_seed(0)
    module = WithL2(MODS, PRESETS["paper_tcga"], **SMALL)
    module.weights["l2_z"] = 1.0
    assert "l2_z" in module.loss(make_batch()).terms


def test_the_new_term_reaches_the_training_history():
    rng = np.random.default_rng(0)
    names = [f"s{i}" for i in range(40)]
    mods = {
        "a": toy_modality(rng.normal(size=(40, 6)).astype(np.float32), names, "a"),
        "b": toy_modality(rng.normal(size=(40, 5)).astype(np.float32), names, "b"),
    }
    mdata = make_mudata(mods)
    ov.IDMVAE.setup_mudata(mdata, likelihoods={"a": "normal", "b": "normal"})
    model = ov.IDMVAE(mdata, n_shared=3, n_private=2, encoder_hidden=8, decoder_hidden=8,
                      diffusion_prior=False)  # fmt: skip
    model.module.add_loss_term(L2, weight=0.1)
    model.train(max_epochs=2, batch_size=20, enable_progress_bar=False)
    assert {"loss", "elbo", "l2_z"} <= set(model.history)
    assert np.isfinite(model.history["l2_z"]["train"]).all()


def test_a_training_plan_anneals_a_weight():
    module = _module(diffusion_prior=False)
    batches = torch.utils.data.DataLoader(
        [make_batch(seed=s, full=True) for s in range(2)], batch_size=None
    )
    schedule = {"cross_mi": lambda epoch: [0.0, 3.0, 5.0][epoch], "beta": lambda epoch: 0.5}
    plan = TrainingPlan(module, weight_schedule=schedule)
    logger = HistoryLogger()
    trainer = pl.Trainer(max_epochs=3, logger=logger, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         accelerator="cpu", devices=1)  # fmt: skip
    trainer.fit(plan, train_dataloaders=batches)
    assert module.weights["cross_mi"] == 5.0 and module.weights["beta"] == 0.5
    history = logger.history()
    assert list(history["loss"].index) == [0, 1, 2]
    assert list(history["cross_mi"].index) == [1, 2]  # weight 0 in epoch 0: not computed
    with pytest.raises(KeyError, match="weight_schedule names \\['kl_weight'\\]"):
        TrainingPlan(module, weight_schedule={"kl_weight": lambda epoch: 1.0})
