"""Fully connected building blocks."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
}


def activation(name: str) -> nn.Module:
    """Return a fresh activation module by name."""
    try:
        return _ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; expected one of {sorted(_ACTIVATIONS)}"
        ) from None


class MLP(nn.Sequential):
    """Stack of ``Linear -> [LayerNorm] -> activation -> [Dropout]`` layers.

    Parameters
    ----------
    n_in
        Input width.
    hidden
        Widths of the hidden layers; the output width is ``hidden[-1]`` (``n_in`` when empty).
    activation_name
        Name of the activation.
    dropout
        Dropout rate after each activation.
    layer_norm
        Whether to normalise each hidden layer.
    """

    def __init__(
        self,
        n_in: int,
        hidden: Sequence[int],
        *,
        activation_name: str = "relu",
        dropout: float = 0.0,
        layer_norm: bool = False,
    ):
        layers: list[nn.Module] = []
        width = n_in
        for n_out in hidden:
            layers.append(nn.Linear(width, n_out))
            if layer_norm:
                layers.append(nn.LayerNorm(n_out))
            layers.append(activation(activation_name))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = n_out
        super().__init__(*layers)
        self.n_out = width
