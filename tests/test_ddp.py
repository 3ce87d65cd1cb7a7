"""Data-parallel training through Lightning's DDP strategy on two CPU processes (gloo)."""

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    import torch
    torch.set_num_threads(1)
    import lightning.pytorch as pl
    import omicvae as ov

    class WorldSize(pl.Callback):
        def on_fit_start(self, trainer, pl_module):
            self.value = trainer.world_size

    mdata = ov.datasets.simulate(n_obs=96, n_features=10, missing_fraction=0.2, seed=0)
    ov.IDMVAE.setup_mudata(mdata)
    model = ov.IDMVAE(mdata, n_shared=4, n_private=3, encoder_hidden=(16,), decoder_hidden=(16,),
                      diffusion_hidden=32, diffusion_steps=100, diffusion_sample_steps=10)
    world = WorldSize()
    model.train(max_epochs=2, batch_size=16, accelerator="cpu", devices=2, strategy="ddp",
                enable_progress_bar=False, callbacks=[world])
    rank = int(os.environ.get("LOCAL_RANK", 0))
    if rank == 0:
        z = model.get_latent_representation()
        w = model.get_latent_representation(kind="private", modality="m1")
        gen = model.generate(5)
        hist = model.history
        json.dump({
            "world_size": world.value,
            "z_shape": list(z.shape), "z_finite": bool(np.isfinite(z).all()),
            "w_nan_rows": int(np.isnan(w).all(1).sum()),
            "m1_missing": int((~mdata.obs_names.isin(mdata.mod["m1"].obs_names)).sum()),
            "gen_shapes": {k: list(v.shape) for k, v in gen.items()},
            "loss_finite": bool(np.isfinite(hist["loss"]["train"]).all()),
            "epochs": len(hist["loss"]),
        }, open(sys.argv[1], "w"))
    """
)


def test_ddp_two_cpu_processes(tmp_path):
    script = tmp_path / "ddp_train.py"
    script.write_text(SCRIPT)
    out = tmp_path / "result.json"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, str(script), str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["world_size"] == 2
    assert result["z_shape"] == [96, 4] and result["z_finite"]
    assert result["w_nan_rows"] == result["m1_missing"] > 0
    assert result["gen_shapes"] == {"m0": [5, 10], "m1": [5, 10], "m2": [5, 10]}
    assert result["loss_finite"] and result["epochs"] == 2
