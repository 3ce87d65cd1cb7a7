"""The CLI pipeline analyses the embeddings its model wrote, under whatever key_prefix they have."""

import matplotlib

matplotlib.use("Agg")

import mudata as md  # noqa: E402
import numpy as np  # noqa: E402

from omicvae.cli._pipeline import CLUSTER_KEY, PipelineConfig, run_pipeline  # noqa: E402
from omicvae.datasets import simulate  # noqa: E402

from .conftest import TINY  # noqa: E402


def test_pipeline_follows_the_models_key_prefix(tmp_path):
    mdata = simulate(n_obs=80, n_features=10, seed=3)
    mdata.obs["group"] = np.arange(mdata.n_obs) % 2  # a numeric label with two values
    config = PipelineConfig(
        out=tmp_path,
        model=dict(TINY),
        train=dict(
            max_epochs=2, batch_size=40, key_prefix="X_cli", enable_progress_bar=False, seed=0
        ),
        predict=["group"],
        n_splits=2,
    )
    result = run_pipeline(mdata, config, echo=lambda line: None)
    assert "X_cli_shared" in mdata.obsm and "X_idmvae_shared" not in mdata.obsm
    assert mdata.uns["idmvae"]["latest"] == "X_cli"
    assert CLUSTER_KEY in mdata.obs and "X_umap_X_cli_shared" in mdata.obsm
    assert "Prediction of 'group'" in result.summary
    written = md.read_h5mu(result.files["h5mu"])
    assert "X_cli_private_m0" in written.obsm and "omicvae_setup" in written.uns
