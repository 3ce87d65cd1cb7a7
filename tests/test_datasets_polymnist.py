import numpy as np
import pytest

from omicvae.datasets import polymnist_quadrant
from omicvae.datasets._image_sources import mnist_digits
from omicvae.datasets._polymnist import QUADRANTS


@pytest.fixture(scope="module")
def poly():
    return polymnist_quadrant(image_size=32, n_tuples_train=300, n_tuples_test=100, seed=3)


def test_layout(poly):
    assert list(poly.mod) == [f"m{v}" for v in range(5)]
    assert poly.n_obs == 400
    assert (poly.obs["split"] == "train").sum() == 300
    for v, adata in enumerate(poly.mod.values()):
        assert adata.X.shape == (400, 3 * 32 * 32) and adata.X.dtype == np.float32
        assert adata.X.min() >= 0 and adata.X.max() <= 1
        assert tuple(adata.uns["image_shape"]) == (3, 32, 32)
        np.testing.assert_array_equal(adata.obs["quadrant"], poly.obs[f"quadrant_m{v}"])
        np.testing.assert_array_equal(adata.obs["digit"], poly.obs["digit"])
    assert set(poly.obs["digit"]) == set(range(10))


def test_deterministic_by_seed(poly):
    again = polymnist_quadrant(image_size=32, n_tuples_train=300, n_tuples_test=100, seed=3)
    other = polymnist_quadrant(image_size=32, n_tuples_train=300, n_tuples_test=100, seed=4)
    for name in poly.mod:
        np.testing.assert_array_equal(poly[name].X, again[name].X)
    assert not np.array_equal(poly["m0"].X, other["m0"].X)


def test_digits_real_same_class_distinct_and_split_disjoint(poly):
    _, labels = mnist_digits()
    index = np.stack([poly[m].obs["mnist_index"].to_numpy() for m in poly.mod], axis=1)
    assert (labels[index] == poly.obs["digit"].to_numpy()[:, None]).all()
    assert all(len(set(row)) == len(row) for row in index)  # different instances per tuple
    train = poly.obs["split"].to_numpy() == "train"
    assert not set(index[train].ravel()) & set(index[~train].ravel())
    # the test split uses only the held-out last 100 instances of each class
    assert (index[~train] % 500 >= 400).all() and (index[train] % 500 < 400).all()


def _colour_mass(images, half, channel):
    """(n, 4) excess of one colour channel over the other two, summed per quadrant label."""
    others = [c for c in range(3) if c != channel]
    excess = images[:, channel] - images[:, others].mean(axis=1)
    mass = [
        excess[:, row * half : (row + 1) * half, col * half : (col + 1) * half].sum(axis=(1, 2))
        for row, col in (QUADRANTS[q] for q in range(4))
    ]
    return np.stack(mass, axis=1)


@pytest.mark.parametrize(("view", "channel"), [("m0", 0), ("m4", 2)])
def test_quadrant_label_matches_digit_position(poly, view, channel):
    # views 0 and 4 paint red / blue digits on grey photos: the colour excess marks the digit
    adata = poly[view]
    images = adata.X.reshape(-1, *adata.uns["image_shape"])
    mass = _colour_mass(images, 16, channel)
    np.testing.assert_array_equal(mass.argmax(axis=1), adata.obs["quadrant"].to_numpy())
    assert (mass.max(axis=1) > 5).all()


def test_colours_per_view():
    mdata = polymnist_quadrant(image_size=16, n_tuples_train=20, n_tuples_test=0, seed=0)
    assert [mdata[m].uns["digit_colour"] for m in mdata.mod] == [
        "red", "inverted", "inverted", "inverted", "blue",
    ]  # fmt: skip


def test_other_view_counts_and_errors():
    two = polymnist_quadrant(n_views=2, image_size=8, n_tuples_train=5, n_tuples_test=5)
    assert list(two.mod) == ["m0", "m1"] and two["m1"].uns["digit_colour"] == "blue"
    with pytest.raises(ValueError, match="image_size"):
        polymnist_quadrant(image_size=31, n_tuples_train=1, n_tuples_test=1)
    with pytest.raises(ValueError, match="distinct digit instances"):
        polymnist_quadrant(n_views=6, image_size=8, n_tuples_train=1, n_tuples_test=1,
                           n_test_digits_per_class=3)  # fmt: skip


@pytest.mark.slow
def test_build_speed_10k_at_32():
    import time

    start = time.perf_counter()
    polymnist_quadrant(image_size=32, n_tuples_train=10_000, n_tuples_test=0)
    assert time.perf_counter() - start < 30
