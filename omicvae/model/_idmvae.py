"""The user-facing IDMVAE model: set up a MuData, train, write embeddings, impute, generate, save."""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import torch
from mudata import MuData

from .._config import IDMVAEConfig, positive_int
from .._keys import check_key_prefix, obsm_keys, record_embeddings
from .._logging import logger as _log
from ..data import (
    DataRegistry,
    MultiModalDataset,
    build_tensors,
    collate_batch,
    draw_library,
    library_rows,
    read_setup,
    setup_registry,
    split_indices,
    typical_library,
    write_setup,
)
from ..distributions import likelihood_class
from ..module import IDMVAEModule
from ..train import (
    TrainingPlan,
    default_max_epochs,
    lightning_info,
    loss_still_falling,
    make_trainer,
)
from ..train._schedule import MAX_EPOCHS, MIN_EPOCHS, PRESENTATIONS, STILL_FALLING, window_size
from . import _io
from ._attribution import FeatureAttributionMixin
from ._differential import DifferentialMixin
from ._params import check_image_modalities, check_train_arguments, data_preset, resolve_preset
from ._posterior import iter_posteriors, mixture_mean, mixture_sample, posterior_arrays
from ._variance import VarianceExplainedMixin

MIN_TRAINING_SAMPLES = 20
"""Below this many training samples :meth:`IDMVAE.train` warns."""


