"""Kaplan–Meier figure renders headless with the log-rank annotation."""

import anndata as ad
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import mudata as md  # noqa: E402
import numpy as np  # noqa: E402
import scanpy as sc  # noqa: E402

from omicvae.pl import kaplan_meier  # noqa: E402


def _make():
    rng = np.random.default_rng(0)
    n = 200
    adata = ad.AnnData(rng.normal(size=(n, 2)))
    adata.obs_names = [f"s{i}" for i in range(n)]
    with md.set_options(pull_on_update=False):
        mdata = md.MuData({"a": adata})
    group = np.repeat(["C1", "C2"], n // 2)
    t_event = rng.exponential(np.where(group == "C1", 2.0, 0.5))
    t_censor = rng.exponential(3.0, size=n)
    mdata.obs["os_time"] = np.minimum(t_event, t_censor)
    mdata.obs["os_event"] = (t_event <= t_censor).astype(int)
    mdata.obs["cluster"] = group
    return mdata


def test_kaplan_meier_renders(tmp_path):
    mdata = _make()
    before = mdata.obs.copy()
    path = tmp_path / "km.png"
    fig = kaplan_meier(mdata, groupby="cluster", time="os_time", event="os_event", save=path)
    assert fig.axes[0].get_title().startswith("cluster: log-rank p = ")
    assert len(fig.axes[0].get_lines()) >= 2
    assert path.exists() and path.stat().st_size > 10_000
    assert mdata.obs.equals(before)
    plt.close(fig)
    fig, ax = plt.subplots()
    assert kaplan_meier(mdata, groupby="cluster", time="os_time", event="os_event", ax=ax) is fig
    plt.close(fig)


def test_show_follows_scanpy_unless_drawn_into_an_ax(monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: shown.append(True))
    mdata = _make()
    km = dict(groupby="cluster", time="os_time", event="os_event")
    plt.close(kaplan_meier(mdata, **km))  # show=None: shown, as sc.pl.* do
    assert len(shown) == 1
    plt.close(kaplan_meier(mdata, **km, show=False))
    assert len(shown) == 1
    fig, ax = plt.subplots()
    assert kaplan_meier(mdata, **km, ax=ax) is fig  # the caller's figure: not shown
    assert len(shown) == 1
    kaplan_meier(mdata, **km, ax=ax, show=True)
    assert len(shown) == 2
    plt.close(fig)
    autoshow, sc.settings.autoshow = sc.settings.autoshow, False  # scanpy's switch is obeyed
    try:
        plt.close(kaplan_meier(mdata, **km))
    finally:
        sc.settings.autoshow = autoshow
    assert len(shown) == 2
