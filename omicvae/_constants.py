"""Names shared across the package: obsm/uns keys and the supported likelihoods."""

SHARED_KEY = "X_idmvae_shared"
"""``mdata.obsm`` key of the joint shared embedding (mixture-of-experts posterior mean)."""

SHARED_MOD_PREFIX = "X_idmvae_shared_"
"""``mdata.obsm[SHARED_MOD_PREFIX + mod]``: shared posterior mean from modality ``mod`` alone."""

PRIVATE_PREFIX = "X_idmvae_private_"
"""``mdata.obsm[PRIVATE_PREFIX + mod]``: private posterior mean of modality ``mod``."""

UNS_KEY = "idmvae"
"""``mdata.uns`` key where the model records what it wrote."""

LIKELIHOODS = ("nb", "zinb", "normal", "laplace", "bernoulli", "image", "categorical")
COUNT_LIKELIHOODS = ("nb", "zinb")
