import logging

import numpy as np
import pandas as pd
import pytest

from omicvae.datasets import read_tcga

GENES = ["TP53|7157", "EGFR|1956", "MYC|4609"]


def _write_matrix(path, frame, subtitle=None):
    """features x samples, tab-separated; optional Firehose second header row."""
    lines = ["\t".join(["gene_id" if subtitle else "sample", *frame.columns])]
    if subtitle:
        lines.append("\t".join(["gene_id", *[subtitle] * frame.shape[1]]))
    for name, row in frame.iterrows():
        lines.append("\t".join([name, *("NA" if np.isnan(v) else f"{v:g}" for v in row)]))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def files(tmp_path):
    rna = pd.DataFrame(
        np.arange(15, dtype=float).reshape(3, 5) + 0.5,
        index=GENES,
        columns=[
            "TCGA-OR-A5J1-01A-11R-A29S-07",
            "TCGA-OR-A5J2-01A-11R-A29S-07",
            "TCGA-OR-A5J2-01B-11R-A29S-07",  # second primary aliquot: dropped (sorted after)
            "TCGA-OR-A5J3-11A-11R-A29S-07",  # normal tissue: dropped by default
            "TCGA-OR-A5J4-01A-11R-A29S-07",
        ],
    )
    mirna = pd.DataFrame(  # Xena style: sample barcodes, patient A5J4 missing, A5J5 extra
        [[1, 2, 3], [4, 5, 6]],
        index=["hsa-mir-21", "hsa-let-7a-1"],
        columns=["TCGA-OR-A5J1-01", "TCGA-OR-A5J2-01", "TCGA-OR-A5J5-01"],
        dtype=float,
    )
    mirna.iloc[0, 1] = np.nan
    return {
        "rna": _write_matrix(tmp_path / "rna_firehose.txt", rna, subtitle="normalized_count"),
        "mirna": _write_matrix(tmp_path / "mirna_xena.tsv", mirna),
    }


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_matrices_patients_and_missingness(files):
    collect = _Collect()
    logging.getLogger("omicvae").addHandler(collect)  # the package logger does not propagate
    try:
        mdata = read_tcga(files)
    finally:
        logging.getLogger("omicvae").removeHandler(collect)
    assert list(mdata.obs_names) == [f"TCGA-OR-A5J{i}" for i in (1, 2, 4, 5)]
    rna, mirna = mdata["rna"], mdata["mirna"]
    assert list(rna.obs_names) == ["TCGA-OR-A5J1", "TCGA-OR-A5J2", "TCGA-OR-A5J4"]
    assert rna.obs.loc["TCGA-OR-A5J2", "barcode"] == "TCGA-OR-A5J2-01A-11R-A29S-07"
    assert list(rna.var["feature_name"]) == GENES and rna.var_names[0] == "rna:TP53|7157"
    np.testing.assert_array_equal(rna.X[:, 0], [0.5, 1.5, 4.5])  # TP53 of A5J1, A5J2, A5J4
    assert list(mirna.obs_names) == ["TCGA-OR-A5J1", "TCGA-OR-A5J2", "TCGA-OR-A5J5"]
    assert np.isnan(mirna.X[1, 0])
    assert any("several samples" in m for m in collect.messages)


def test_keep_all_sample_types(files):
    mdata = read_tcga(files, sample_types=None)
    assert "TCGA-OR-A5J3" in mdata["rna"].obs_names
    assert mdata["rna"].obs.loc["TCGA-OR-A5J3", "sample_type"] == "11"


def test_gdc_clinical_rows_with_survival(files, tmp_path):
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text(
        "case_id\tcase_submitter_id\tvital_status\tdays_to_death\tdays_to_last_follow_up\tgender\n"
        "u1\tTCGA-OR-A5J1\tDead\t100\t'--\tmale\n"
        "u1b\tTCGA-OR-A5J1\tDead\t100\t'--\tmale\n"
        "u2\tTCGA-OR-A5J2\tAlive\t'--\t250\tfemale\n"
        "u4\tTCGA-OR-A5J4\tNot Reported\t'--\t'--\tfemale\n"
        "u9\tTCGA-OR-A5J9\tAlive\t'--\t7\tmale\n"
    )
    mdata = read_tcga(files, clinical)
    obs = mdata.obs
    assert obs.loc["TCGA-OR-A5J1", "survival_event"] == 1
    assert obs.loc["TCGA-OR-A5J1", "survival_time"] == 100
    assert obs.loc["TCGA-OR-A5J2", "survival_event"] == 0
    assert obs.loc["TCGA-OR-A5J2", "survival_time"] == 250
    assert np.isnan(obs.loc["TCGA-OR-A5J4", "survival_event"])
    assert np.isnan(obs.loc["TCGA-OR-A5J5", "survival_time"])  # no clinical row
    assert "TCGA-OR-A5J9" not in obs.index  # clinical only, no omics
    assert isinstance(obs["gender"].dtype, pd.CategoricalDtype)


def test_firehose_clinical_transposed(files, tmp_path):
    clinical = tmp_path / "ACC.clin.merged.picked.txt"
    clinical.write_text(
        "Hybridization REF\ttcga-or-a5j1\ttcga-or-a5j2\ttcga-or-a5j5\n"
        "Composite Element REF\tvalue\tvalue\tvalue\n"
        "years_to_birth\t58\t44\tNA\n"
        "vital_status\t1\t0\t1\n"
        "days_to_death\t1355\tNA\t423\n"
        "days_to_last_followup\tNA\t2091\tNA\n"
    )
    for transpose in ("auto", True):
        obs = read_tcga(files, clinical, transpose_clinical=transpose).obs
        assert obs.loc["TCGA-OR-A5J1", "years_to_birth"] == 58
        assert obs.loc["TCGA-OR-A5J5", "survival_time"] == 423
        assert obs.loc["TCGA-OR-A5J2", "survival_event"] == 0
        assert obs.loc["TCGA-OR-A5J2", "survival_time"] == 2091
        assert "Composite Element REF" not in obs


def test_survival_off(files, tmp_path):
    clinical = tmp_path / "xena_clinical.tsv"
    clinical.write_text(
        "sampleID\tvital_status\tdays_to_death\tdays_to_last_followup\n"
        "TCGA-OR-A5J1-01\tDECEASED\t10\t\n"
    )
    assert "survival_time" not in read_tcga(files, clinical, survival=False).obs
    assert read_tcga(files, clinical).obs.loc["TCGA-OR-A5J1", "survival_event"] == 1


def test_errors_name_file_and_modality(tmp_path, files):
    bad = _write_matrix(
        tmp_path / "bad.tsv", pd.DataFrame([[1.0]], index=["g"], columns=["sample_1"])
    )
    with pytest.raises(ValueError, match=r"bad.tsv.*'cnv'.*TCGA sample barcodes"):
        read_tcga({"cnv": bad})
    only_normal = _write_matrix(
        tmp_path / "n.tsv", pd.DataFrame([[1.0]], index=["g"], columns=["TCGA-OR-A5J3-11A"])
    )
    with pytest.raises(ValueError, match=r"'cnv'.*no sample of type"):
        read_tcga({"cnv": only_normal})
    text = tmp_path / "text.tsv"
    text.write_text("g\tTCGA-OR-A5J3-01A\tTCGA-OR-A5J4-01A\nx\t1\tabc\ny\t2\t3\n")
    with pytest.raises(ValueError, match="numeric"):
        read_tcga({"cnv": text})
