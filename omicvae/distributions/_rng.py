"""Reproducible draws from torch/pyro distributions, whose ``sample()`` takes no generator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def rng_from(generator: torch.Generator | None, device: torch.device) -> Iterator[None]:
    """Within the block, the default RNG of ``device`` is seeded from ``generator``.

    The global RNG state of ``device`` (and of the CPU) is saved before and restored after, so a
    draw with a generator is reproducible from that generator and leaves the global RNG untouched;
    the generator advances by one draw. Without a generator the block uses the global RNG as is.

    Parameters
    ----------
    generator
        Source of the seed, or None.
    device
        Device whose default generator the distribution's sampler uses.
    """
    if generator is None:
        yield
        return
    seed = int(torch.randint(0, 2**62, (), generator=generator, device=generator.device))
    device = torch.device(device)
    if device.type == "cpu":
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(seed)
            yield
        return
    module = torch.get_device_module(device.type)
    index = device.index if device.index is not None else module.current_device()
    with torch.random.fork_rng(devices=[index], device_type=device.type):
        with module.device(index):
            module.manual_seed(seed)
        yield
