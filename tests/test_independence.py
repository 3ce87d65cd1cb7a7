"""The independence term: kernel dependence between private codes and the other modalities' shared code."""

import pytest
import torch

import omicvae as ov
from omicvae.module import IDMVAEModule
from omicvae.module._independence import (
    kernel_alignment,
    own_private_dependence,
    shared_private_dependence,
)

from .conftest import TINY


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_kernel_alignment_is_small_for_independent_and_large_for_dependent_codes():
    x = torch.randn(200, 4, generator=_gen(0))
    independent = torch.randn(200, 6, generator=_gen(1))
    linear = x @ torch.randn(4, 6, generator=_gen(2))
    nonlinear = torch.cat([x.pow(2), torch.tanh(3 * x)], dim=1)
    assert kernel_alignment(x, independent) < 0.1
    assert kernel_alignment(x, linear) > 0.5
    assert kernel_alignment(x, nonlinear) > 0.3
    # the bandwidth follows the data: rescaling a code changes nothing
    assert torch.isclose(kernel_alignment(x, linear), kernel_alignment(100 * x, 0.01 * linear))


def test_kernel_alignment_of_independent_clustered_codes_is_zero_on_average():
    # private and shared codes with their own class structure, drawn independently: a biased
    # estimate would be positive (about 0.018 here) and penalise the private classes themselves
    gen = _gen(5)
    values = []
    for _ in range(30):
        s, p = (
            torch.randint(0, 4, (128,), generator=gen),
            torch.randint(0, 3, (128,), generator=gen),
        )
        z = 3 * torch.randn(4, 4, generator=gen)[s] + 0.3 * torch.randn(128, 4, generator=gen)
        w = 3 * torch.randn(3, 6, generator=gen)[p] + 0.3 * torch.randn(128, 6, generator=gen)
        values.append(kernel_alignment(w, z).item())
    assert abs(sum(values) / len(values)) < 0.005, values


def _codes(leak_from: str, n=200):
    """Two modalities; w_0 copies modality ``leak_from``'s shared mean or nothing."""
    z = torch.randn(2, n, 3, generator=_gen(3))
    w = torch.randn(2, n, 5, generator=_gen(4))
    if leak_from == "own":
        w[0, :, :3] = z[0]
    elif leak_from == "other":
        w[0, :, :3] = z[1]
    return z, w


def test_dependence_uses_only_the_other_modalities_shared_code():
    mask = torch.ones(200, 2, dtype=torch.bool)
    clean = shared_private_dependence(*_codes("none"), mask, True)
    own = shared_private_dependence(*_codes("own"), mask, True)
    other = shared_private_dependence(*_codes("other"), mask, True)
    # a private code that copies its own modality's shared code is not penalised (that code may
    # still hold private information); one that holds what the other modality's code knows is
    assert own < clean + 0.05
    assert other > clean + 0.3


def test_dependence_moves_private_codes_only():
    z, w = _codes("other")
    z.requires_grad_(True)
    w.requires_grad_(True)
    shared_private_dependence(z, w, torch.ones(200, 2, dtype=torch.bool), True).backward()
    assert z.grad is None or torch.count_nonzero(z.grad) == 0
    assert w.grad.abs().sum() > 0


def test_dependence_skips_samples_without_another_modality():
    z, w = _codes("other")
    mask = torch.ones(200, 2, dtype=torch.bool)
    # corrupt the samples that will be absent: they must not change the value
    mask[:50, 1] = False
    w_bad = w.clone()
    w_bad[0, :50] = 1e3
    masked = shared_private_dependence(z, w_bad, mask, False)
    kept = shared_private_dependence(z[:, 50:], w[:, 50:], mask[50:], True)
    assert torch.isclose(masked, kept)
    assert shared_private_dependence(z[:1], w[:1], mask[:, :1], True) == 0


