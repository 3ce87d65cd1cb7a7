"""``differential``: change-mode comparison of two groups on decoded means from posterior draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from mudata import MuData

from .._config import positive_int
from ._decomposition import (
    decode_marginal,
    decode_scaled,
    modality_latents,
    obs_labels,
    reference_rows,
    scale_kind,
)
from ._posterior import mixture_sample

SOURCES = ("full", "shared", "private")
DEFAULT_DELTA_COUNTS = 0.25
"""Default threshold on |log2 fold change| for count modalities."""
DEFAULT_DELTA_SD = 0.25
"""Default threshold for other modalities, as a fraction of each feature's observed standard deviation."""
PSEUDOCOUNT = 0.1
"""Added (in counts per 10,000) before the log2 fold change of count modalities."""
DEFAULT_N_REFERENCE = 50
"""Reference samples averaged over for ``source="shared"`` / ``"private"``."""


def _group_rows(labels: pd.Series, group1, group2):
    """Positions (into ``labels``) of the two groups; group2 None: every other labelled sample."""
    values = labels.astype("object")
    present = set(values.dropna().astype(str))
    for name, g in (("group1", group1), ("group2", group2)):
        if g is not None and str(g) not in present:
            raise ValueError(
                f"{name}: {g!r} is not a value of mdata.obs[{labels.name!r}] among the samples "
                f"with the modality; values: {sorted(present)}"
            )
    text = values.astype(str).where(values.notna())
    in1 = text == str(group1)
    in2 = text == str(group2) if group2 is not None else text.notna() & ~in1
    return np.flatnonzero(in1.to_numpy()), np.flatnonzero(in2.to_numpy())


