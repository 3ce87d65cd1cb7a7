"""Names shared across the package: the ``mdata.uns`` key and the supported likelihoods."""

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