def test_module_adds_the_weighted_term_and_zero_weight_leaves_the_loss_unchanged(sim_mdata):
    ov.IDMVAE.setup_mudata(sim_mdata)
    registry = ov.IDMVAE(sim_mdata, **TINY).registry
    settings = dict(TINY, diffusion_prior=False)
    torch.manual_seed(0)
    off = IDMVAEModule(registry.modalities, independence_weight=0.0, **settings)
    on = IDMVAEModule(registry.modalities, independence_weight=5.0, **settings)
    on.load_state_dict(off.state_dict())
    model = ov.IDMVAE(sim_mdata, **TINY)
    batch = next(iter(model._loader(model._tensors(None), range(64), 64, shuffle=False)))
    noise = off.draw_noise(off.encode(batch["x"], None))
    out_off, out_on = off.loss(batch, noise), on.loss(batch, noise)
    assert "independence" not in out_off.terms
    term = out_on.terms["independence"]
    assert -0.3 < term < 3  # one alignment per modality, at most 1, about 0 when independent
    assert term != 0
    assert torch.isclose(out_on.loss, out_off.loss + 5.0 * term)


def test_independence_weight_is_checked_and_mmvae_plus_fixes_it(sim_mdata):
    ov.IDMVAE.setup_mudata(sim_mdata)
    with pytest.raises(ValueError, match="independence_weight must be a non-negative number"):
        ov.IDMVAE(sim_mdata, independence_weight=-1.0, **TINY)
    with pytest.raises(TypeError, match="independence_weight"):
        ov.MMVAEPlus(sim_mdata, independence_weight=1.0, **TINY)
    for preset in ("paper_tcga", "paper_polymnist"):
        assert ov.IDMVAE(sim_mdata, preset=preset).hyperparameters["independence_weight"] == 0.0


# ------------------------------------------------------------------ the shared-purity counterpart


def test_purity_sees_a_shared_code_that_holds_its_own_private_code():
    mask = torch.ones(200, 2, dtype=torch.bool)
    clean = own_private_dependence(*_codes("none"), mask, True)
    own = own_private_dependence(*_codes("own"), mask, True)  # z_0 and w_0 share 3 dimensions
    other = own_private_dependence(*_codes("other"), mask, True)
    assert abs(clean) < 0.1
    assert own > clean + 0.3
    assert other < clean + 0.05  # w_0 copying z_1 is the independence term's business


def test_purity_moves_shared_codes_only_and_skips_absent_samples():
    z, w = _codes("own")
    z.requires_grad_(True)
    w.requires_grad_(True)
    own_private_dependence(z, w, torch.ones(200, 2, dtype=torch.bool), True).backward()
    assert w.grad is None or torch.count_nonzero(w.grad) == 0
    assert z.grad[0].abs().sum() > 0
    z, w = _codes("own")
    mask = torch.ones(200, 2, dtype=torch.bool)
    mask[:50, 0] = False
    z_bad = z.clone()
    z_bad[0, :50] = 1e3
    masked = own_private_dependence(z_bad, w, mask, False)
    expected = kernel_alignment(z[0, 50:], w[0, 50:]) + kernel_alignment(z[1], w[1])
    assert torch.isclose(masked, expected)


def test_module_adds_the_weighted_purity_term(sim_mdata):
    ov.IDMVAE.setup_mudata(sim_mdata)
    model = ov.IDMVAE(sim_mdata, **TINY)
    settings = dict(TINY, diffusion_prior=False)
    torch.manual_seed(0)
    off = IDMVAEModule(model.registry.modalities, **settings)
    on = IDMVAEModule(model.registry.modalities, shared_purity_weight=3.0, **settings)
    on.load_state_dict(off.state_dict())
    batch = next(iter(model._loader(model._tensors(None), range(64), 64, shuffle=False)))
    noise = off.draw_noise(off.encode(batch["x"], None))
    out_off, out_on = off.loss(batch, noise), on.loss(batch, noise)
    assert "shared_purity" not in out_off.terms
    term = out_on.terms["shared_purity"]
    assert term != 0 and -0.3 < term < 3
    assert torch.isclose(out_on.loss, out_off.loss + 3.0 * term)
    with pytest.raises(TypeError, match="shared_purity_weight"):
        ov.MMVAEPlus(sim_mdata, shared_purity_weight=1.0, **TINY)
    for preset in ("paper_tcga", "paper_polymnist", "images"):
        assert ov.IDMVAE(sim_mdata, preset=preset).hyperparameters["shared_purity_weight"] == 0.0
