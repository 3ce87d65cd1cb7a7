"""MMVAE+: the ablation of IDMVAE without CrossMI, GenAug and diffusion priors."""

from __future__ import annotations

from ._idmvae import IDMVAE


class MMVAEPlus(IDMVAE):
    """MMVAE+ (Palumbo et al., ICLR 2023): IDMVAE with λ1 = λ2 = 0 and no diffusion prior.

    Same API as :class:`IDMVAE`; embeddings are written under the ``X_mmvaeplus`` prefix so both
    models can be compared on one MuData.
    """

    _obsm_prefix = "X_mmvaeplus"
    _fixed = {
        "cross_mi_weight": 0.0,
        "gen_aug_weight": 0.0,
        "independence_weight": 0.0,
        "shared_purity_weight": 0.0,
        "private_reconstruction_weight": 0.0,
        "diffusion_prior": False,
    }
