"""The optimised training step computes the same loss as a plain reference at the research code's sizes.

TCGA configuration of the speed benchmark (benchmarks/speed.py): two Laplace modalities of 100 features,
batch 128, z 16, w 32, encoder 128-64, decoder 64-128, three 512-wide denoisers, T = 1000, every loss
term on with IDMVAE's default weights.
"""

from types import SimpleNamespace

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

from omicvae._config import PRESETS
from omicvae.module import IDMVAEModule, nt_xent_matrix
from omicvae.train import TrainingPlan

from ._reference import nt_xent, reference_terms

TCGA_MODS = [SimpleNamespace(name=f"m{i}", likelihood="laplace", n_features=100) for i in range(2)]


def _tcga_batch(n=128, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = [torch.randn(n, 100, generator=g) for _ in range(2)]
    return {
        "x": x,
        "mask": torch.ones(n, 2, dtype=torch.bool),
        "batch_index": None,
        "library": [None, None],
    }


@pytest.fixture(scope="module")
def tcga():
    torch.manual_seed(0)
    module = IDMVAEModule(TCGA_MODS, PRESETS["paper_tcga"])  # the research sizes and TCGA weights
    with torch.no_grad():
        module.aux_rho.normal_()
    batch = _tcga_batch()
    torch.manual_seed(1)
    noise = module.draw_noise(module.encode(batch["x"], None))
    return module, batch, noise


def test_research_sizes(tcga):
    module, _, _ = tcga
    assert module.n_shared == 16 and module.n_private == 32
    assert [
        lin.out_features for lin in module.encoders[0].trunk_z if isinstance(lin, torch.nn.Linear)
    ] == [128, 64]
    assert [
        lin.out_features for lin in module.decoders[0].body if isinstance(lin, torch.nn.Linear)
    ] == [64, 128]
    assert module.diffusion_z.n_steps == 1000 and module.diffusion_z.denoiser.hidden == 512
    assert (module.cross_mi_weight, module.gen_aug_weight, module.diffusion_weight) == (
        10.0,
        1e-3,
        0.1,
    )


def test_loss_equals_loop_reference_at_research_sizes(tcga):
    module, batch, noise = tcga
    out = module.loss(batch, noise)
    with torch.no_grad():
        ref = reference_terms(module, batch, noise)
    assert set(out.terms) == {"elbo", "reconstruction", "kl", "cross_mi", "gen_aug", "diffusion"}
    for name, value in out.terms.items():
        torch.testing.assert_close(value.detach(), ref[name], rtol=1e-4, atol=1e-5, msg=name)
    torch.testing.assert_close(out.loss.detach(), ref["loss"], rtol=1e-4, atol=1e-5)


def test_nt_xent_matrix_off_diagonal_pairs_match_pairwise_reference():
    g = torch.Generator().manual_seed(3)
    views = torch.randn(2, 3, 9, 4, generator=g)
    valid = torch.rand(2, 3, 9, generator=g) > 0.25
    table = nt_xent_matrix(views, valid, temperature=0.7)
    for grp in range(2):
        for m in range(3):
            assert table[grp, m, m] == 0
            for n in range(m + 1, 3):
                rows = valid[grp, m] & valid[grp, n]
                expected = nt_xent(views[grp, m][rows], views[grp, n][rows], 0.7)
                torch.testing.assert_close(
                    0.5 * (table[grp, m, n] + table[grp, n, m]), expected, rtol=1e-5, atol=1e-6
                )


def test_fused_adam_step_equals_plain_adam(tcga):
    module, batch, noise = tcga
    plan = TrainingPlan(module)
    fused = plan.configure_optimizers()
    assert fused.defaults.get("fused") is True
    params = [p.detach().clone() for p in module.parameters()]
    twin = [p.clone().requires_grad_(True) for p in params]
    plain = torch.optim.Adam(twin, lr=plan.lr, foreach=False)
    for _ in range(2):
        fused.zero_grad()
        plain.zero_grad()
        module.loss(batch, noise).loss.backward()
        for p, q in zip(module.parameters(), twin, strict=True):
            q.grad = p.grad.clone()
        fused.step()
        plain.step()
    for p, q in zip(module.parameters(), twin, strict=True):
        torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-5, atol=1e-7)
    with torch.no_grad():  # leave the shared fixture as it was
        for p, q in zip(module.parameters(), params, strict=True):
            p.copy_(q)


class _StepRecorder(pl.Callback):
    def __init__(self):
        self.steps = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.steps.append((float(outputs["loss"]), int(batch["mask"].shape[0])))


