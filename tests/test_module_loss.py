"""The batched IDMVAE objective against hand-computed values and a loop-based reference."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from omicvae._config import PRESETS
from omicvae.module import (
    IDMVAEModule,
    cross_mi_loss,
    mixture_log_density,
    mmvae_plus_loss,
    nt_xent_matrix,
    paired_nt_xent,
    previous_present,
)
from omicvae.module._terms import gen_aug

from ._reference import nt_xent, reference_terms

MODS = [
    SimpleNamespace(name="rna", likelihood="nb", n_features=5),
    SimpleNamespace(name="prot", likelihood="normal", n_features=4),
    SimpleNamespace(name="mut", likelihood="bernoulli", n_features=3),
]
PAPER = PRESETS["paper_tcga"]  # the reference computes the paper's objective (no independence term)
SMALL = dict(
    n_shared=3,
    n_private=4,
    encoder_hidden=(8,),
    decoder_hidden=(8,),
    diffusion_hidden=16,
    diffusion_steps=50,
    diffusion_sample_steps=10,
    likelihood_scale={"prot": 0.5},
)


def make_batch(n=7, seed=0, full=False):
    g = torch.Generator().manual_seed(seed)
    counts = torch.poisson(torch.rand(n, 5, generator=g) * 20, generator=g)
    mask = torch.ones(n, 3, dtype=torch.bool)
    if not full:
        mask[1, 0] = mask[2, 1] = mask[3, 2] = mask[4, 1] = mask[4, 2] = mask[5, 0] = False
    x = [counts, torch.randn(n, 4, generator=g), (torch.rand(n, 3, generator=g) < 0.5).float()]
    for m in range(3):
        x[m][~mask[:, m]] = 0.0
    library = counts.sum(1, keepdim=True)
    library[~mask[:, 0]] = 1.0
    return {"x": x, "mask": mask, "batch_index": None, "library": [library, None, None]}


def make_module(seed=0, **kwargs):
    torch.manual_seed(seed)
    return IDMVAEModule(MODS, PAPER, **{**SMALL, **kwargs})


@pytest.mark.parametrize("full", [True, False])
def test_batched_loss_equals_loop_reference(full):
    module = make_module(cross_mi_weight=2.0, gen_aug_weight=0.7, diffusion_weight=0.3)
    with torch.no_grad():
        module.aux_rho.normal_()  # a non-trivial auxiliary prior
    batch = make_batch(full=full)
    torch.manual_seed(1)
    post = module.encode(batch["x"], None)
    noise = module.draw_noise(post)
    out = module.loss(batch, noise)
    ref = reference_terms(module, batch, noise)
    assert set(out.terms) == {"elbo", "reconstruction", "kl", "cross_mi", "gen_aug", "diffusion"}
    for name, value in out.terms.items():
        torch.testing.assert_close(value, ref[name], rtol=1e-4, atol=1e-4, msg=name)
    torch.testing.assert_close(out.loss, ref["loss"], rtol=1e-4, atol=1e-4)


def test_nt_xent_hand_computed():
    # two samples, two views, orthogonal unit vectors: a0 = b0 = e1, a1 = b1 = e2
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    b = a.clone()
    # anchor a0: positive b0 (cos 1), candidates {a1: 0, b0: 1, b1: 0} -> loss = log(e + 2) - 1
    expected = math.log(math.e + 2) - 1
    valid = torch.ones(1, 2, dtype=torch.bool)
    assert paired_nt_xent(a[None], b[None], valid).item() == pytest.approx(expected, rel=1e-6)
    assert nt_xent(a, b).item() == pytest.approx(expected, rel=1e-6)
    # temperature divides the similarities
    expected_t = math.log(math.exp(2) + 2) - 2
    assert paired_nt_xent(a[None], b[None], valid, temperature=0.5).item() == pytest.approx(
        expected_t, rel=1e-6
    )


def test_nt_xent_is_cosine_scale_invariant_and_uses_only_valid_samples():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)
    valid = torch.tensor([True, True, False, True, False, True])
    batched = paired_nt_xent(a[None], (5 * b)[None], valid[None])[0]
    torch.testing.assert_close(batched, nt_xent(a[valid], b[valid]))
    table = nt_xent_matrix(torch.stack([a, b])[None], valid.expand(2, 6)[None])[0]
    assert torch.all(table.diagonal() == 0)


def test_cross_mi_normalisation_is_sum_over_ordered_pairs_over_m_minus_one():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(3, 8, 4, generator=g)
    mask = torch.ones(8, 3, dtype=torch.bool)
    pair = [nt_xent(mu[i], mu[j]) for i in range(3) for j in range(3) if i != j]
    torch.testing.assert_close(cross_mi_loss(mu, mask), sum(pair) / 2)
    # two modalities: twice the plain NT-Xent (the paper's average over unordered pairs is M times smaller)
    torch.testing.assert_close(cross_mi_loss(mu[:2], mask[:, :2]), 2 * nt_xent(mu[0], mu[1]))
    assert cross_mi_loss(mu[:1], mask[:, :1]).item() == 0.0


def test_mixture_log_density_hand_computed():
    # one latent dim, two modalities: N(0, 1) and N(2, 0.5); the second is absent for sample 1
    mu = torch.tensor([[[0.0], [0.0]], [[2.0], [2.0]]])
    sd = torch.tensor([[[1.0], [1.0]], [[0.5], [0.5]]])
    z = torch.tensor([[[1.0], [1.0]]])
    mask = torch.tensor([[True, True], [True, False]])
    out = mixture_log_density(z, mu, sd, mask)[0]

    def logn(x, m, s):
        return -0.5 * ((x - m) / s) ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi)

    both = math.log(0.5 * (math.exp(logn(1, 0, 1)) + math.exp(logn(1, 2, 0.5))))
    assert out[0].item() == pytest.approx(both, rel=1e-6)
    assert out[1].item() == pytest.approx(logn(1, 0, 1), rel=1e-6)


def test_mmvae_plus_loss_hand_computed():
    # R = D = 2 modalities, 2 samples; sample 1 lacks modality 1
    recon = torch.tensor([[[-1.0, -2.0], [-3.0, -4.0]], [[-5.0, -6.0], [-7.0, -8.0]]])  # [r, d, b]
    lpz = torch.tensor([[-1.0, -1.0], [-2.0, -2.0]])
    zero = torch.zeros(2, 2)
    mask = torch.tensor([[True, True], [True, False]])
    loss, rec, kl = mmvae_plus_loss(recon, lpz, zero, zero, zero, mask, beta=2.0)
    # sample 0: sources r=0: -1-5=-6 ; r=1: -3-7=-10 -> mean -8; sample 1: only r=0, d=0: -2
    assert rec.item() == pytest.approx(-(-8 + -2) / 2)
    # kl = -beta * mean log p(z): sample 0 mean(-1,-2) = -1.5, sample 1: -1 -> -2 * (-1.25)
    assert kl.item() == pytest.approx(2.5)
    assert loss.item() == pytest.approx(rec.item() + kl.item())


def test_previous_present_rolls_among_present_rows():
    present = torch.tensor([True, False, True, True, False])
    assert previous_present(present).tolist() == [3, 1, 0, 2, 4]
    assert previous_present(torch.ones(4, dtype=torch.bool)).tolist() == [3, 0, 1, 2]


def test_lambda_zero_without_diffusion_is_exactly_mmvae_plus():
    full = make_module(cross_mi_weight=3.0, gen_aug_weight=1.0, diffusion_prior=True)
    plain = make_module(cross_mi_weight=0.0, gen_aug_weight=0.0, diffusion_prior=False)
    plain.load_state_dict(
        {k: v for k, v in full.state_dict().items() if not k.startswith("diffusion")}
    )
    batch = make_batch()
    post = full.encode(batch["x"], None)
    torch.manual_seed(3)
    noise = full.draw_noise(post)
    out_full, out_plain = full.loss(batch, noise), plain.loss(batch, noise)
    assert set(out_plain.terms) == {"elbo", "reconstruction", "kl"}
    assert torch.equal(out_plain.loss, out_full.terms["elbo"])
    ref = reference_terms(plain, batch, noise)
    torch.testing.assert_close(out_plain.loss, ref["elbo"], rtol=1e-5, atol=1e-5)


def test_missing_modality_receives_no_signal():
    module = make_module(cross_mi_weight=1.0, gen_aug_weight=1.0, diffusion_weight=1.0)
    batch = make_batch()
    for x in batch["x"]:
        x.requires_grad_(True)
    torch.manual_seed(0)
    out = module.loss(batch)
    out.loss.backward()
    for m, x in enumerate(batch["x"]):
        missing = ~batch["mask"][:, m]
        assert missing.any()
        assert torch.all(x.grad[missing] == 0), f"modality {m} missing rows got gradient"
        assert torch.any(x.grad[~missing] != 0)
    # garbage in the rows of a missing modality changes nothing
    batch2 = make_batch()
    batch2["x"][1][~batch2["mask"][:, 1]] = 1e3
    post = module.encode(make_batch()["x"], None)
    noise = module.draw_noise(post)
    a, b = module.loss(make_batch(), noise), module.loss(batch2, noise)
    for name in a.terms:
        torch.testing.assert_close(a.terms[name], b.terms[name], msg=name)


def test_encoder_of_a_modality_absent_from_the_batch_gets_no_gradient():
    module = make_module(cross_mi_weight=1.0, gen_aug_weight=1.0, diffusion_weight=1.0)
    batch = make_batch()
    batch["mask"][:, 2] = False
    module.loss(batch).loss.backward()
    assert all(p.grad is None or torch.all(p.grad == 0) for p in module.encoders[2].parameters())
    assert any(
        p.grad is not None and torch.any(p.grad != 0) for p in module.encoders[0].parameters()
    )


def test_gen_aug_has_no_stop_gradient():
    module = make_module(cross_mi_weight=0.0, gen_aug_weight=1.0, diffusion_prior=False)
    batch = make_batch(full=True)
    gen_aug(module, module.infer(batch)).backward()
    # gradients reach the decoders (through x+) and the encoders' posterior-scale heads (through the samples)
    for m in range(3):
        assert any(
            torch.any(p.grad != 0) for p in module.decoders[m].parameters() if p.grad is not None
        )
        assert torch.any(module.encoders[m].head_z.raw_scale.weight.grad != 0)


def test_single_modality_module_has_zero_cross_mi():
    torch.manual_seed(0)
    module = IDMVAEModule(MODS[:1], **{**SMALL, "likelihood_scale": None})
    batch = make_batch(full=True)
    batch = {
        "x": batch["x"][:1],
        "mask": batch["mask"][:, :1],
        "batch_index": None,
        "library": batch["library"][:1],
    }
    out = module.loss(batch)
    assert out.terms["cross_mi"].item() == 0.0
    assert torch.isfinite(out.loss)
    module.weights["gen_aug"] = 0.0  # nothing left to contrast
    out = module.loss(batch)
    assert out.terms["cross_mi"].item() == 0.0 and "gen_aug" not in out.terms
    assert torch.isfinite(out.loss)


def test_covariates_enter_encoders_and_decoders():
    torch.manual_seed(0)
    module = IDMVAEModule(MODS, n_batch=3, **SMALL)
    batch = make_batch(full=True)
    batch["batch_index"] = torch.tensor([0, 1, 2, 0, 1, 2, 0])
    post = module.encode(batch["x"], module.covariates(batch["batch_index"]))
    noise = module.draw_noise(post)
    base = module.loss(batch, noise).loss
    batch["batch_index"] = torch.tensor([2, 2, 2, 2, 2, 2, 2])
    assert not torch.allclose(base, module.loss(batch, noise).loss)
    assert module.encoders[0].trunk_z[0].in_features == 5 + 3
    assert module.decoders[0].body[0].in_features == 3 + 4 + 3


def test_separate_towers_give_independent_trunks():
    module = make_module(separate_towers=True)
    enc = module.encoders[0]
    assert enc.trunk_w is not None and enc.trunk_w is not enc.trunk_z
    x = torch.log1p(make_batch(full=True)["x"][0])
    mu_z, _, mu_w, _ = enc(x)
    mu_z.sum().backward()
    assert all(p.grad is None for p in enc.trunk_w.parameters())


def test_image_modality_uses_conv_networks_and_trains():
    torch.manual_seed(0)
    mods = [
        SimpleNamespace(
            name=f"v{i}", likelihood="image", n_features=3 * 32 * 32, image_shape=(3, 32, 32)
        )
        for i in range(2)
    ]
    module = IDMVAEModule(mods, n_shared=4, n_private=4, diffusion_prior=False)
    x = [torch.rand(5, 3 * 32 * 32) for _ in range(2)]
    batch = {
        "x": x,
        "mask": torch.ones(5, 2, dtype=torch.bool),
        "batch_index": None,
        "library": [None, None],
    }
    out = module.loss(batch)
    out.loss.backward()
    assert torch.isfinite(out.loss)
    assert type(module.encoders[0]).__name__ == "ConvEncoder"
    assert module.encoders[0].tower_z is not module.encoders[0].tower_w


def test_sampling_prior_shapes_with_and_without_diffusion():
    for diffusion in (True, False):
        module = make_module(diffusion_prior=diffusion)
        z, w = module.sample_prior(6, torch.Generator().manual_seed(0))
        assert z.shape == (6, 3) and w.shape == (3, 6, 4)
        assert torch.isfinite(z).all() and torch.isfinite(w).all()


def test_categorical_modality_round_trip():
    torch.manual_seed(0)
    mods = [
        SimpleNamespace(name="tok", likelihood="categorical", n_features=4, n_categories=6),
        SimpleNamespace(name="g", likelihood="normal", n_features=3),
    ]
    module = IDMVAEModule(
        mods,
        PAPER,
        n_shared=2,
        n_private=2,
        encoder_hidden=(8,),
        decoder_hidden=(8,),
        diffusion_prior=False,
    )
    tokens = torch.randint(0, 6, (5, 4)).float()
    batch = {
        "x": [tokens, torch.randn(5, 3)],
        "mask": torch.ones(5, 2, dtype=torch.bool),
        "batch_index": None,
        "library": [None, None],
    }
    post = module.encode(batch["x"], None)
    noise = module.draw_noise(post)
    out = module.loss(batch, noise)
    ref = reference_terms(module, batch, noise)
    for name in out.terms:
        torch.testing.assert_close(out.terms[name], ref[name], rtol=1e-4, atol=1e-4, msg=name)
    probs = module.decode_mean(0, torch.zeros(5, 2), torch.zeros(5, 2), None, None)
    assert probs.shape == (5, 4, 6)
    np.testing.assert_allclose(probs.sum(-1).numpy(), 1.0, rtol=1e-5)
    assert F.one_hot(tokens.long(), 6).shape == (5, 4, 6)


def test_standardized_inputs_match_reference_and_use_training_statistics():
    module = make_module(
        cross_mi_weight=1.0, gen_aug_weight=0.5, diffusion_weight=0.2, standardize_inputs=True
    )
    batch = make_batch(full=True)
    module.fit_input_standardization(lambda m: [batch["x"][m][:4], batch["x"][m][4:]])
    inp = module.likelihoods[0].encoder_input(batch["x"][0])
    torch.testing.assert_close(module.input_loc_0, inp.mean(0))
    std = inp.std(0, unbiased=False)
    torch.testing.assert_close(
        module.input_scale_0, torch.where(std < 1e-3, torch.ones_like(std), std)
    )
    post = module.encode(batch["x"], None)
    noise = module.draw_noise(post)
    out = module.loss(batch, noise)
    ref = reference_terms(module, batch, noise)
    for name, value in out.terms.items():
        torch.testing.assert_close(value, ref[name], rtol=1e-4, atol=1e-4, msg=name)
    plain = make_module(cross_mi_weight=1.0, gen_aug_weight=0.5, diffusion_weight=0.2)
    assert not torch.allclose(plain.loss(batch, noise).loss, out.loss)


def test_conv_channels_set_the_image_network_widths():
    mods = [
        SimpleNamespace(
            name="v", likelihood="image", n_features=3 * 32 * 32, image_shape=(3, 32, 32)
        )
    ] * 2
    module = IDMVAEModule(
        mods, n_shared=2, n_private=2, diffusion_prior=False, conv_channels=(8, 16, 32)
    )
    convs = [
        layer for layer in module.encoders[0].tower_z.net if isinstance(layer, torch.nn.Conv2d)
    ]
    assert [c.out_channels for c in convs] == [8, 16, 32]
    with pytest.raises(ValueError, match="32x32 images need 3 convolution widths"):
        IDMVAEModule(mods, n_shared=2, n_private=2, diffusion_prior=False, conv_channels=(8, 16))


def test_constant_training_features_are_only_centred():
    module = make_module(standardize_inputs=True)
    batch = make_batch(full=True)
    x = batch["x"][1].clone()
    x[:, 2] = 0.7  # constant in the training data
    module.fit_input_standardization(lambda m: [x] if m == 1 else [batch["x"][m]])
    assert module.input_scale_1[2].item() == 1.0 and module.input_loc_1[2].item() == pytest.approx(
        0.7
    )
    new = x[:1].clone()
    new[0, 2] = (
        1.7  # a new sample differs from the constant by 1: its standardised input is 1, not 1000
    )
    assert module.standardize(1, new)[0, 2].item() == pytest.approx(1.0)
