"""Saving and loading models: one torch file with weights, settings, registry and history."""

from __future__ import annotations

from pathlib import Path

import mudata as md
import numpy as np
import pandas as pd
import torch

from .. import __version__
from ..data import DataRegistry, build_tensors

MODEL_FILE = "model.pt"
MDATA_FILE = "mdata.h5mu"
_SPLIT = (("train_indices", "train"), ("validation_indices", "validation"))


def save(model, dir_path: Path, *, overwrite: bool, save_mdata: bool) -> None:
    """Write ``model`` to ``dir_path`` (created if needed)."""
    target = dir_path / MODEL_FILE
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; pass overwrite=True to replace it")
    if save_mdata and model.mdata is None:
        raise ValueError("save_mdata=True but the model has no MuData attached")
    dir_path.mkdir(parents=True, exist_ok=True)
    payload = {
        "class": type(model).__name__,
        "omicvae_version": __version__,
        "hyperparameters": {
            k: v for k, v in model.hyperparameters.items() if k not in model._fixed
        },
        "registry": model.registry.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.module.state_dict().items()},
        "is_trained": model.is_trained,
        "split": {
            key: None if getattr(model, attr) is None else getattr(model, attr).tolist()
            for attr, key in _SPLIT
        },
        "history": {
            k: v.to_dict(orient="list") | {"epoch": list(v.index)} for k, v in model.history.items()
        },
    }
    torch.save(payload, target)
    if save_mdata:
        model.mdata.write(dir_path / MDATA_FILE)


def load(cls, dir_path: Path, mdata):
    """Rebuild a model of class ``cls`` saved in ``dir_path`` and attach it to ``mdata``."""
    source = dir_path / MODEL_FILE
    if not source.exists():
        raise FileNotFoundError(f"no saved model in {dir_path} (expected {MODEL_FILE})")
    payload = torch.load(source, map_location="cpu", weights_only=True)
    if payload["class"] != cls.__name__:
        raise TypeError(
            f"{dir_path} holds a {payload['class']} model; load it with {payload['class']}.load"
        )
    if mdata is None:
        saved = dir_path / MDATA_FILE
        if not saved.exists():
            raise ValueError(f"pass mdata=: no MuData was saved with the model in {dir_path}")
        mdata = md.read_h5mu(saved)
    registry = DataRegistry.from_dict(payload["registry"])
    build_tensors(mdata, registry)  # fails clearly when modalities or features differ
    model = cls.__new__(cls)
    model._init(mdata, registry, payload["hyperparameters"], seed=None)
    model.module.load_state_dict(payload["state_dict"])
    model.module.eval()
    model.is_trained = payload["is_trained"]
    split = payload.get("split") or {}  # files saved before the split was recorded have none
    for attr, key in _SPLIT:
        if split.get(key) is not None:
            setattr(model, attr, np.asarray(split[key], dtype=np.int64))
    model._history = {
        k: pd.DataFrame(
            {c: v[c] for c in v if c != "epoch"}, index=pd.Index(v["epoch"], name="epoch")
        )
        for k, v in payload["history"].items()
    }
    return model
