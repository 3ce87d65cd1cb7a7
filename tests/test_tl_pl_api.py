"""``ov.tl`` / ``ov.pl`` signatures: ``random_state`` (``seed=`` deprecated), ``ax=``, ``key_added=``,
the embedding keys a model recorded in ``mdata.uns``, and no imports of another subpackage's privates."""

import ast
import inspect
import warnings
from pathlib import Path

import anndata as ad
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import mudata as md  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import omicvae as ov  # noqa: E402
from omicvae._keys import obsm_keys, record_embeddings  # noqa: E402

PACKAGE = Path(ov.__file__).parent
N, K = 240, 3


def _public_functions(namespace):
    return {
        name: obj
        for name, obj in vars(namespace).items()
        if name in namespace.__all__ and inspect.isfunction(obj)
    }


def test_the_seed_is_random_state_everywhere():
    functions = {**_public_functions(ov.tl), **_public_functions(ov.pl)}
    functions["ImageCNNClassifier"] = ov.tl.ImageCNNClassifier.__init__
    seeded = []
    for name, fn in functions.items():
        params = inspect.signature(fn).parameters
        if "seed" in params:  # only as the deprecated alias, after random_state
            assert "random_state" in params, name
            assert params["seed"].default is None, name
            names = list(params)
            assert names.index("seed") > names.index("random_state"), name
        if "random_state" in params:
            assert params["random_state"].default == 0, name
            seeded.append(name)
    expected = {
        "cluster",
        "coherence",
        "disentanglement",
        "predict_labels",
        "redundancy",
        "survival_cox",
        "embeddings",
        "swap_grid",
        "ImageCNNClassifier",
    }
    assert expected <= set(seeded)


def test_single_axes_plots_take_ax_and_writers_take_key_added():
    for name in ("embeddings", "history", "kaplan_meier"):
        assert "ax" in inspect.signature(getattr(ov.pl, name)).parameters, name
    for fn in (ov.tl.cluster, ov.pl.embeddings):  # the functions that write into mdata
        assert "key_added" in inspect.signature(fn).parameters, fn.__name__
    for fn in (
        ov.tl.cluster,
        ov.tl.disentanglement,
        ov.tl.predict_labels,
        ov.tl.redundancy,
        ov.tl.survival_cox,
        ov.pl.embeddings,
    ):
        assert inspect.signature(fn).parameters["key_prefix"].default is None, fn.__name__


