"""The public names of the top-level package: the API, its subpackages and nothing leaked."""

import types

import omicvae as ov

API = {"IDMVAE", "MMVAEPlus", "__version__", "datasets", "logger", "pl", "tl"}


def _public(module):
    return {name for name in dir(module) if not name.startswith("_")}


def test_all_lists_the_api():
    assert set(ov.__all__) == API
    for name in ov.__all__:
        assert hasattr(ov, name), name


def test_no_helper_leaks_into_the_top_level():
    # besides the API only omicvae's own subpackages may appear (imported submodules are
    # attributes of their package); helpers such as importlib.metadata's must not
    extra = {
        name
        for name in _public(ov) - API
        if not (
            isinstance(getattr(ov, name), types.ModuleType)
            and getattr(ov, name).__name__ == f"omicvae.{name}"
        )
    }
    assert extra == set()
    assert "version" not in dir(ov) and "PackageNotFoundError" not in dir(ov)


def test_version_is_kept():
    assert isinstance(ov.__version__, str) and ov.__version__
