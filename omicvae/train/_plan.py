"""The Lightning module that trains an :class:`~omicvae.module.IDMVAEModule`."""

from __future__ import annotations

import lightning.pytorch as pl
import torch

from ..module import IDMVAEModule, LossOutput


class NonFiniteLossError(FloatingPointError):
    """A loss term became NaN or infinite; the message names the first such term."""


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
    """

    def __init__(self, module: IDMVAEModule, *, lr: float = 5e-4, weight_decay: float = 0.0, amsgrad: bool = False):
        super().__init__()
        self.module = module
        self.lr, self.weight_decay, self.amsgrad = lr, weight_decay, amsgrad

    def _step(self, batch, prefix: str) -> torch.Tensor:
        out: LossOutput = self.module.loss(batch)
        self._raise_if_not_finite(out, prefix)
        n = int(batch["mask"].shape[0])
        sync = self.trainer.world_size > 1
        for name, value in {"loss": out.loss, **out.terms}.items():
            self.log(f"{prefix}_{name}", value.detach(), on_step=False, on_epoch=True, batch_size=n, sync_dist=sync)
        return out.loss

    def _raise_if_not_finite(self, out: LossOutput, prefix: str) -> None:
        if bool(torch.isfinite(out.loss)):
            return
        bad = next((k for k, v in out.terms.items() if not bool(torch.isfinite(v))), "loss")
        raise NonFiniteLossError(
            f"{prefix} loss term {bad!r} became {float(out.terms.get(bad, out.loss))} at epoch "
            f"{self.current_epoch}, step {self.global_step}; terms: "
            + ", ".join(f"{k}={float(v):.4g}" for k, v in out.terms.items())
            + ". Lower the learning rate, check the likelihoods fit the data, or scale the inputs."
        )

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "validation")

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr, weight_decay=self.weight_decay, amsgrad=self.amsgrad)
