"""The model options of the command line, generated from the configuration's fields.

Every field of :class:`omicvae._config.IDMVAEConfig` becomes one option named after it
(``n_shared`` -> ``--n-shared``) with the field's help text, its package default shown in the help,
and the field's own check; a boolean becomes one switch that sets the opposite of its default
(``--no-diffusion``, ``--raw-inputs``). ``--preset`` starts from a named setting. Nothing here
imports torch.
"""

from __future__ import annotations

import argparse

from .._config import DEFAULT_CONFIG, FIELD_GROUP, PRESETS, preset_config, setting_fields
from ._specs import UsageError, parse_pairs


def option_name(setting: str) -> str:
    """``n_shared`` -> ``--n-shared`` (a boolean's switch is named in its field's metadata)."""
    flags = {f.name: f.metadata["cli"].get("flag") for f in setting_fields()}
    return flags.get(setting) or "--" + setting.replace("_", "-")


def _shown(value) -> str:
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, float):
        return format(value, "g")
    return "none" if value is None else str(value)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--preset`` and one option per configuration field to ``parser``.

    Every option defaults to ``None`` (not given), so :func:`model_settings` can tell the settings
    given from those left to the preset or the package defaults.
    """
    group = parser.add_argument_group(
        "model (package defaults in brackets; --preset paper_tcga for the published TCGA setting)"
    )
    group.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default=None,
        help="start from a named setting instead of the package defaults; the options below "
        "change it",
    )
    defaults = DEFAULT_CONFIG.to_flat()
    for f in setting_fields():
        cli, default = f.metadata["cli"], defaults[f.name]
        help_text = f"{f.metadata['help']} [{_shown(default)}]"
        if "flag" in cli:
            help_text = cli.get("flag_help", f.metadata["help"])
            kwargs = dict(action="store_const", const=not default, help=help_text)
        elif "pairs" in cli:
            kwargs = dict(
                action="append", metavar=cli["pairs"], help=f"{f.metadata['help']}; repeatable"
            )
        elif isinstance(default, tuple):
            kwargs = dict(nargs="+", type=int, metavar=cli.get("metavar", "N"), help=help_text)
        else:
            kwargs = dict(
                type=type(default),
                metavar=cli.get("metavar", "N" if isinstance(default, int) else None),
                choices=cli.get("choices"),
                help=help_text,
            )
        group.add_argument(option_name(f.name), dest=f.name, default=None, **kwargs)


def _scales(values: list[str], option: str) -> dict[str, float]:
    scales = {}
    for name, raw in parse_pairs(values, option, "SCALE").items():
        try:
            scales[name] = float(raw)
        except ValueError:
            raise UsageError(f"{option} {name}={raw}: the scale must be a number") from None
    return scales


def model_settings(args: argparse.Namespace) -> dict:
    """Every model setting for ``IDMVAE(mdata, **settings)``: the preset with the options given.

    Raises
    ------
    UsageError
        A value its field's check refuses (the message names the option), or settings that do not
        go together.
    """
    given = {}
    for f in setting_fields():
        value = getattr(args, f.name, None)
        if value is None:
            continue
        option = option_name(f.name)
        if "pairs" in f.metadata["cli"]:
            value = _scales(value, option)
        try:
            given[f.name] = f.metadata["check"](option, value)
        except (TypeError, ValueError) as err:
            raise UsageError(str(err)) from None
    try:
        config = preset_config(args.preset).replace(**given)
    except (TypeError, ValueError) as err:
        raise UsageError(f"{err} ({_options_of(str(err))})") from None
    return config.to_flat()


def _options_of(message: str) -> str:
    """The options of the settings a message names: ``diffusion_weight is --diffusion-weight``."""
    named = [name for name in FIELD_GROUP if name in message]
    return "; ".join(f"{name} is {option_name(name)}" for name in named)
