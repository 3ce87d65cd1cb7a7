"""Image grids, z/w swap grids and training curves render headless."""

import anndata as ad
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import mudata as md  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import scanpy as sc  # noqa: E402

from omicvae.pl import history, image_grid, swap_grid  # noqa: E402

K, SHAPE = 4, (3, 12, 12)


def _render(classes, styles):
    """Class = position of a white bar; private style = background colour."""
    img = np.zeros((len(classes), *SHAPE))
    palette = np.array([[0.8, 0.2, 0.2], [0.2, 0.6, 0.2], [0.2, 0.3, 0.8], [0.7, 0.7, 0.1]])
    img += palette[np.asarray(styles) % 4][:, :, None, None]
    for i, k in enumerate(classes):
        img[i, :, 3 * k : 3 * k + 2, 2:10] = 1.0
    return img.reshape(len(classes), -1)


class Spec:
    def __init__(self, likelihood):
        self.likelihood = likelihood


class Registry:
    def __init__(self, likelihoods):
        self.likelihoods = likelihoods

    def modality_names(self):
        return list(self.likelihoods)

    def __getitem__(self, name):
        return Spec(self.likelihoods[name])


class FakeModel:
    """z one-hot encodes the class and w the style; decode renders them."""

    def __init__(self, classes, styles, likelihoods=None):
        self.classes, self.styles = np.asarray(classes), np.asarray(styles)
        self.registry = Registry(likelihoods or {"img": "image"})
        epochs = pd.RangeIndex(20, name="epoch")
        decay = np.exp(-np.arange(20) / 5)
        self.history = {
            "loss": pd.DataFrame({"train": 10 * decay + 1, "validation": 10 * decay + 1.5}, epochs),
            "elbo": pd.DataFrame({"train": -8 * decay - 1, "validation": np.nan}, epochs),
            "cross_mi": pd.DataFrame({"train": 3 * decay}, epochs),
            "diffusion": pd.DataFrame({"train": 0.5 + decay, "validation": 0.6 + decay}, epochs),
        }

    def get_latent_representation(self, kind="shared", modality=None, indices=None, mdata=None):
        labels = self.classes if kind == "shared" else self.styles
        return np.eye(K)[labels[np.asarray(indices)]]

    def decode(self, z, w, modality):
        return _render(np.argmax(z, 1), np.argmax(w, 1))


def _make():
    rng = np.random.default_rng(0)
    classes, styles = rng.integers(K, size=30), rng.integers(K, size=30)
    adata = ad.AnnData(_render(classes, styles))
    adata.obs_names = [f"s{i}" for i in range(30)]
    adata.uns["image_shape"] = SHAPE
    with md.set_options(pull_on_update=False):
        mdata = md.MuData({"img": adata})
    return mdata, FakeModel(classes, styles)


def test_swap_grid(tmp_path):
    mdata, model = _make()
    path = tmp_path / "swap.png"
    fig = swap_grid(model, mdata, modality="img", n=5, save=path)
    assert len(fig.axes) == 36 and path.stat().st_size > 10_000
    plt.close(fig)
    fig = swap_grid(model, mdata, modality="img", indices=[0, 1, 2])
    assert len(fig.axes) == 16
    plt.close(fig)
    del mdata["img"].uns["image_shape"]
    with pytest.raises(KeyError, match="image_shape"):
        swap_grid(model, mdata, modality="img")


def test_swap_grid_refuses_non_image_modalities():
    mdata, model = _make()
    omics = FakeModel(model.classes, model.styles, likelihoods={"img": "nb"})
    del mdata["img"].uns["image_shape"]  # as on omics data: the check comes first
    with pytest.raises(ValueError, match="swap_grid is for image modalities") as err:
        swap_grid(omics, mdata, modality="img")
    assert "modality 'img' has likelihood 'nb'" in str(err.value)


def test_image_grid_layouts(tmp_path):
    mdata, _ = _make()
    X = mdata["img"].X
    fig = image_grid(
        [X[:8], 1 - X[:8]], SHAPE, row_labels=["data", "recon"], save=tmp_path / "g.png"
    )
    assert len(fig.axes) == 16 and (tmp_path / "g.png").stat().st_size > 2_000
    plt.close(fig)
    grey = X[:10, :144]
    fig = image_grid(grey, (1, 12, 12), ncols=4)
    assert len(fig.axes) == 12  # 3 rows of 4, two empty panels
    plt.close(fig)
    with pytest.raises(ValueError, match="image_shape"):
        image_grid(X[:4], (1, 12, 12))


def test_history(tmp_path):
    _, model = _make()
    path = tmp_path / "history.png"
    fig = history(model, save=path, logy=True)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["loss", "elbo", "cross_mi", "diffusion"]
    assert len(fig.axes[0].get_lines()) == 2 and len(fig.axes[1].get_lines()) == 1
    assert path.stat().st_size > 10_000
    plt.close(fig)
    fig = history(model.history, keys=["loss"])
    assert len(fig.axes) == 1
    plt.close(fig)
    with pytest.raises(KeyError, match="gen_aug"):
        history(model, keys=["gen_aug"])


def test_show_follows_scanpy_and_history_takes_an_ax(monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: shown.append(True))
    mdata, model = _make()
    X = mdata["img"].X
    plt.close(image_grid(X[:4], SHAPE))  # show=None: shown, as sc.pl.* do
    plt.close(swap_grid(model, mdata, modality="img", n=2))
    plt.close(history(model))
    assert len(shown) == 3
    plt.close(image_grid(X[:4], SHAPE, show=False))
    plt.close(history(model, show=False))
    assert len(shown) == 3
    fig, axes = plt.subplots(1, 2)
    assert history(model, keys=["loss"], ax=axes[1]) is fig  # the caller's figure: not shown
    assert axes[1].get_title() == "loss" and len(axes[1].get_lines()) == 2
    assert len(shown) == 3 and len(fig.axes) == 2
    with pytest.raises(ValueError, match="ax: draws a single panel, but this plot has 4"):
        history(model, ax=axes[0])
    plt.close(fig)
    autoshow, sc.settings.autoshow = sc.settings.autoshow, False  # scanpy's switch is obeyed
    try:
        plt.close(history(model))
    finally:
        sc.settings.autoshow = autoshow
    assert len(shown) == 3


def test_history_draws_cross_mi_chance_when_given_the_batch_size():
    from omicvae.pl._history import cross_mi_chance

    assert cross_mi_chance(3, 128) == pytest.approx(3 * np.log(255))  # 16.62
    assert cross_mi_chance(2, 128) == pytest.approx(11.0825, abs=1e-4)
    with pytest.raises(ValueError, match="n_modalities must be an integer >= 2"):
        cross_mi_chance(1, 128)
    model = FakeModel([0], [0], likelihoods={"a": "nb", "b": "normal", "c": "bernoulli"})
    fig = history(model, keys=["cross_mi", "loss"], batch_size=128, show=False)
    panel = fig.axes[0]
    lines = [ln for ln in panel.get_lines() if ln.get_label().startswith("chance")]
    assert len(lines) == 1 and lines[0].get_ydata()[0] == pytest.approx(3 * np.log(255))
    assert "chance 16.62" in [t.get_text() for t in panel.get_legend().get_texts()]
    assert not [ln for ln in fig.axes[1].get_lines() if ln.get_label().startswith("chance")]
    plt.close(fig)
    with pytest.raises(ValueError, match="needs the model"):
        history(model.history, batch_size=128, show=False)
