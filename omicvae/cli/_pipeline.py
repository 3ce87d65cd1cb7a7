"""The pipeline behind ``omicvae demo`` and ``omicvae fit``: train, embed, cluster, score, plot, save."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import mudata as md
from mudata import MuData

from ..model import IDMVAE
from ..pl import embeddings, history, kaplan_meier
from ..tl import cluster, predict_labels, survival
from . import _report
from ._specs import UsageError

CLUSTER_KEY = "idmvae_leiden"
"""``mdata.obs`` column of the leiden clusters of the shared embedding."""


@dataclass
class PipelineConfig:
    """Everything the pipeline needs besides the data (``mdata.obs`` columns by name)."""

    out: Path  # output folder (created)
    h5mu: Path | None = None  # the written MuData (default: out/idmvae.h5mu)
    setup: dict = field(default_factory=dict)  # keyword arguments of IDMVAE.setup_mudata
    model: dict = field(default_factory=dict)  # keyword arguments of IDMVAE
    train: dict = field(default_factory=dict)  # keyword arguments of IDMVAE.train
    predict: Sequence[str] = ()  # labels predicted from the embeddings
    compare: Sequence[str] = ()  # labels compared with the clusters (with those of predict)
    time: str = "survival_time"  # survival columns; survival is skipped without them
    event: str = "survival_event"
    n_splits: int = 5  # random splits of the label prediction
    resolution: float = 1.0  # leiden resolution
    save_model: bool = False  # also save the model to out/model


@dataclass
class PipelineResult:
    """What the pipeline produced (on the rank-0 process)."""

    mdata: MuData
    model: IDMVAE
    summary: str
    files: dict[str, Path]
    seconds: float


def _is_rank_zero() -> bool:
    from lightning.pytorch.utilities import rank_zero_only

    return getattr(rank_zero_only, "rank", 0) == 0


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def _columns(mdata: MuData, names: Sequence[str]) -> list[str]:
    return [c for c in dict.fromkeys(names) if c in mdata.obs.columns]


def run_pipeline(
    mdata: MuData,
    config: PipelineConfig,
    echo: Callable[[str], None] = print,
    start: float | None = None,
) -> PipelineResult | None:
    """Set up, train and analyse ``mdata``; write the MuData, figures and summary into ``config.out``.

    Parameters
    ----------
    echo
        Receives the progress and summary lines.
    start
        :func:`time.perf_counter` value the reported wall time counts from (default: now).

    Returns
    -------
    The :class:`PipelineResult`; None on the non-main processes of a multi-GPU (DDP) run.
    """
    start = time.perf_counter() if start is None else start
    matplotlib.use("Agg")
    # emitted by Lightning itself with current torch; nothing a user can act on
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    h5mu_path = Path(config.h5mu) if config.h5mu is not None else out / "idmvae.h5mu"

    echo(_report.data_summary(mdata))
    try:
        IDMVAE.setup_mudata(mdata, **config.setup)
    except (ValueError, KeyError, TypeError) as err:  # the data do not fit the requested set-up
        raise UsageError(err.args[0] if err.args else str(err)) from None
    model = IDMVAE(mdata, **config.model)
    echo(str(model))
    echo(f"Training for {config.train.get('max_epochs', 50)} epochs ...")
    t0 = time.perf_counter()
    model.train(**config.train)
    train_seconds = time.perf_counter() - t0
    if not _is_rank_zero():
        return None
    echo(f"Trained in {_report.duration(train_seconds)}.")

    files: dict[str, Path] = {}
    sections = [_report.training_summary(model)]
    compare = _columns(mdata, [*config.predict, *config.compare])
    # the embeddings this model just wrote (config.train may give them a key_prefix)
    prefix, seed = config.train.get("key_prefix"), config.train.get("seed", 0)
    table = cluster(
        mdata,
        key_prefix=prefix,
        labels=compare or None,
        key_added=CLUSTER_KEY,
        resolution=config.resolution,
        random_state=seed,
    )
    sections.append(_report.cluster_summary(table, CLUSTER_KEY))
    for label in config.predict:
        try:
            result = predict_labels(
                mdata,
                label=label,
                representation=["z", "z+w"],
                key_prefix=prefix,
                n_splits=config.n_splits,
                random_state=seed,
            )
        except ValueError as err:  # too few labelled samples or classes for the splits
            sections.append(f"Prediction of {label!r}: skipped ({err})")
        else:
            sections.append(_report.prediction_summary(result, label))
    has_survival = {config.time, config.event} <= set(mdata.obs.columns)
    n_clusters = mdata.obs[CLUSTER_KEY].nunique()
    if has_survival and n_clusters >= 2:
        by_cluster = dict(groupby=CLUSTER_KEY, time=config.time, event=config.event)
        surv = survival(mdata, **by_cluster)
        sections.append(_report.survival_summary(surv, CLUSTER_KEY, config.time))
        files["kaplan_meier"] = _save(kaplan_meier(mdata, **by_cluster), out / "kaplan_meier.png")
    elif not has_survival:
        sections.append(
            f"Survival: skipped (no {config.time!r}/{config.event!r} columns in obs; a clinical table "
            "with vital_status, days_to_death and days_to_last_followup provides them)"
        )
    else:
        sections.append("Survival: skipped (the leiden clustering found a single cluster)")

    colors = _columns(mdata, [*config.predict, *config.compare[:1], CLUSTER_KEY])
    fig = embeddings(mdata, color=colors, key_prefix=prefix, random_state=seed)
    files["umap"] = _save(fig, out / "umap_shared_private.png")
    files["history"] = _save(history(model), out / "training_curves.png")

    h5mu_path.parent.mkdir(parents=True, exist_ok=True)
    with md.set_options(pull_on_update=False):  # write the data as they are, without re-pulling obs
        mdata.write(h5mu_path)
    files["h5mu"] = h5mu_path
    if config.save_model:
        model.save(out / "model", overwrite=True)
        files["model"] = out / "model"

    summary = "\n\n".join(sections)
    (out / "summary.txt").write_text(summary + "\n")
    files["summary"] = out / "summary.txt"
    seconds = time.perf_counter() - start
    echo("")
    echo(summary)
    echo("")
    echo(_report.files_summary(files))
    echo(f"Wall time: {_report.duration(seconds)} (training {_report.duration(train_seconds)}).")
    return PipelineResult(mdata=mdata, model=model, summary=summary, files=files, seconds=seconds)