def _imported_modules(path: Path) -> list[str]:
    """Absolute module names imported by a package source file (relative imports resolved)."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append(module)
            out += [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
    return out


def test_no_subpackage_imports_another_ones_private_modules():
    offenders = []
    for path in sorted(PACKAGE.glob("*/*.py")):
        own = path.parent.name
        for module in _imported_modules(path):
            parts = module.split(".")
            if len(parts) >= 3 and parts[0] == "omicvae" and parts[1] != own:
                if parts[2].startswith("_") and not parts[2].startswith("__"):
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {module}")
    # the tl/pl boundary must be clean; report everything found
    tl_pl = [o for o in offenders if o.startswith(("tl/", "pl/"))]
    assert not tl_pl, tl_pl


def _mdata_with_recorded(prefixes=("X_mmvaeplus",), seed=0):
    """Two modalities, embeddings under each prefix in ``prefixes`` (recorded as written in order).

    The shared codes carry 'label', the private codes 'style'; survival depends on the shared code.
    """
    rng = np.random.default_rng(seed)
    names = [f"s{i}" for i in range(N)]
    label = rng.integers(K, size=N)
    mods = {}
    for m in ("a", "b"):
        adata = ad.AnnData(rng.normal(size=(N, 4)))
        adata.obs_names, adata.var_names = names, [f"{m}{j}" for j in range(4)]
        mods[m] = adata
    with md.set_options(pull_on_update=False):
        mdata = md.MuData(mods)
    mdata.obs["label"] = pd.Categorical(label.astype(str))
    style = rng.integers(K, size=N)
    mdata.obs["style"] = style.astype(str)
    hazard = np.exp(label - 1.0)
    t_event, t_censor = rng.exponential(1 / hazard), rng.exponential(2.0, size=N)
    mdata.obs["survival_time"] = np.minimum(t_event, t_censor)
    mdata.obs["survival_event"] = (t_event <= t_censor).astype(int)
    for j, prefix in enumerate(prefixes):
        keys = obsm_keys(prefix, ["a", "b"])
        scale = 3.0 / (j + 1)  # the prefixes differ in how well z separates the labels
        for m in ("a", "b"):
            mdata.obsm[keys["shared_mod"][m]] = scale * np.eye(K)[label] + rng.normal(size=(N, K))
            mdata.obsm[keys["private"][m]] = 3 * np.eye(K)[style] + rng.normal(size=(N, K))
        mdata.obsm[keys["shared"]] = (
            mdata.obsm[keys["shared_mod"]["a"]] + mdata.obsm[keys["shared_mod"]["b"]]
        ) / 2
        record_embeddings(
            mdata,
            model="MMVAEPlus" if prefix == "X_mmvaeplus" else "IDMVAE",
            key_prefix=prefix,
            class_prefix="X_mmvaeplus" if prefix == "X_mmvaeplus" else "X_idmvae",
            keys=keys,
            hyperparameters={},
        )
    return mdata


def test_analyses_read_the_recorded_keys_of_an_mmvaeplus_model():
    mdata = _mdata_with_recorded(("X_mmvaeplus",))
    assert not any(k.startswith("X_idmvae") for k in mdata.obsm)
    probes = ov.tl.disentanglement(mdata, shared_label="label", private_labels={"a": "style"})
    explicit = ov.tl.disentanglement(
        mdata,
        shared_label="label",
        private_labels={"a": "style"},
        shared_prefix="X_mmvaeplus_shared_",
        private_prefix="X_mmvaeplus_private_",
    )
    pd.testing.assert_frame_equal(probes, explicit)
    assert probes.loc["a", "z_shared"] > 0.8 and probes.loc["a", "w_private"] > 0.8

    pred = ov.tl.predict_labels(mdata, label="label", representation="z", n_splits=2)
    assert pred.summary.loc["z", "accuracy_mean"] > 0.8
    table = ov.tl.cluster(mdata, labels="label", key_added="clusters")
    pd.testing.assert_frame_equal(
        table, ov.tl.cluster(mdata, key="X_mmvaeplus_shared", labels="label", key_added="c2")
    )
    assert "clusters" in mdata.obs and table.loc["label", "ari"] > 0.5
    cox = ov.tl.survival_cox(mdata, n_splits=3)
    assert cox.c_index_mean > 0.6
    red = ov.tl.redundancy(mdata, n_folds=3)
    assert red.loc["a", "r2_z_from_w"] < 0.1  # z and w carry independent labels here
    fig = ov.pl.embeddings(mdata, color="label", basis=("shared",), show=False)
    assert "X_umap_X_mmvaeplus_shared" in mdata.obsm
    plt.close(fig)


def test_latest_record_is_the_default_and_key_prefix_chooses():
    mdata = _mdata_with_recorded(("X_idmvae", "X_weak"))
    assert mdata.uns["idmvae"]["latest"] == "X_weak"
    weak = ov.tl.disentanglement(mdata, shared_label="label")
    chosen = ov.tl.disentanglement(mdata, shared_label="label", key_prefix="X_idmvae")
    explicit = ov.tl.disentanglement(
        mdata,
        shared_label="label",
        shared_prefix="X_weak_shared_",
        private_prefix="X_weak_private_",
    )
    pd.testing.assert_frame_equal(weak, explicit)
    assert chosen.loc["a", "z_shared"] > weak.loc["a", "z_shared"]  # the strong codes
    # an explicit key still wins over the recorded one
    a = ov.tl.cluster(mdata, key="X_idmvae_shared", labels="label", key_added="k1")
    b = ov.tl.cluster(mdata, key_prefix="X_idmvae", labels="label", key_added="k2")
    pd.testing.assert_frame_equal(a, b)


def test_embeddings_key_added_names_the_umap_cache():
    mdata = _mdata_with_recorded(("X_mmvaeplus",))
    fig = ov.pl.embeddings(
        mdata, color="label", basis=("X_mmvaeplus_shared",), key_added="X_u_", show=False
    )
    plt.close(fig)
    assert mdata.obsm["X_u_X_mmvaeplus_shared"].shape == (N, 2)
    assert mdata.uns["u_X_mmvaeplus_shared"]["embedding"] == "X_mmvaeplus_shared"
    assert "X_umap_X_mmvaeplus_shared" not in mdata.obsm
    with pytest.raises(ValueError, match="key_added must be a non-empty string"):
        ov.pl.embeddings(mdata, color="label", key_added="", show=False)


def test_seed_keyword_still_works_with_a_future_warning():
    mdata = _mdata_with_recorded(("X_idmvae",))
    with pytest.warns(FutureWarning, match=r"disentanglement: seed= is deprecated.*random_state="):
        old = ov.tl.disentanglement(mdata, shared_label="label", seed=3)
    new = ov.tl.disentanglement(mdata, shared_label="label", random_state=3)
    pd.testing.assert_frame_equal(old, new)
    assert not new.equals(ov.tl.disentanglement(mdata, shared_label="label", random_state=4))
    with pytest.warns(FutureWarning, match="survival_cox: seed="):
        old = ov.tl.survival_cox(mdata, n_splits=3, seed=2)
    assert old.c_index_mean == ov.tl.survival_cox(mdata, n_splits=3, random_state=2).c_index_mean
    with pytest.warns(FutureWarning, match="ImageCNNClassifier: seed="):
        clf = ov.tl.ImageCNNClassifier((1, 4, 4), seed=5)
    assert clf.random_state == 5
    with pytest.raises(TypeError, match="pass random_state only"):
        ov.tl.disentanglement(mdata, shared_label="label", seed=1, random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning with the new name
        ov.tl.disentanglement(mdata, shared_label="label", random_state=1)