class IDMVAE(VarianceExplainedMixin, FeatureAttributionMixin, DifferentialMixin):
    """Information-disentangled multimodal VAE: one shared latent z, one private latent w per modality.

    Parameters
    ----------
    mdata
        A MuData registered with :meth:`setup_mudata`.
    n_shared, n_private
        Dimensions of z and of each w_m.
    cross_mi_weight
        λ1, weight of the cross-view InfoNCE on the shared codes.
    gen_aug_weight
        λ2, weight of the generative-augmentation cycle loss.
    independence_weight
        Weight of a term beyond the paper: the kernel dependence (normalised HSIC) between each
        private code w_m and what the other modalities' shared codes know, summed over modalities;
        it keeps the shared information out of the private codes. 0 (the paper) turns it off.
    shared_purity_weight
        Weight of its counterpart, also beyond the paper: the kernel dependence between each
        modality's shared code z_m and its own private code w_m (held fixed), which keeps the
        modality's private information out of z. 0 (the paper) turns it off.
    diffusion_prior, diffusion_weight
        Train diffusion priors for z and each w_m jointly, with weight λ_diff.
    beta
        Weight of the prior/posterior terms of the ELBO.
    preset
        ``"paper_tcga"`` (the published TCGA setting exactly), ``"paper_polymnist"`` or
        ``"images"`` (the PolyMNIST weights with Bernoulli pixels and the private-reconstruction
        term, no diffusion prior); explicit keyword arguments override it. ``None`` (default): the
        package defaults below, or ``"images"`` when every modality is an image (logged).
    seed
        Seed of the initial weights (None: from the global torch RNG).
    **kwargs
        Network and likelihood options: ``encoder_hidden`` (default ``(256, 128)``; the paper:
        ``(128, 64)``), ``decoder_hidden`` (``(128, 256)``; the paper: ``(64, 128)``),
        ``separate_towers``, ``activation``, ``dropout``, ``layer_norm``, ``likelihood_scale``
        (``{modality: factor}``), ``image_scale``, ``image_family``, ``diffusion_hidden``
        (denoiser width; default 128, the paper: 512), ``diffusion_steps``,
        ``diffusion_sample_steps``, ``temperature``, ``conv_channels`` (widths of the image
        networks' convolution stages), ``standardize_inputs`` (z-score each encoder input feature
        with training-split statistics, fitted at the first :meth:`train`; default on, off in the
        published setting).

    Notes
    -----
    The values of a MuData are read once (for the training MuData, and for the last other MuData
    passed as ``mdata=``) and validated then. A dense float32 matrix that holds every sample in the
    MuData's order is used in place, without a copy (the model never writes to it; edit it in place
    and the model sees the edit, unvalidated); other matrices are copied once into float32 tensors,
    so later edits to them do not reach the model.
    The defaults are the paper's TCGA setting with the changes described on the user guide's model
    and disentanglement pages; ``preset="paper_tcga"`` is the published setting exactly.
    :meth:`train` writes the embeddings into ``mdata.obsm`` (see :meth:`write_embeddings`).
    """

    _obsm_prefix = "X_idmvae"
    _fixed: dict = {}
    _training_plan_cls = TrainingPlan

    # ------------------------------------------------------------------ setup
    @classmethod
    def setup_mudata(
        cls,
        mdata: MuData,
        modalities: Sequence[str] | None = None,
        layers: dict[str, str | None] | None = None,
        likelihoods: dict[str, str] | None = None,
        batch_key: str | None = None,
    ) -> None:
        """Validate ``mdata`` and register how each modality is read and modelled.

        Parameters
        ----------
        mdata
            Samples are ``mdata.obs_names``; a sample may be absent from some modalities.
        modalities
            Names in ``mdata.mod`` to use (default: all).
        layers
            ``{modality: layer}``; default ``.X``.
        likelihoods
            ``{modality: "nb" | "zinb" | "normal" | "laplace" | "bernoulli" | "image" | "categorical"}``;
            inferred and reported for modalities not listed.
        batch_key
            Column of ``mdata.obs`` with a categorical covariate given to encoders and decoders.

        Notes
        -----
        The data are never modified: the registry (modalities, layers, likelihoods, features,
        batch categories) is recorded in ``mdata.uns["omicvae_setup"]``, the one key this writes,
        so a ``mdata.copy()``, a subset or a ``write_h5mu`` / ``read_h5mu`` round trip stays set up;
        a view becomes an actual MuData, as with scanpy's functions. Each modality's values are
        checked here, not again when training on the same matrices.
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            registry = setup_registry(mdata, modalities, layers, likelihoods, batch_key)
        for w in caught:  # re-issue at the caller's line, not inside omicvae
            warnings.warn(w.message, w.category, stacklevel=2)
        write_setup(mdata, registry)

    def __init__(
        self, mdata: MuData, *, preset: str | None = None, seed: int | None = 0, **hyperparameters
    ):
        registry = read_setup(mdata, type(self).__name__)
        clash = set(hyperparameters) & set(self._fixed)
        if clash:
            raise TypeError(f"{type(self).__name__} fixes {sorted(clash)}; use IDMVAE to set them")
        if preset is None and (preset := data_preset(registry)) is not None:
            _log.info(
                "every modality is an image: starting from preset=%r (the settings measured on "
                "PolyMNIST-Quadrant) instead of the omics defaults",
                preset,
            )
        # a preset's values of the fixed settings give way: MMVAEPlus(preset=...) is that
        # preset's ablation
        resolved = {
            k: v for k, v in resolve_preset(preset, hyperparameters).items() if k not in self._fixed
        }
        self._init(mdata, registry, resolved, seed)

    def _init(
        self, mdata: MuData | None, registry: DataRegistry, hyperparameters: dict, seed: int | None
    ) -> None:
        self.config = IDMVAEConfig.from_flat({**hyperparameters, **self._fixed})
        self.config.likelihood.check_modalities(registry.modality_names())
        self.hyperparameters = self.config.to_flat()
        check_image_modalities(registry)
        self.registry = registry
        self.mdata = mdata
        # seeded initial weights, the caller's RNG untouched
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            self.module = IDMVAEModule(registry.modalities, self.config, n_batch=registry.n_batch)
        self.is_trained = False
        # positions (in the training MuData's obs order) of the last train() call's split
        self.train_indices: np.ndarray | None = None
        self.validation_indices: np.ndarray | None = None
        self._history: dict[str, pd.DataFrame] = {}
        self._tensor_cache = None
        self._other_cache = (None, None)

    def __repr__(self) -> str:
        p = self.hyperparameters
        lines = [
            f"{type(self).__name__}: shared z {p['n_shared']}, private w {p['n_private']} per modality, "
            f"{'trained' if self.is_trained else 'not trained'}",
            f"  λ1 cross-MI {p['cross_mi_weight']:g}, λ2 gen-aug {p['gen_aug_weight']:g}, "
            f"diffusion prior {'on, weight ' + format(p['diffusion_weight'], 'g') if p['diffusion_prior'] else 'off'}, "
            f"β {p['beta']:g}",
        ]
        registry = self.registry
        for spec in registry.modalities:
            where = "X" if spec.layer is None else f"layers[{spec.layer!r}]"
            lines.append(
                f"  {spec.name}: {spec.n_features} features from {where}, likelihood {spec.likelihood!r}"
            )
        if registry.batch_key is not None:
            lines.append(f"  covariate {registry.batch_key!r}: {registry.n_batch} categories")
        lines.append(f"  {sum(t.numel() for t in self.module.parameters()):,} parameters")
        return "\n".join(lines)

    @property
    def history(self) -> dict[str, pd.DataFrame]:
        """One DataFrame per loss term (``loss``, ``elbo``, ...), indexed by epoch, columns train/validation.

        Every :meth:`train` call appends its epochs: a second call continues the epoch index where
        the first stopped (validation is NaN in epochs without a validation split).
        """
        return {k: v.copy() for k, v in self._history.items()}

    # ------------------------------------------------------------------ data
    def _tensors(self, mdata: MuData | None):
        if mdata is None or mdata is self.mdata:
            if self.mdata is None:
                raise ValueError("this model has no MuData attached; pass mdata=")
            if self._tensor_cache is None:
                self._tensor_cache = build_tensors(self.mdata, self.registry)
            return self._tensor_cache
        # another MuData: read (and validate) once while the same object keeps being queried; it
        # may hold any subset of the registered modalities, with features matched by name
        ref, tensors = self._other_cache
        if ref is None or ref() is not mdata:
            tensors = build_tensors(mdata, self.registry, query=True)
            self._other_cache = (weakref.ref(mdata), tensors)
        return tensors

    def _loader(self, tensors, indices, batch_size, shuffle, seed=0):
        return torch.utils.data.DataLoader(
            MultiModalDataset(tensors, indices),
            batch_size=batch_size,
            shuffle=shuffle,
            collate_fn=collate_batch,
            generator=torch.Generator().manual_seed(seed) if shuffle else None,
        )

    @property
    def device(self) -> torch.device:
        return next(self.module.parameters()).device

    def _require_trained(self, method: str) -> None:
        """Raise a RuntimeError naming ``method`` while the weights are the random initial ones."""
        if not self.is_trained:
            name = type(self).__name__
            raise RuntimeError(
                f"{name}.{method}: this {name} is not trained, so its outputs would come from "
                f"random weights; call model.train() first, or {name}.load() a trained model"
            )

    # ------------------------------------------------------------------ training
    def train(
        self,
        max_epochs: int | None = None,
        *,
        batch_size: int = 128,
        lr: float = 5e-4,
        weight_decay: float = 0.0,
        accelerator: str = "auto",
        devices="auto",
        train_size: float = 0.9,
        early_stopping: bool = False,
        early_stopping_patience: int = 10,
        seed: int = 0,
        strategy="auto",
        logger=None,
        callbacks=None,
        enable_progress_bar: bool = True,
        verbose: bool = False,
        compile: bool = False,
        key_prefix: str | None = None,
        weight_schedule: Mapping[str, Callable[[int], float]] | None = None,
        **trainer_kwargs,
    ) -> None:
        """Train with Lightning, then write the embeddings into ``mdata.obsm``.

        Training continues from the current weights: a second call trains further, and its epochs
        are appended to :attr:`history`. A subclass sets its own training plan class in
        ``_training_plan_cls`` (see the developer guide).

        Parameters
        ----------
        max_epochs
            Passes over the training split. None (default): scaled with the number of training
            samples (:func:`omicvae.train.default_max_epochs`), reported on the ``"omicvae"``
            logger. A ``UserWarning`` says when the loss (validation loss if every epoch has one)
            was still clearly falling: with at least 20 epochs in :attr:`history`, their last 10%
            lowered it by more than 3% of its whole decrease.
        batch_size, lr, weight_decay
            Mini-batch size and Adam settings.
        accelerator, devices, strategy
            Passed to :class:`lightning.pytorch.Trainer` (``strategy="ddp"`` for several GPUs or nodes).
        train_size
            Fraction of samples used for training; the rest is the validation split (1: no
            validation split; the ``omicvae`` command uses 1).
        early_stopping, early_stopping_patience
            Stop when the validation loss has not improved for this many epochs.
        seed
            Seeds weights' updates, the split and the shuffling; the same seed gives the same model on CPU.
        compile
            Compile the training loss with :func:`torch.compile` (see
            :class:`omicvae.train.TrainingPlan`): minutes of compiling for faster steps; with the
            same seed a compiled run differs from (and is as valid as) an eager one.
        enable_progress_bar
            Show one progress bar over the epochs with the last epoch's training (``loss``) and
            validation (``val_loss``) loss and the time left. A ``ProgressBar`` callback passed in
            ``callbacks`` replaces it.
        verbose
            Show Lightning's own INFO messages (accelerator and device summary, tips, why fitting
            stopped), which are hidden by default; warnings always come through.
        key_prefix
            Prefix of the ``.obsm`` keys the embeddings are written to (see
            :meth:`write_embeddings`); give each model its own to keep several on one MuData.
        weight_schedule
            ``{term: epoch -> weight}``, set at the start of every epoch (see
            :class:`omicvae.train.TrainingPlan`); the last epoch's values stay in
            ``module.weights``.
        logger, callbacks, **trainer_kwargs
            More Lightning ``Trainer`` arguments (``max_time=``, ...), given to
            :func:`omicvae.train.make_trainer`.
        """
        if key_prefix is not None:
            check_key_prefix(key_prefix)
        check_train_arguments(
            max_epochs, batch_size, lr, weight_decay, train_size, early_stopping_patience
        )
        tensors = self._tensors(None)
        pl.seed_everything(seed, workers=True, verbose=False)
        train_idx, val_idx = split_indices(tensors.n_obs, train_size, seed=seed)
        if len(train_idx) < MIN_TRAINING_SAMPLES:
            warnings.warn(
                f"training on {len(train_idx)} samples: too few to learn a shared and a private code "
                f"per modality (the embeddings will mostly reflect the initial weights); use at least "
                f"{MIN_TRAINING_SAMPLES}, and preferably hundreds",
                UserWarning,
                stacklevel=2,
            )
        chosen = max_epochs is None
        if chosen:
            max_epochs = default_max_epochs(len(train_idx))
        if self.hyperparameters["standardize_inputs"] and not self.is_trained:
            self.module.fit_input_standardization(lambda m: _observed_chunks(tensors, train_idx, m))
        train_loader = self._loader(tensors, train_idx, batch_size, shuffle=True, seed=seed)
        val_loader = (
            self._loader(tensors, val_idx, batch_size, shuffle=False) if len(val_idx) else None
        )
        monitor = "validation_loss" if val_loader is not None else "train_loss"
        with lightning_info(verbose):
            trainer, history = make_trainer(
                max_epochs,
                accelerator=accelerator,
                devices=devices,
                strategy=strategy,
                logger=logger,
                callbacks=callbacks,
                enable_progress_bar=enable_progress_bar,
                early_stopping=early_stopping,
                early_stopping_patience=early_stopping_patience,
                early_stopping_monitor=monitor,
                **trainer_kwargs,
            )
            if chosen and trainer.is_global_zero:
                n = len(train_idx)
                _log.info(
                    f"training for {max_epochs} epochs, scaled to the {n} training samples "
                    f"(max_epochs=None: min(max(round({PRESENTATIONS} / {n}), {MIN_EPOCHS}), "
                    f"{MAX_EPOCHS})); pass max_epochs= to choose"
                )
            plan = self._training_plan_cls(
                self.module,
                lr=lr,
                weight_decay=weight_decay,
                compile=compile,
                weight_schedule=weight_schedule,
            )
            self.module.train()
            with warnings.catch_warnings():
                # in-memory batches are fetched by tensor indexing: worker processes would only add overhead
                warnings.filterwarnings("ignore", message=".*does not have many workers.*")
                # train_size=1 means no validation split: not a misconfiguration
                warnings.filterwarnings(
                    "ignore", message=".*`validation_step` but have no `val_dataloader`.*"
                )
                trainer.fit(plan, train_dataloaders=train_loader, val_dataloaders=val_loader)
        self.module.eval()
        self._history = _append_history(self._history, history.history())
        self.is_trained = True
        self.train_indices, self.validation_indices = train_idx, val_idx
        self.write_embeddings(key_prefix=key_prefix)
        if trainer.is_global_zero and (message := self._still_falling_message()) is not None:
            warnings.warn(message, UserWarning, stacklevel=2)

    def _still_falling_message(self) -> str | None:
        """The under-training warning of :meth:`train` for the current history, or None."""
        frame = self._history.get("loss")
        if frame is None or not len(frame):
            return None
        use_validation = bool(frame["validation"].notna().all())
        which = "validation" if use_validation else "training"
        curve = frame["validation" if use_validation else "train"].to_numpy()
        fraction = loss_still_falling(curve)
        if fraction is None or fraction <= STILL_FALLING:
            return None
        k = window_size(len(curve))
        name = type(self).__name__
        return (
            f"{name}.train: the {which} loss was still falling when training stopped: its last "
            f"{k} of {len(curve)} epochs lowered it by {fraction:.0%} of its whole decrease since "
            f"the first epoch (the warning fires above {STILL_FALLING:.0%}), so the model is "
            "probably under-trained. Train on with model.train(max_epochs=...) (it continues from "
            "the current weights and extends model.history), or look at ov.pl.history(model)."
        )

    # ------------------------------------------------------------------ inference
    def _posterior(self, mdata, indices, batch_size):
        """Posterior means and scales of every modality and the mask (see :func:`posterior_arrays`)."""
        return posterior_arrays(self, mdata, indices, batch_size)

    def _modality_index(self, modality: str) -> int:
        names = self.registry.modality_names()
        if modality not in names:
            raise KeyError(
                f"modality {modality!r} is not registered with this model; registered: {list(names)}"
            )
        return names.index(modality)

    def get_latent_representation(
        self,
        kind: str = "shared",
        modality: str | None = None,
        indices: Sequence[int] | None = None,
        give_mean: bool = True,
        batch_size: int | None = None,
        mdata: MuData | None = None,
        seed: int = 0,
    ) -> np.ndarray:
        """Posterior means (or samples) of the shared or private latents.

        Parameters
        ----------
        kind
            ``"shared"``: z; ``"private"``: w of ``modality``.
        modality
            For ``"shared"``: None for the joint (mixture-of-experts) posterior over the modalities each
            sample has, or a modality for its unimodal posterior. Required for ``"private"``.
        indices
            Rows (positions in ``mdata.obs_names``) to return; default all.
        give_mean
            Means (default) or one posterior sample per row.
        batch_size
            Rows encoded at a time.
        mdata
            New samples (default: the training data). They may hold any subset of the registered
            modalities: the joint shared code is the mixture mean over the modalities each sample
            has, and private codes exist for those present (NaN rows otherwise). Features are
            matched by ``var_names``: their order does not matter, extra ones are ignored, missing
            ones raise a ValueError.
        seed
            Seed of the samples when ``give_mean=False``.

        Returns
        -------
        numpy.ndarray
            ``(n, n_shared)`` or ``(n, n_private)``, float32; rows of samples lacking the requested
            modality are NaN.
        """
        self._require_trained("get_latent_representation")
        if kind not in ("shared", "private"):
            raise ValueError(f"kind must be 'shared' or 'private', got {kind!r}")
        if kind == "private" and modality is None:
            raise ValueError(
                f"kind='private' needs modality= (one of {list(self.registry.modality_names())})"
            )
        m = None if modality is None else self._modality_index(modality)
        mu_z, sd_z, mu_w, sd_w, mask = self._posterior(mdata, indices, batch_size)
        rng = np.random.default_rng(seed)
        if m is None:
            if give_mean:
                return mixture_mean(mu_z, mask)
            return mixture_sample(rng, mu_z, sd_z, mask)
        mu, sd = (mu_z[m], sd_z[m]) if kind == "shared" else (mu_w[m], sd_w[m])
        out = mu if give_mean else mu + sd * rng.standard_normal(mu.shape)
        out = out.astype(np.float32)
        out[~mask[:, m]] = np.nan
        return out

    def write_embeddings(
        self,
        mdata: MuData | None = None,
        batch_size: int | None = None,
        key_prefix: str | None = None,
    ) -> None:
        """Write the shared and private embeddings into ``mdata.obsm`` (default: the training MuData).

        Keys: ``<key_prefix>_shared`` (joint), ``<key_prefix>_shared_<mod>`` and
        ``<key_prefix>_private_<mod>``, recorded in ``mdata.uns['idmvae']`` (see below). New data
        may hold a subset of the registered modalities (see :meth:`get_latent_representation`);
        the per-modality embeddings of a modality they lack are all NaN.

        Parameters
        ----------
        mdata
            Where to write (default: the training MuData); its samples are embedded.
        batch_size
            Rows encoded at a time.
        key_prefix
            Prefix of the keys. None: the prefix this model used last, at first ``"X_idmvae"``
            (``"X_mmvaeplus"`` for :class:`MMVAEPlus`). A second model on the same MuData
            overwrites the first one's embeddings unless one of them gets another prefix, e.g.
            ``model.train(key_prefix="X_idmvae_seed1")``.

        Notes
        -----
        The record ``mdata.uns['idmvae'][name]`` (``name``: the class name, or the prefix when it
        is not the class's own) holds ``model``, ``key_prefix``, the keys (``shared``,
        ``shared_modality``, ``private``) and the ``hyperparameters``;
        ``mdata.uns['idmvae']['latest']`` names the record written last. ``ov.tl`` and ``ov.pl``
        read their default keys from it.
        """
        self._require_trained("write_embeddings")
        if key_prefix is not None:
            self._obsm_prefix = check_key_prefix(key_prefix)  # kept for later calls
        target = self.mdata if mdata is None else mdata
        mu_z, _, mu_w, _, mask = self._posterior(mdata, None, batch_size)
        prefix = self._obsm_prefix
        keys = obsm_keys(prefix, self.registry.modality_names())
        target.obsm[keys["shared"]] = mixture_mean(mu_z, mask)
        for m, name in enumerate(self.registry.modality_names()):
            for key, values in (
                (keys["shared_mod"][name], mu_z[m]),
                (keys["private"][name], mu_w[m]),
            ):
                emb = values.astype(np.float32)
                emb[~mask[:, m]] = np.nan
                target.obsm[key] = emb
        record_embeddings(
            target,
            model=type(self).__name__,
            key_prefix=prefix,
            class_prefix=type(self)._obsm_prefix,
            keys=keys,
            # tuples as lists; None stays None (anndata >= 0.12 writes and reads it back)
            hyperparameters={
                k: list(v) if isinstance(v, tuple) else v for k, v in self.hyperparameters.items()
            },
        )

    @torch.no_grad()
    def impute(
        self,
        source: str | Sequence[str],
        target: str,
        *,
        indices: Sequence[int] | None = None,
        mdata: MuData | None = None,
        seed: int = 0,
        batch_size: int | None = None,
        return_numpy: bool = False,
    ) -> pd.DataFrame | np.ndarray:
        """Predict modality ``target`` from the shared latent of the ``source`` modalities.

        z is the mean of the source modalities' posterior means (over those each sample has); the
        target's private w is drawn from its prior (the diffusion prior when trained with one), so no
        information of the target itself is used. ``source=[target]`` gives self-generation.

        Parameters
        ----------
        source
            Modality or modalities whose shared code is used.
        target
            Registered modality to predict; new data passed as ``mdata`` need not hold it (impute
            protein for RNA-only cells: ``model.impute("rna", "protein", mdata=rna_only)``).
        indices
            Rows (positions in ``mdata.obs_names``) to predict; default all.
        mdata
            New samples (default: the training data) with any subset of the registered modalities
            that includes a source; features are matched by ``var_names`` (any order, extra ones
            ignored).
        seed
            Seed of the private codes drawn from the target's prior.
        batch_size
            Rows encoded at a time.
        return_numpy
            Return the bare array instead of a DataFrame.

        Returns
        -------
        pandas.DataFrame
            Decoder means, one row per sample (index: its ``obs_names``) and one column per
            feature of ``target`` (columns: the registered ``var_names``); for a categorical
            target, one column per (position, category) pair (a two-level column index) holding
            probabilities. Rows of samples that have none of the source modalities are NaN. Counts
            use the sample's observed library size when it has the target, else a typical one.
            With ``return_numpy=True``: the values as a float32 array ``(n, n_features)``
            (``(n, length, n_categories)`` for categorical).
        """
        self._require_trained("impute")
        sources = [source] if isinstance(source, str) else list(source)
        if not sources:
            raise ValueError("source must name at least one modality")
        src = [self._modality_index(s) for s in sources]
        t = self._modality_index(target)
        tensors = self._tensors(mdata)
        if not bool(tensors.mask[:, src].any()):
            found = [
                n for i, n in enumerate(self.registry.modality_names()) if tensors.mask[:, i].any()
            ]
            raise ValueError(
                f"impute: none of the source modalities {sources} is in the data (it has {found}); "
                "pass a source modality the samples have"
            )
        idx = np.arange(tensors.n_obs) if indices is None else np.asarray(indices, dtype=np.int64)
        mu_z, _, _, _, mask = self._posterior(mdata, idx, batch_size)
        sub = np.zeros_like(mask)
        sub[:, src] = mask[:, src]
        has_source = sub.any(1)
        z = mixture_mean(mu_z, sub)
        z[~has_source] = 0.0
        generator = torch.Generator(device=self.device).manual_seed(seed)
        w = self.module.sample_prior(len(idx), generator)[1][t]
        cov = self._covariates(tensors, idx)
        spec = self.registry.modalities[t]
        lib = library_rows(spec, tensors, t, idx)
        lib = None if lib is None else lib.to(self.device)
        z = torch.as_tensor(z, device=self.device)
        out = self.module.decode_mean(t, z, w, cov, lib).cpu().numpy()
        out[~has_source] = np.nan
        if return_numpy:
            return out
        return _frame(out, tensors.obs_names[idx], spec)

    def _covariates(self, tensors, idx):
        if tensors.batch_index is None:
            return None
        return self.module.covariates(tensors.batch_index[torch.as_tensor(idx)].to(self.device))

    def _batch_codes(self, batch, n: int) -> torch.Tensor | None:
        if self.registry.n_batch == 0:
            if batch is not None:
                raise ValueError("batch= was given but the model was set up without batch_key")
            return None
        cats = list(self.registry.batch_categories)
        name = cats[0] if batch is None else str(batch)
        if name not in cats:
            raise KeyError(
                f"batch {batch!r} is not a category of {self.registry.batch_key!r}: {cats}"
            )
        return torch.full((n,), cats.index(name), dtype=torch.long, device=self.device)

    @torch.no_grad()
    def generate(
        self, n_samples: int, *, seed: int = 0, batch: str | None = None, return_numpy: bool = False
    ) -> dict[str, pd.DataFrame] | dict[str, np.ndarray]:
        """Unconditional samples: z and every w_m from their (diffusion) priors, decoded to each modality.

        Parameters
        ----------
        n_samples
            Number of samples.
        seed
            Random seed.
        batch
            Covariate category to decode with (default: the first) when the model has one.
        return_numpy
            Bare arrays instead of DataFrames.

        Returns
        -------
        dict
            ``{modality: DataFrame of decoder means}``: rows ``generated_0``, ``generated_1``, ...
            (sample ``i`` is the same draw of z in every modality), columns the modality's
            registered ``var_names`` (``(position, category)`` pairs for a categorical modality).
            Counts use library sizes drawn from the log-normal fitted to the training data. With
            ``return_numpy=True``: ``{modality: array (n_samples, n_features)}``.
        """
        self._require_trained("generate")
        positive_int("n_samples", n_samples)
        self.module.eval()
        generator = torch.Generator(device=self.device).manual_seed(seed)
        z, w = self.module.sample_prior(n_samples, generator)
        cov = self.module.covariates(self._batch_codes(batch, n_samples))
        out = {}
        for m, spec in enumerate(self.registry.modalities):
            lib = draw_library(spec, n_samples, generator, self.device)
            out[spec.name] = self.module.decode_mean(m, z, w[m], cov, lib).cpu().numpy()
        if return_numpy:
            return out
        names = pd.Index([f"generated_{i}" for i in range(n_samples)])
        return {spec.name: _frame(out[spec.name], names, spec) for spec in self.registry.modalities}

    @torch.no_grad()
    def decode(
        self, z: np.ndarray, w: np.ndarray, modality: str, *, batch: str | None = None, library=None
    ) -> np.ndarray:
        """Decoder mean of ``modality`` for given latents ``z`` ``(n, n_shared)`` and ``w`` ``(n, n_private)``."""
        self._require_trained("decode")
        m = self._modality_index(modality)
        z = torch.as_tensor(np.asarray(z, dtype=np.float32), device=self.device)
        w = torch.as_tensor(np.asarray(w, dtype=np.float32), device=self.device)
        if z.ndim != 2 or z.shape[1] != self.module.n_shared:
            raise ValueError(f"z must have shape (n, {self.module.n_shared}), got {tuple(z.shape)}")
        if w.shape != (z.shape[0], self.module.n_private):
            raise ValueError(
                f"w must have shape ({z.shape[0]}, {self.module.n_private}), got {tuple(w.shape)}"
            )
        spec = self.registry.modalities[m]
        lib = None
        if likelihood_class(spec.likelihood).needs_library:
            lib = np.asarray(typical_library(spec) if library is None else library, np.float32)
            lib = torch.as_tensor(np.broadcast_to(lib, (z.shape[0],)).copy(), device=self.device)
            lib = lib[:, None]
        cov = self.module.covariates(self._batch_codes(batch, z.shape[0]))
        self.module.eval()
        return self.module.decode_mean(m, z, w, cov, lib).cpu().numpy()

    @torch.no_grad()
    def get_reconstruction_error(
        self,
        mdata: MuData | None = None,
        indices: Sequence[int] | None = None,
        batch_size: int | None = None,
    ) -> dict[str, float]:
        """Mean negative log-likelihood per sample of each modality reconstructed from its own posterior means."""
        self._require_trained("get_reconstruction_error")
        totals = np.zeros(self.module.n_mod)
        counts = np.zeros(self.module.n_mod)
        for batch, xs, cov, post in iter_posteriors(self, mdata, indices, batch_size):
            for m, lik in enumerate(self.module.likelihoods):
                present = batch["mask"][:, m].to(self.device)
                lib = batch["library"][m]
                out = self.module.decode(m, post.mu_z[m], post.mu_w[m], cov)
                lp = lik.log_prob(xs[m], out, None if lib is None else lib.to(self.device))
                totals[m] -= float(lp[present].sum())
                counts[m] += float(present.sum())
        return {
            name: (totals[m] / counts[m] if counts[m] else float("nan"))
            for m, name in enumerate(self.registry.modality_names())
        }

    # ------------------------------------------------------------------ persistence
    def save(self, dir_path: str | Path, overwrite: bool = False, save_mdata: bool = False) -> None:
        """Save weights, hyper-parameters, the registry (with var_names) and history to ``dir_path``."""
        _io.save(self, Path(dir_path), overwrite=overwrite, save_mdata=save_mdata)

    @classmethod
    def load(cls, dir_path: str | Path, mdata: MuData | None = None) -> IDMVAE:
        """Load a saved model onto ``mdata`` (default: the MuData saved with it); features must match."""
        return _io.load(cls, Path(dir_path), mdata)


def _append_history(
    old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """The history of earlier runs with a new run's epochs appended (its epoch index shifted on)."""
    if not old:
        return new
    offset = 1 + max((int(f.index.max()) for f in old.values() if len(f)), default=-1)
    shifted = {k: f.set_axis(pd.Index(f.index + offset, name="epoch")) for k, f in new.items()}
    return {
        term: pd.concat([runs[term] for runs in (old, shifted) if term in runs])
        for term in dict.fromkeys([*old, *new])
    }


def _frame(values: np.ndarray, obs_names, spec) -> pd.DataFrame:
    """Decoder means of one modality as a DataFrame named by samples and registered features."""
    index = pd.Index([str(v) for v in obs_names])
    if values.ndim == 3:  # categorical: (n, length, n_categories) -> one column per pair
        columns = pd.MultiIndex.from_product(
            [list(spec.var_names), range(values.shape[2])], names=["feature", "category"]
        )
        return pd.DataFrame(values.reshape(values.shape[0], -1), index=index, columns=columns)
    return pd.DataFrame(values, index=index, columns=pd.Index(spec.var_names))


def _observed_chunks(tensors, indices, m: int, chunk: int = 4096):
    """Rows ``indices`` of modality ``m`` that are observed, in dense chunks."""
    rows = torch.as_tensor(indices, dtype=torch.long)
    rows = rows[tensors.mask[rows, m]]
    for start in range(0, len(rows), chunk):
        yield tensors.rows(m, rows[start : start + chunk])
