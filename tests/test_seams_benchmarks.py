"""The benchmarks' mean ± std come from ``_common.mean_std``: the stored summaries are reproduced."""

import json
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _same(a, b, path=""):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert b is None or math.isnan(b), path
    else:
        assert a == b, (path, a, b)


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    yield
    for name in ("_common", "disentanglement", "multifeature"):
        sys.modules.pop(name, None)


@pytest.mark.parametrize(
    "name", ["disentanglement", "disentanglement_ablations", "multifeature", "tcga_acc"]
)
def test_stored_summaries_are_reproduced(bench, name):
    import _common

    payload = json.loads((BENCH / "results" / f"{name}.json").read_text())
    if name == "tcga_acc":
        for row in payload["prediction"].values():
            for rep, summary in row["test_summary"].items():
                tests = [p["test"][rep] for p in row["per_split"]]
                _same(_common.summarise(tests), summary)
        return
    if name == "multifeature":
        import multifeature

        _same(multifeature.summarise(payload["runs"], payload["baselines"]), payload["summary"])
    else:
        import disentanglement

        ceilings = payload.get("ceilings_by_seed")
        _same(disentanglement.summarise(payload["runs"], ceilings), payload["summary"])


def test_tcga_acc_labels_are_public():
    import omicvae as ov

    assert ov.datasets.TCGA_ACC_LABELS[0] == "C1A.C1B"
    assert "Histology" in ov.datasets.TCGA_ACC_LABELS
    assert "omicvae.datasets._" not in (BENCH / "tcga_acc.py").read_text()


@pytest.mark.parametrize("script", ["tcga_acc", "tcga_brca", "interpretation", "polymnist"])
def test_quick_runs_never_default_to_the_committed_results(bench, script, tmp_path):
    import _common as C

    quick = C.output_folder(None, True, script)
    assert quick != C.RESULTS and quick.is_dir()
    assert C.output_folder(None, False, script) == C.RESULTS
    assert C.output_folder(tmp_path / "x", True, script) == tmp_path / "x"
    source = (BENCH / f"{script}.py").read_text()
    assert "C.output_folder(args.out, args.quick" in source  # the script resolves --out through it
