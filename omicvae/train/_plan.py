"""The Lightning module that trains an :class:`~omicvae.module.IDMVAEModule`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import lightning.pytorch as pl
import torch

from ..module import IDMVAEModule, LossOutput


class NonFiniteLossError(FloatingPointError):
    """A loss term became NaN or infinite; the message names the first such term."""


def _fused_adam_supported(params) -> bool:
    """Whether ``torch.optim.Adam(fused=True)`` accepts these parameters (CPU, CUDA, floating point)."""
    return all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in params)


class TrainingPlan(pl.LightningModule):
    """Optimises the IDMVAE objective with Adam and logs every loss term per epoch.

    Parameters
    ----------
    module
        The torch module.
    lr
        Adam learning rate (5e-4 in the published TCGA runs).
    weight_decay
        Adam weight decay.
    amsgrad
        Use the AMSGrad variant.
    compile
        Run the training loss through :func:`torch.compile` (validation stays eager). The same
        computation with fused kernels: the first steps take minutes to compile (once per batch
        shape), so it pays off on long runs only. Its random draws come from inductor's own
        stream, not eager's: the same seed gives a different (equally valid) run.
    weight_schedule
        ``{term: epoch -> weight}``: at the start of every training epoch the module's
        ``weights[term]`` is set to the value for that epoch (a warm-up of ``beta``, a term switched
        on later). Terms not named keep the weights of the configuration.

    Notes
    -----
    The loss terms are summed on the device during an epoch (weighted by batch size) and handed to
    ``self.log`` once per epoch: the same batch-size-weighted epoch means as per-step logging,
    which made a TCGA epoch ~7% slower. Adam uses the fused implementation where the parameters
    allow it (same update rule, one kernel instead of one per parameter and operation).
    """

    def __init__(
        self,
        module: IDMVAEModule,
        *,
        lr: float = 5e-4,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        compile: bool = False,
        weight_schedule: Mapping[str, Callable[[int], float]] | None = None,
    ):
        super().__init__()
        self.module = module
        unknown = set(weight_schedule or {}) - set(module.weights)
        if unknown:
            raise KeyError(
                f"weight_schedule names {sorted(unknown)}, which are not loss weights of the "
                f"module ({sorted(module.weights)})"
            )
        self.weight_schedule = dict(weight_schedule or {})
        self.lr, self.weight_decay, self.amsgrad = lr, weight_decay, amsgrad
        self._train_loss_fn = torch.compile(module.loss) if compile else module.loss
        # per prefix: the batch-size-weighted sums of the epoch so far and their sample count
        self._epoch: dict[str, tuple[dict[str, torch.Tensor], int]] = {}

    def _step(self, batch, prefix: str) -> torch.Tensor:
        loss = self._train_loss_fn if prefix == "train" else self.module.loss
        out: LossOutput = loss(batch)
        self._raise_if_not_finite(out, prefix)
        n = int(batch["mask"].shape[0])
        sums, count = self._epoch.get(prefix, ({}, 0))
        with torch.no_grad():
            for name, value in {"loss": out.loss, **out.terms}.items():
                weighted = value.detach() * n
                sums[name] = weighted if name not in sums else sums[name] + weighted
        self._epoch[prefix] = (sums, count + n)
        return out.loss

    def _log_epoch(self, prefix: str) -> None:
        sums, count = self._epoch.pop(prefix, ({}, 0))
        if not count:
            return
        sync = self.trainer.world_size > 1
        for name, total in sums.items():
            self.log(
                f"{prefix}_{name}",
                total / count,
                on_step=False,
                on_epoch=True,
                batch_size=count,
                sync_dist=sync,
            )

    def _raise_if_not_finite(self, out: LossOutput, prefix: str) -> None:
        if bool(torch.isfinite(out.loss)):
            return
        values = {k: float(v.detach()) for k, v in out.terms.items()}
        bad = next((k for k, v in values.items() if not math.isfinite(v)), "loss")
        raise NonFiniteLossError(
            f"{prefix} loss term {bad!r} became {values.get(bad, float(out.loss.detach()))} at epoch "
            f"{self.current_epoch}, step {self.global_step}; terms: "
            + ", ".join(f"{k}={v:.4g}" for k, v in values.items())
            + ". Lower the learning rate, check the likelihoods fit the data, or scale the inputs."
        )

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "validation")

    def on_train_epoch_start(self) -> None:
        for term, weight_at in self.weight_schedule.items():
            self.module.weights[term] = float(weight_at(self.current_epoch))
        self._epoch.pop("train", None)

    def on_train_epoch_end(self) -> None:
        # runs before monitoring callbacks (early stopping on train_loss sees this epoch's value)
        self._log_epoch("train")

    def on_validation_epoch_start(self) -> None:
        self._epoch.pop("validation", None)

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("validation")

    def configure_optimizers(self):
        params = list(self.parameters())
        fused = True if _fused_adam_supported(params) else None
        return torch.optim.Adam(
            params, lr=self.lr, weight_decay=self.weight_decay, amsgrad=self.amsgrad, fused=fused
        )
