"""The package logger: INFO messages (such as inferred likelihoods) reach the user by default."""

import logging

logger = logging.getLogger("omicvae")
if not logger.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(levelname)s omicvae: %(message)s"))
    logger.addHandler(_handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