def _tiny_model(n_obs=40, n_features=10):
    from omicvae.datasets import simulate
    from omicvae.model import IDMVAE

    mdata = simulate(n_obs=n_obs, noise=("normal", "normal"), n_features=n_features)
    IDMVAE.setup_mudata(mdata, likelihoods={"m0": "laplace", "m1": "laplace"})
    return IDMVAE(
        mdata,
        encoder_hidden=(8,),
        decoder_hidden=(8,),
        diffusion_hidden=16,
        diffusion_steps=20,
        diffusion_sample_steps=5,
    )


def test_epoch_logged_loss_is_the_batch_weighted_mean_of_step_losses():
    model = _tiny_model(n_obs=70, n_features=12)
    rec = _StepRecorder()
    model.train(
        max_epochs=2,
        batch_size=32,
        train_size=1.0,
        enable_progress_bar=False,
        callbacks=[rec],
        logger=False,
    )
    hist = model.history["loss"]["train"]
    assert len(rec.steps) == 6  # 32 + 32 + 6 per epoch
    for epoch in range(2):
        chunk = rec.steps[3 * epoch : 3 * epoch + 3]
        expected = sum(v * n for v, n in chunk) / sum(n for _, n in chunk)
        assert hist.loc[epoch] == pytest.approx(expected, rel=1e-5)


def test_nt_xent_pairs_matches_pairwise_reference_with_and_without_the_complete_shortcut():
    from omicvae.module._contrastive import nt_xent_pairs

    g = torch.Generator().manual_seed(5)
    views = torch.randn(4, 10, 3, generator=g)
    first, second = torch.tensor([0, 2, 1]), torch.tensor([1, 3, 3])
    everyone = torch.ones(4, 10, dtype=torch.bool)
    checked = nt_xent_pairs(views, everyone, first, second, 0.5)
    shortcut = nt_xent_pairs(views, everyone, first, second, 0.5, complete=True)
    torch.testing.assert_close(shortcut, checked)
    valid = torch.rand(4, 10, generator=g) > 0.3
    partial = nt_xent_pairs(views, valid, first, second, 0.5)
    for p, (a, b) in enumerate(zip(first.tolist(), second.tolist(), strict=True)):
        for losses, ok in ((checked, everyone), (partial, valid)):
            rows = ok[a] & ok[b]
            expected = nt_xent(views[a][rows], views[b][rows], 0.5)
            torch.testing.assert_close(losses[p].mean(), expected, rtol=1e-5, atol=1e-6)


def test_time_embedding_table_gives_the_per_call_embedding_bit_for_bit():
    from omicvae.nn import Denoiser, sinusoidal_embedding

    den = Denoiser(4, n_groups=2, hidden=64, n_steps=1000)
    t = torch.randint(0, 1000, (2, 50))
    assert torch.equal(den.time_embedding(t), sinusoidal_embedding(t, 64))
    plain = Denoiser(4, n_groups=2, hidden=64)  # no step count: computed per call
    plain.load_state_dict(den.state_dict())
    x = torch.randn(2, 50, 4)
    assert torch.equal(den(x, t), plain(x, t))
    assert "_time_table" not in den.state_dict()


def test_centred_prior_density_equals_the_normal_log_density():
    from torch.distributions import Normal

    from omicvae.module._elbo import PRIOR_SCALE, centred_gaussian_log_density

    x = torch.randn(3, 7, 5)
    expected = Normal(0.0, PRIOR_SCALE).log_prob(x).sum(-1)
    torch.testing.assert_close(centred_gaussian_log_density(x, PRIOR_SCALE), expected)


def test_train_compile_routes_only_the_training_loss_through_torch_compile(monkeypatch):
    model = _tiny_model()
    compiled, calls = [], []

    def fake_compile(fn):
        compiled.append(fn)

        def wrapped(*args, **kwargs):
            calls.append(args[0]["mask"].shape[0])
            return fn(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(torch, "compile", fake_compile)
    model.train(
        max_epochs=1, batch_size=16, train_size=0.75, compile=True, enable_progress_bar=False
    )
    assert compiled == [model.module.loss]
    assert calls == [16, 14]  # the 30 training samples; the 10 validation samples stay eager
    assert model.history["loss"]["validation"].notna().all()


@pytest.mark.slow
def test_compiled_loss_equals_eager_loss_and_trains():
    model = _tiny_model()
    module = model.module
    batch = _tcga_batch(n=12)
    batch["x"] = [x[:, :10] for x in batch["x"]]
    torch.manual_seed(0)
    noise = module.draw_noise(module.encode(batch["x"], None))
    eager = module.loss(batch, noise)
    fast = TrainingPlan(module, compile=True)._train_loss_fn(batch, noise)
    for name, value in eager.terms.items():
        torch.testing.assert_close(fast.terms[name], value, rtol=1e-4, atol=1e-5, msg=name)
    model.train(
        max_epochs=2, batch_size=16, train_size=1.0, compile=True, enable_progress_bar=False
    )
    assert np.isfinite(model.history["loss"]["train"]).all()
