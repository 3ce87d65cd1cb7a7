"""The private-reconstruction term: x_d decoded from another modality's z and its own w."""

import torch

from omicvae._config import PRESETS
from omicvae.module import IDMVAEModule
from omicvae.module._terms import private_reconstruction

from .test_module_loss import MODS, SMALL, make_batch


def _module(**settings):
    torch.manual_seed(0)
    return IDMVAEModule(MODS, PRESETS["paper_tcga"], **{**SMALL, **settings})


def _state(module, batch, seed=0):
    torch.manual_seed(seed)
    return module.infer(batch)


def test_value_is_the_mean_over_ordered_pairs_of_samples_with_both_modalities():
    module = _module()
    batch = make_batch()
    state = _state(module, batch)
    mask = batch["mask"]
    expected, pairs = 0.0, 0
    for d in range(3):
        for r in range(3):
            if r == d:
                continue
            out = module.decode(d, state.z[r], state.w[d], None)
            lp = module.likelihoods[d].log_prob(batch["x"][d], out, batch["library"][d])
            both = mask[:, d] & mask[:, r]
            expected -= module.likelihood_scale[d] * lp[both].mean()
            pairs += 1
    torch.testing.assert_close(private_reconstruction(module, state), expected / pairs)


def test_absent_samples_do_not_count_and_the_decoders_read_w():
    module = _module()
    batch = make_batch()
    state = _state(module, batch)
    value = private_reconstruction(module, state)
    # sample 4 has the first modality only: no pair includes it
    state.x[0][4] += 100.0
    torch.testing.assert_close(private_reconstruction(module, state), value)
    state.x[0][4] -= 100.0
    # the term depends on each modality's own private sample...
    state.w = state.w.detach().requires_grad_(True)
    private_reconstruction(module, state).backward()
    assert state.w.grad.abs().sum() > 0
    # ...but a modality's w reaches only its own decoder: w_0 of a sample with modality 0 alone
    # (sample 4) gets no gradient
    assert state.w.grad[0, 4].abs().sum() == 0


def test_weight_zero_by_default_and_logged_when_on():
    batch = make_batch()
    torch.manual_seed(0)
    assert "private_reconstruction" not in _module().loss(batch).terms
    module, plain_module = _module(private_reconstruction_weight=2.0), _module()
    noise = module.draw_noise(module.encode(batch["x"], None))
    out, plain = module.loss(batch, noise), plain_module.loss(batch, noise)
    assert "private_reconstruction" in out.terms
    torch.testing.assert_close(out.loss, plain.loss + 2.0 * out.terms["private_reconstruction"])


def test_one_modality_gives_zero():
    torch.manual_seed(0)
    module = IDMVAEModule(MODS[:1], PRESETS["paper_tcga"], **{**SMALL, "likelihood_scale": None})
    batch = make_batch(full=True)
    batch = {
        **batch,
        "x": batch["x"][:1],
        "mask": batch["mask"][:, :1],
        "library": batch["library"][:1],
    }
    assert float(private_reconstruction(module, _state(module, batch))) == 0.0
