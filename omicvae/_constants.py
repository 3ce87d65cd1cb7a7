"""Names shared across the package: obsm/uns keys and the supported likelihoods."""

SHARED_KEY = "X_idmvae_shared"
"""``mdata.obsm`` key of the joint shared embedding (mixture-of-experts posterior mean)."""

SHARED_MOD_PREFIX = "X_idmvae_shared_"
"""``mdata.obsm[SHARED_MOD_PREFIX + mod]``: shared posterior mean from modality ``mod`` alone."""

PRIVATE_PREFIX = "X_idmvae_private_"
"""``mdata.obsm[PRIVATE_PREFIX + mod]``: private posterior mean of modality ``mod``."""

UNS_KEY = "idmvae"
"""``mdata.uns`` key where the model records what it wrote."""


def __getattr__(name: str):
    """``LIKELIHOODS`` and ``COUNT_LIKELIHOODS``, read from the likelihood registry when asked.

    All registered names, and those that need a library size; new code should ask
    :mod:`omicvae.distributions` (``likelihood_names()``, ``likelihood_class(name).needs_library``).
    """
    if name in ("LIKELIHOODS", "COUNT_LIKELIHOODS"):
        from omicvae.distributions import likelihood_names

        return likelihood_names(needs_library=True if name == "COUNT_LIKELIHOODS" else None)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