def posterior_fdr(proba_de: np.ndarray, fdr: float) -> np.ndarray:
    """Largest set of features, taken by decreasing ``proba_de``, whose expected FDR (the mean of
    their ``1 - proba_de``) is at most ``fdr``."""
    order = np.argsort(-proba_de, kind="stable")
    expected = np.cumsum(1.0 - proba_de[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(expected <= fdr)
    called = np.zeros(len(proba_de), dtype=bool)
    if len(ok):
        called[order[: ok[-1] + 1]] = True
    return called


class DifferentialMixin:
    """Adds :meth:`differential` to a model."""

    @torch.no_grad()
    def _draw_means(self, lat, m, rows, n_draws, source, kind, refs, rng):
        """Decoded means (mean scale) of ``n_draws`` posterior draws of random samples among ``rows``."""
        pick = rows[rng.integers(0, len(rows), n_draws)]
        z = mixture_sample(
            rng, lat.mu_z_experts[:, pick], lat.sd_z_experts[:, pick], lat.mask[pick]
        )
        w = lat.w[pick].cpu().numpy() + lat.sd_w[pick] * rng.standard_normal(lat.sd_w[pick].shape)
        device = lat.z.device
        z = torch.as_tensor(z, dtype=torch.float32, device=device)
        w = torch.as_tensor(w, dtype=torch.float32, device=device)
        cov = None if lat.cov is None else lat.cov[torch.as_tensor(pick, device=device)]
        if source == "full":
            return decode_scaled(self, m, z, w, cov, kind, "mean").double().cpu().numpy()
        own_is_z = source == "shared"
        own, others = (z, lat.w[refs]) if own_is_z else (w, lat.z[refs])
        return decode_marginal(
            self, m, own, others, cov, own_is_z=own_is_z, kind=kind, scale="mean"
        )

    def differential(
        self,
        groupby: str,
        group1,
        group2=None,
        *,
        modality: str,
        source: str = "full",
        delta: float | None = None,
        fdr: float = 0.05,
        n_samples: int = 2000,
        n_reference: int = DEFAULT_N_REFERENCE,
        mdata: MuData | None = None,
        seed: int = 0,
        batch_size: int | None = None,
    ) -> pd.DataFrame:
        """Which features of ``modality`` differ between two groups of samples, and by how much.

        A change-mode comparison on decoded means, as scvi-tools' ``differential_expression``
        does: ``n_samples`` times, a random sample of each group is taken, its latents are drawn
        from its posterior (z from the mixture of its modalities' shared experts, w_m from its
        private posterior), and decoded to the mean of every feature; the effect of a draw is the
        log2 fold change of the two means (count modalities, in counts per 10,000 plus a
        pseudocount of 0.1) or their difference (``normal``, ``laplace``, ``image``: values;
        ``bernoulli``: probabilities). ``proba_de`` is the fraction of draws with ``|effect| > delta``.
        As each draw pairs one sample of each group, a feature that varies widely within the groups
        reaches a high ``proba_de`` even when the groups' means differ by less than ``delta``; for
        differences between the groups, keep the features with ``is_de_fdr`` and
        ``|lfc| > delta`` (measured against the simulator's truth: docs/user_guide/interpretation.md).

        Parameters
        ----------
        groupby
            Column of ``mdata.obs`` holding the groups.
        group1, group2
            The groups compared (``group1`` against ``group2``); ``group2=None``: every other
            sample with a value in ``groupby``.
        modality
            The modality whose features are compared.
        source
            ``"full"``: decode z and w_m as drawn. ``"shared"``: decode the drawn z with w_m
            marginalised (the decoded mean averaged over the private codes of ``n_reference``
            reference samples, as in :meth:`variance_explained`), so the result is what the shared
            factors imply; ``"private"``: the drawn w_m with z marginalised.
        delta
            Smallest effect that counts as a difference, in the effect's units. Default: 0.25
            (log2 fold change) for counts, else 0.25 times each feature's observed standard
            deviation.
        fdr
            Target posterior expected false discovery rate of ``is_de_fdr``.
        n_samples
            Posterior draws per group.
        n_reference
            Reference samples of the marginalised latent (``source="shared"``/``"private"``).
        mdata
            Data (default: the training data).
        seed
            Seed of the draws and of the reference samples.
        batch_size
            Rows encoded at a time.

        Returns
        -------
        pandas.DataFrame
            One row per feature (index: feature names), sorted by decreasing ``proba_de``:
            ``lfc`` (mean effect over draws: log2 fold change for counts, else difference of
            means), ``lfc_median``, ``lfc_std``, ``proba_de``, ``proba_not_de``, ``is_de_fdr``
            (in the largest set, by decreasing ``proba_de``, whose mean ``1 - proba_de`` is at
            most ``fdr``), ``delta`` (the threshold used), ``mean1``, ``mean2`` (mean decoded
            value in each group, mean scale: counts per 10,000, probabilities or values),
            ``n1``, ``n2`` (samples in each group).

        Notes
        -----
        Only samples that have ``modality`` take part (their private code is needed). The
        posterior FDR is controlled under the model (see the user guide's interpretation page).
        """
        self._require_trained("differential")
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
        if not 0.0 < fdr < 1.0:
            raise ValueError(f"fdr must be in (0, 1), got {fdr!r}")
        positive_int("n_samples", n_samples)
        m = self._modality_index(modality)
        spec = self.registry.modalities[m]
        kind = scale_kind(spec)
        tensors = self._tensors(mdata)
        labels = obs_labels(self, mdata, groupby)
        self.module.eval()
        lat = modality_latents(self, mdata, m, batch_size)
        rows1, rows2 = _group_rows(labels.iloc[lat.rows], group1, group2)
        for name, rows in (("group1", rows1), ("group2", rows2)):
            if len(rows) == 0:
                raise ValueError(f"{name}: no sample with modality {modality!r} is in this group")
        rng = np.random.default_rng(seed)
        refs = torch.as_tensor(reference_rows(len(lat.rows), n_reference, seed))
        h1 = self._draw_means(lat, m, rows1, n_samples, source, kind, refs, rng)
        h2 = self._draw_means(lat, m, rows2, n_samples, source, kind, refs, rng)
        if kind == "counts":
            effect = np.log2(h1 + PSEUDOCOUNT) - np.log2(h2 + PSEUDOCOUNT)
            threshold = np.full(spec.n_features, DEFAULT_DELTA_COUNTS if delta is None else delta)
        else:
            effect = h1 - h2
            if delta is None:
                x = tensors.rows(m, torch.as_tensor(lat.rows)).double().numpy()
                threshold = DEFAULT_DELTA_SD * x.std(0)
            else:
                threshold = np.full(spec.n_features, float(delta))
        proba_de = (np.abs(effect) > threshold).mean(0)
        frame = pd.DataFrame(
            {
                "lfc": effect.mean(0),
                "lfc_median": np.median(effect, 0),
                "lfc_std": effect.std(0),
                "proba_de": proba_de,
                "proba_not_de": 1.0 - proba_de,
                "is_de_fdr": posterior_fdr(proba_de, fdr),
                "delta": threshold,
                "mean1": h1.mean(0),
                "mean2": h2.mean(0),
                "n1": len(rows1),
                "n2": len(rows2),
            },
            index=pd.Index(list(spec.var_names), name="feature"),
        )
        order = np.lexsort((-np.abs(frame["lfc"].to_numpy()), -proba_de))
        return frame.iloc[order]
