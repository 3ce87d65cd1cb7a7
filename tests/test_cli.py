"""The ``omicvae`` command line: help, the quick demo, ``fit`` on TCGA-layout files, bad arguments."""

import ast
import subprocess
import sys

import mudata as md
import numpy as np
import pandas as pd
import pytest

from omicvae.cli import main


def _read(path):
    with md.set_options(pull_on_update=False):
        return md.read_h5mu(path)


FAST = ["--epochs", "2", "--no-progress", "--threads", "1", "--n-shared", "4", "--n-private", "3"]


def test_help_lists_both_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "fit" in out
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    out = capsys.readouterr().out
    for option in ("--mod", "--clinical", "--likelihood", "--layer", "--label", "--no-diffusion"):
        assert option in out


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run(
        [sys.executable, "-m", "omicvae", "--version"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.startswith("omicvae ")


def test_demo_quick(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--no-progress", "--threads", "1"]) == 0
    printed = capsys.readouterr().out
    for text in (
        "Prediction of 'C1A.C1B'",
        "Clustering:",
        "ARI",
        "Survival by idmvae_leiden",
        "log-rank",
        "Wall time",
    ):
        assert text in printed
    mdata = _read(out / "tcga_acc_idmvae.h5mu")
    assert mdata.obsm["X_idmvae_shared"].shape == (92, 16)
    for mod in ("rna", "mirna", "cnv", "protein", "mutation"):
        assert mdata.obsm[f"X_idmvae_private_{mod}"].shape == (92, 32)
        assert f"X_idmvae_shared_{mod}" in mdata.obsm
    assert mdata.obs["idmvae_leiden"].notna().all()
    for name in (
        "umap_shared_private.png",
        "training_curves.png",
        "kaplan_meier.png",
        "summary.txt",
    ):
        assert (out / name).stat().st_size > 0


def _write_matrix(path, frame):
    """features x samples, tab-separated, barcodes as columns (the GDC/Xena layout)."""
    frame.to_csv(path, sep="\t", index_label="sample", na_rep="NA")
    return path


@pytest.fixture
def tcga_files(tmp_path):
    rng = np.random.default_rng(0)
    n = 40
    patients = [f"TCGA-AB-{1000 + i}" for i in range(n)]
    subtype = np.array(["A", "B"])[np.arange(n) % 2]
    signal = np.where(subtype == "A", 1.0, -1.0)[None, :]
    rna = np.exp(2 + signal * rng.normal(1, 0.2, (12, 1)) + rng.normal(0, 0.5, (12, n)))
    mirna = rng.poisson(np.exp(3 + 0.5 * signal + rng.normal(0, 0.3, (8, n))))
    mirna = mirna.astype(float)
    mirna[3, 10] = np.nan  # one missing value: the feature is dropped with --drop-nan-features
    rna_cols = [f"{p}-01A-11R-A29S-07" for p in patients[:36]]  # 4 patients lack RNA
    mirna_cols = [f"{p}-01" for p in patients[4:]]  # 4 others lack miRNA
    files = {
        "rna": _write_matrix(
            tmp_path / "rna.tsv",
            pd.DataFrame(rna[:, :36], index=[f"G{i}|{i}" for i in range(12)], columns=rna_cols),
        ),
        "mirna": _write_matrix(
            tmp_path / "mirna.tsv",
            pd.DataFrame(
                mirna[:, 4:], index=[f"hsa-mir-{i}" for i in range(8)], columns=mirna_cols
            ),
        ),
    }
    dead = rng.random(n) < 0.4
    clinical = pd.DataFrame(
        {
            "vital_status": np.where(dead, "dead", "alive"),
            "days_to_death": np.where(dead, rng.integers(100, 2000, n).astype(str), "NA"),
            "days_to_last_followup": np.where(dead, "NA", rng.integers(100, 3000, n).astype(str)),
            "subtype": subtype,
        },
        index=pd.Index(patients, name="bcr_patient_barcode"),
    )
    clinical.to_csv(tmp_path / "clinical.tsv", sep="\t")
    files["clinical"] = tmp_path / "clinical.tsv"
    return files


def test_fit_on_tcga_files(tcga_files, tmp_path, capsys):
    out = tmp_path / "fit"
    args = ["fit", "--mod", f"rna={tcga_files['rna']}", "--mod", f"mirna={tcga_files['mirna']}",
            "--clinical", str(tcga_files["clinical"]), "--likelihood", "rna=normal",
            "--likelihood", "mirna=nb", "--layer", "rna=log1p", "--label", "subtype",
            "--drop-nan-features", "--out", str(out), "--batch-size", "16", *FAST]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Prediction of 'subtype'" in printed and "vs subtype" in printed
    assert "Survival by idmvae_leiden" in printed or "single cluster" in printed
    mdata = _read(out / "idmvae.h5mu")
    assert mdata.n_obs == 40
    assert mdata.obsm["X_idmvae_shared"].shape == (40, 4)
    assert np.isnan(mdata.obsm["X_idmvae_private_rna"]).all(axis=1).sum() == 4
    assert "log1p" in mdata.mod["rna"].layers
    assert mdata.mod["mirna"].n_vars == 7  # the feature with a missing value was dropped
    assert "idmvae_leiden" in mdata.obs
    assert (out / "umap_shared_private.png").exists() and (out / "training_curves.png").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--mod", "rna"], "expected NAME=PATH"),
        (["--mod", "rna=missing.tsv"], "does not exist"),
        (["--likelihood", "protein=normal"], "unknown modality 'protein'"),
        (["--likelihood", "rna=gaussian"], "unknown likelihood 'gaussian'"),
        (["--layer", "rna=counts"], "only layer computed"),
        (["--label", "PAM50"], "no such clinical column"),
        (["--likelihood", "rna=nb"], "rna"),  # non-integer values for a count likelihood
        (["--devices", "two"], "--devices"),
    ],
)
def test_bad_arguments_exit_2(tcga_files, tmp_path, capsys, extra, message):
    base = ["fit", "--mod", f"rna={tcga_files['rna']}", "--clinical", str(tcga_files["clinical"]),
            "--out", str(tmp_path / "bad"), *FAST]  # fmt: skip
    if extra[0] == "--mod":
        base = base[:1] + base[3:]
    code = main([*base, *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert "omicvae fit: error:" in err and message in err


def test_missing_values_need_a_decision(tcga_files, tmp_path, capsys):
    args = ["fit", "--mod", f"mirna={tcga_files['mirna']}", "--out", str(tmp_path / "nan"), *FAST]
    assert main(args) == 2
    assert "--drop-nan-features" in capsys.readouterr().err


def test_missing_required_mod_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fit"])
    assert exc.value.code == 2
    assert "--mod" in capsys.readouterr().err


@pytest.fixture
def captured_config(monkeypatch):
    """Run ``main`` up to the pipeline and keep the configuration instead of training."""
    import omicvae.cli._pipeline as pipeline

    configs = []
    monkeypatch.setattr(
        pipeline, "run_pipeline", lambda mdata, config, start: configs.append(config)
    )
    return configs


@pytest.mark.parametrize(
    "extra, epochs, quick_networks",
    [
        ([], 200, False),
        (["--quick"], 2, True),
        (["--quick", "--epochs", "200"], 200, True),  # explicit, even equal to the default, wins
        (["--quick", "--epochs", "7"], 7, True),
        (["--epochs", "2"], 2, False),
    ],
)
def test_explicit_epochs_win_over_quick(captured_config, tmp_path, extra, epochs, quick_networks):
    assert main(["demo", "--out", str(tmp_path / "d"), "--threads", "0", *extra]) == 0
    (config,) = captured_config
    assert config.train["max_epochs"] == epochs
    assert (config.model.get("encoder_hidden") == (32,)) is quick_networks


def test_explicit_network_options_win_over_quick(captured_config, tmp_path):
    out = str(tmp_path / "d")
    assert main(["demo", "--quick", "--out", out, "--encoder-hidden", "64", "--threads", "0"]) == 0
    (config,) = captured_config
    assert config.model["encoder_hidden"] == (64,)  # given: kept
    assert config.model["decoder_hidden"] == (32,)  # not given: --quick's


def test_epochs_defaults_and_help(capsys):
    from omicvae.cli._main import build_parser, resolve_epochs

    parser = build_parser()
    fit = parser.parse_args(["fit", "--mod", "rna=x.tsv"])
    assert fit.epochs is None and resolve_epochs(fit) == 50
    assert resolve_epochs(parser.parse_args(["fit", "--mod", "rna=x.tsv", "--epochs", "9"])) == 9
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "passes over the data (200; 2 with --quick, unless given)" in help_text
    assert "2 epochs unless --epochs is given" in help_text


def test_cli_trains_on_all_samples_and_says_why(captured_config, tmp_path, capsys):
    from omicvae.cli._main import build_parser

    parser = build_parser()
    for argv in (["demo"], ["fit", "--mod", "rna=x.tsv"]):
        assert parser.parse_args(argv).train_size == 1.0
    assert main(["demo", "--quick", "--out", str(tmp_path / "d"), "--threads", "0"]) == 0
    assert captured_config[0].train["train_size"] == 1.0
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "unlike the API's model.train(), which holds out 10%" in help_text
    assert "nothing here reads the validation loss" in help_text


def _modules_after(argv):
    """The top-level packages imported by ``python -m omicvae ARGV``, and what it printed."""
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['omicvae', *{list(argv)!r}]\n"
        "try:\n"
        "    runpy.run_module('omicvae', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('MODULES', sorted({m.split('.')[0] for m in sys.modules}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    printed, _, modules = proc.stdout.rpartition("MODULES ")
    return set(ast.literal_eval(modules)), printed


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"], ["--version"]])
def test_help_imports_neither_torch_nor_the_data_stack(argv):
    modules, printed = _modules_after(argv)
    assert printed.strip()
    assert not modules & {"torch", "lightning", "scanpy", "pandas", "anndata"}, modules


def test_model_options_are_generated_from_the_configuration(capsys):
    from omicvae._config import DEFAULT_CONFIG, setting_fields
    from omicvae.cli._options import option_name

    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for f in setting_fields():
        assert option_name(f.name) in help_text, f.name
    assert "--no-diffusion" in help_text and "--raw-inputs" in help_text
    assert "hidden widths of the MLP encoders (the paper: 128 64) [256 128]" in help_text
    assert DEFAULT_CONFIG.network.encoder_hidden == (256, 128)


def test_model_options_reach_the_model_settings(captured_config, tmp_path):
    from omicvae._config import DEFAULT_CONFIG, PRESETS

    out = ["--out", str(tmp_path / "d"), "--threads", "0"]
    assert main(["demo", *out]) == 0
    assert captured_config[-1].model == DEFAULT_CONFIG.to_flat()
    given = ["--preset", "paper_tcga", "--n-shared", "8", "--encoder-hidden", "64", "32",
             "--no-diffusion", "--likelihood-scale", "rna=0.5", "--activation", "gelu"]  # fmt: skip
    assert main(["demo", *out, *given]) == 0
    expected = PRESETS["paper_tcga"].replace(
        n_shared=8, encoder_hidden=(64, 32), diffusion_prior=False,
        likelihood_scale={"rna": 0.5}, activation="gelu",
    ).to_flat()  # fmt: skip
    assert captured_config[-1].model == expected


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--n-shared", "0"], "--n-shared must be a positive integer, got 0"),
        (["--dropout", "1.5"], r"--dropout must be in [0, 1), got 1.5"),
        (["--likelihood-scale", "rna=-1"], "--likelihood-scale['rna'] must be a positive"),
        (["--likelihood-scale", "rna=big"], "the scale must be a number"),
        (["--diffusion-sample-steps", "2000"], "cannot exceed diffusion_steps"),
        # defect: the denoisers were built and sampled but never trained
        (["--diffusion-weight", "0"], "diffusion_weight is --diffusion-weight"),
    ],
)
def test_bad_model_options_exit_2_before_reading_data(captured_config, tmp_path, capsys, extra,
                                                      message):  # fmt: skip
    argv = ["fit", "--mod", "rna=missing.tsv", "--out", str(tmp_path / "x"), *extra]
    assert main(argv) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "omicvae fit: error:" in err and message in err
    assert "does not exist" not in err  # refused before the files were looked at
    assert main(["demo", "--out", str(tmp_path / "d"), "--no-diffusion", "--diffusion-weight",
                 "0", "--threads", "0"]) == 0  # fmt: skip


def test_key_prefix_reaches_training(captured_config, tmp_path):
    out = str(tmp_path / "d")
    assert main(["demo", "--quick", "--out", out, "--threads", "0", "--key-prefix", "X_run2"]) == 0
    assert main(["demo", "--quick", "--out", out, "--threads", "0"]) == 0
    assert captured_config[0].train["key_prefix"] == "X_run2"
    assert "key_prefix" not in captured_config[1].train  # the model's own default prefix
