"""Generation coherence with fake models whose answer is known."""

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import omicvae as ov
from omicvae import IDMVAE
from omicvae.tl import CoherenceResult, coherence

from .conftest import TINY

N, K = 300, 4
SHAPES = {"a": (1, 8, 8), "b": (3, 8, 8)}


def render(mod, classes, styles, rng):
    """Images whose class is a bar position (row in 'a', red column in 'b') and whose private
    style is the background brightness."""
    c, h, w = SHAPES[mod]
    img = np.zeros((len(classes), c, h, w)) + 0.4 * styles[:, None, None, None]
    for i, k in enumerate(classes):
        if mod == "a":
            img[i, :, 2 * k : 2 * k + 2, :] = 1.0
        else:
            img[i, 0, :, 2 * k : 2 * k + 2] = 1.0
    img += 0.05 * rng.normal(size=img.shape)
    return np.clip(img, 0, 1).reshape(len(classes), -1)


class Spec:
    def __init__(self, likelihood):
        self.likelihood = likelihood


class Registry:
    def __init__(self, likelihoods=None):
        self.likelihoods = likelihoods or dict.fromkeys(SHAPES, "image")

    def modality_names(self):
        return list(self.likelihoods)

    def __getitem__(self, name):
        return Spec(self.likelihoods[name])


class FakeModel:
    """Perfect: generations carry the source label. Scrambled: random labels per modality."""

    def __init__(self, labels, scrambled=False, likelihoods=None):
        self.labels, self.scrambled = labels, scrambled
        self.registry = Registry(likelihoods)

    def impute(self, source, target, *, indices=None, mdata=None, seed=None, return_numpy=False):
        rng = np.random.default_rng(seed)
        idx = np.arange(len(self.labels)) if indices is None else np.asarray(indices)
        classes = rng.integers(K, size=len(idx)) if self.scrambled else self.labels[idx]
        return render(target, classes, rng.uniform(size=len(idx)), rng)

    def generate(self, n_samples, *, seed=None, return_numpy=False):
        rng = np.random.default_rng(seed)
        shared = rng.integers(K, size=n_samples)
        out = {}
        for m in SHAPES:
            classes = rng.integers(K, size=n_samples) if self.scrambled else shared
            out[m] = render(m, classes, rng.uniform(size=n_samples), rng)
        return out


def _make(seed=0):
    rng = np.random.default_rng(seed)
    digit = rng.integers(K, size=N)
    mods = {}
    for m, n_m in (("a", N), ("b", N - 30)):
        adata = ad.AnnData(render(m, digit[:n_m], rng.uniform(size=n_m), rng))
        adata.obs_names = [f"s{i}" for i in range(n_m)]
        adata.var_names = [f"{m}{k}" for k in range(adata.n_vars)]
        adata.uns["image_shape"] = SHAPES[m]
        mods[m] = adata
    with md.set_options(pull_on_update=False):
        mdata = md.MuData(mods)
    mdata.obs["digit"] = digit.astype(str)
    return mdata, digit


def test_perfect_model_is_coherent():
    mdata, digit = _make()
    obs_before, obsm_before = mdata.obs.copy(), set(mdata.obsm)
    res = coherence(FakeModel(digit), mdata, shared_label="digit", n_unconditional=200)
    assert isinstance(res, CoherenceResult)
    assert res.self_coherence > 0.95 and res.cross_coherence > 0.95 and res.unconditional > 0.95
    assert (res.classifier_accuracy > 0.95).all()
    assert res.matrix.shape == (2, 2) and list(res.matrix.index) == ["a", "b"]
    pd.testing.assert_frame_equal(obs_before, mdata.obs)
    assert set(mdata.obsm) == obsm_before


def test_scrambled_model_is_at_chance():
    mdata, digit = _make()
    mdata.obs["split"] = np.where(np.arange(N) < 200, "train", "test")
    res = coherence(
        FakeModel(digit, scrambled=True), mdata, shared_label="digit", n_unconditional=400
    )
    chance = 1 / K
    assert res.self_coherence < chance + 0.15 and res.cross_coherence < chance + 0.15
    # two modalities agree by chance with probability 1/K
    assert res.unconditional < chance + 0.15
    assert (res.classifier_accuracy > 0.95).all()


def test_cnn_and_given_classifiers():
    mdata, digit = _make()
    res = coherence(
        FakeModel(digit),
        mdata,
        shared_label="digit",
        classifier="cnn",
        n_unconditional=100,
        n_conditional=40,
    )
    assert res.self_coherence > 0.9 and res.unconditional > 0.9
    fitted = {
        m: LogisticRegression(max_iter=1000).fit(mdata[m].X, digit[: mdata[m].n_obs].astype(str))
        for m in SHAPES
    }
    res = coherence(
        FakeModel(digit), mdata, shared_label="digit", classifier=fitted, modalities="a"
    )
    assert res.matrix.shape == (1, 1) and np.isnan(res.cross_coherence)
    assert res.self_coherence > 0.95


def test_errors():
    mdata, digit = _make()
    with pytest.raises(KeyError, match="'c'"):
        coherence(FakeModel(digit), mdata, shared_label="digit", modalities=["c"])
    del mdata["a"].uns["image_shape"]
    with pytest.raises(KeyError, match="image_shape"):
        coherence(FakeModel(digit), mdata, shared_label="digit", classifier="cnn")


def test_non_image_modalities_are_refused(sim_mdata):
    # an omics model: coherence used to score the majority-class rate (unconditional = 1.0)
    IDMVAE.setup_mudata(sim_mdata)
    model = IDMVAE(sim_mdata, **TINY)
    with pytest.raises(ValueError, match="coherence is for image modalities") as err:
        coherence(model, sim_mdata, shared_label="shared_label")
    assert "'m0': 'nb'" in str(err.value)
    with pytest.raises(ValueError, match="modality 'm0' has likelihood 'nb'"):
        coherence(model, sim_mdata, shared_label="shared_label", modalities="m0")


def test_default_modalities_are_the_image_ones():
    mdata, digit = _make()
    likelihoods = {"a": "image", "rna": "normal", "b": "image"}
    model = FakeModel(digit, likelihoods=likelihoods)
    res = coherence(model, mdata, shared_label="digit", n_unconditional=100)
    assert list(res.matrix.index) == ["a", "b"]
    with pytest.raises(ValueError, match="modality 'rna' has likelihood 'normal'"):
        coherence(model, mdata, shared_label="digit", modalities=["a", "rna"])


@pytest.mark.slow
def test_cnn_classifier_reads_polymnist_digits():
    # the judge of the coherence scores must read digits on textured backgrounds in any quadrant
    mdata = ov.datasets.polymnist_quadrant(
        n_views=1, image_size=32, n_tuples_train=1500, n_tuples_test=300, seed=0
    )
    train = (mdata.obs["split"] == "train").to_numpy()
    X, y = mdata["m0"].X, mdata.obs["digit"].to_numpy()
    clf = ov.tl.ImageCNNClassifier((3, 32, 32)).fit(X[train], y[train])
    assert (clf.predict(X[~train]) == y[~train]).mean() > 0.85
