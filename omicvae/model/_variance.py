"""``variance_explained``: how much of each modality's variance the shared and the private codes explain."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from mudata import MuData

from ._decomposition import DEFAULT_N_REFERENCE, decompose, obs_labels, r_squared, scale_kind

COLUMNS = ("joint", "shared", "private")


class VarianceExplainedMixin:
    """Adds :meth:`variance_explained` to a model."""

    def variance_explained(
        self,
        mdata: MuData | None = None,
        *,
        by_feature: bool = False,
        groupby: str | None = None,
        n_reference: int = DEFAULT_N_REFERENCE,
        seed: int = 0,
        batch_size: int | None = None,
    ) -> pd.DataFrame:
        """Fraction of each modality's variance explained by z and w_m together, by z alone and by w_m alone.

        For every sample that has modality m, three predictions of its data are decoded: ``joint``
        from its own z (joint posterior mean) and w_m (posterior mean); ``shared`` from its own z
        with w_m *marginalised* (the decoded output averaged over the private codes of
        ``n_reference`` other samples, so the model's expectation given z alone); ``private``, the
        converse (see the user guide's interpretation page). Each column is
        ``R^2 = 1 - SS_res / SS_tot`` of the observed data in the modality's natural scale
        (``log1p`` of counts per 10,000 for ``nb``/``zinb``, probabilities for ``bernoulli``, the
        values otherwise), sums taken over the samples with the modality and over its features (as
        MOFA+ pools them).

        Parameters
        ----------
        mdata
            Data to evaluate (default: the training data); it may hold a subset of the modalities.
        by_feature
            One row per feature (index ``(modality, feature)``) instead of one per modality.
        groupby
            A column of ``mdata.obs``: the sums are taken within each group (index
            ``(group, modality[, feature])``), the total around the group's own mean.
        n_reference
            Reference samples over which the other latent is averaged (cost grows linearly).
        seed
            Seed of the choice of reference samples.
        batch_size
            Rows encoded at a time.

        Returns
        -------
        pandas.DataFrame
            Columns ``"joint"``, ``"shared"``, ``"private"`` and ``"n_samples"``. The result is also
            written, as a flat table (the index as columns), to
            ``mdata.uns["idmvae_variance_explained"]`` (``"mmvaeplus_variance_explained"`` for
            :class:`MMVAEPlus`) of the evaluated MuData, where :func:`omicvae.pl.variance_explained`
            finds it.

        Notes
        -----
        ``shared + private`` need not equal ``joint`` (interaction of z and w_m in the decoder, and
        their correlation), and values can be negative. A modality whose likelihood has no natural
        scale here (``categorical``) is left out with a warning. The split is only as good as the
        model's: with the package defaults ``shared`` comes out too high; train with
        ``shared_purity_weight=100, private_reconstruction_weight=2`` for these analyses.
        """
        self._require_trained("variance_explained")
        tensors = self._tensors(mdata)
        target = self.mdata if mdata is None else mdata
        labels = None if groupby is None else obs_labels(self, mdata, groupby)
        if labels is not None and labels.isna().all():
            raise ValueError(f"groupby: mdata.obs[{groupby!r}] holds no value for any sample")
        frames = []
        for m, spec in enumerate(self.registry.modalities):
            try:
                scale_kind(spec)
            except ValueError as err:
                warnings.warn(f"variance_explained: left out: {err}", UserWarning, stacklevel=2)
                continue
            if not bool(tensors.mask[:, m].any()):
                continue
            d = decompose(self, mdata, m, n_reference=n_reference, seed=seed, batch_size=batch_size)
            preds = {"joint": d.joint, "shared": d.shared, "private": d.private}
            if labels is None:
                groups = [(None, np.arange(len(d.rows)))]
            else:
                lab = labels.iloc[d.rows]
                groups = [
                    (g, np.flatnonzero((lab == g).to_numpy())) for g in pd.unique(lab.dropna())
                ]
            for g, rows in groups:
                if len(rows) < 2:
                    continue
                values = r_squared(d.observed, preds, rows, by_feature)
                frame = pd.DataFrame(
                    {k: np.atleast_1d(values[k]) for k in COLUMNS},
                    index=pd.Index(list(spec.var_names) if by_feature else [spec.name]),
                )
                frame["n_samples"] = len(rows)
                frame.insert(0, "modality", spec.name)
                if by_feature:
                    frame.insert(1, "feature", frame.index)
                if labels is not None:
                    frame.insert(0, "group", str(g))
                frames.append(frame.reset_index(drop=True))
        if not frames:
            raise ValueError(
                "variance_explained: no modality could be evaluated (none present in the data "
                "with a supported likelihood)"
            )
        flat = pd.concat(frames, ignore_index=True)
        target.uns[f"{self._obsm_prefix.removeprefix('X_')}_variance_explained"] = flat.copy()
        keys = [k for k in ("group", "modality", "feature") if k in flat.columns]
        return flat.set_index(keys)
