"""Scenario configuration: load TOML, apply dotted overrides, validate, report errors.

A config is data: the funding arrangement (who commissions what, what the pool pays for,
which services get a joint assessment and a coordinator decision) is set by fields of the
schema in :mod:`sim.schema`, never by a code branch. Errors are reported as one line per
problem naming the file, the dotted field, the bad value and what is allowed (see
:func:`format_errors`).
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .schema import (  # noqa: F401 - the schema's public names are part of sim.config
    AGE_BANDS,
    FRAILTY_LEVELS,
    SERVICES,
    Scenario,
)


class ConfigError(Exception):
    """A user mistake in a config: carries one message line per problem."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def format_errors(err: ValidationError, source: str) -> list[str]:
    """One line per problem: source, dotted field, bad value, what is allowed."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        value = e.get("input")
        msg = e["msg"].removeprefix("Value error, ")
        named = re.match(r"(\w+)(?:\[(\d+)\])?", msg)
        if isinstance(value, dict) and named and named.group(1) in value:
            # a section validator whose message starts with a field name: point at that field
            loc = f"{loc}.{named.group(0)}" if e["loc"] else named.group(0)
            value = value[named.group(1)]
            if named.group(2) and isinstance(value, list) and int(named.group(2)) < len(value):
                value = value[int(named.group(2))]
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        if e["type"] == "extra_forbidden":
            msg = "unknown field (check spelling; `caresim validate --schema` lists fields)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        lines.append(f"{source}: {loc} = {shown}: {msg}")
    return lines


def _set_dotted(data: dict, dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = data
    for k in keys[:-1]:
        child = node.setdefault(k, {})
        if not isinstance(child, dict):
            raise ConfigError([f"--set {dotted}: '{k}' is a value, not a section"])
        node = child
    node[keys[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``dotted.key=value``; the value is read as a TOML value, else as a string."""
    if "=" not in text:
        raise ConfigError([f"--set {text!r}: expected dotted.key=value"])
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError([f"--set {text!r}: expected dotted.key=value (the key is empty)"])
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def build(data: dict, source: str = "config", overrides: dict[str, Any] | None = None) -> Scenario:
    """Validate a raw dict (plus dotted overrides) into a Scenario, or raise ConfigError."""
    data = _deep_copy(data)
    for dotted, value in (overrides or {}).items():
        _set_dotted(data, dotted, value)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_errors(err, source)) from None


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data


def read_toml(path: str | Path) -> dict:
    """Read a TOML file, turning file and syntax problems into a ConfigError."""
    path = Path(path)
    if not path.exists():
        shipped = shipped_config_path(str(path))
        if shipped is None:
            raise ConfigError([f"{path}: file not found (shipped configs: "
                               f"{', '.join(shipped_config_names())})"])
        path = shipped
    if path.is_dir():
        raise ConfigError([f"{path}: is a folder, expected a .toml file"])
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([f"{path}: not valid TOML: {err}"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError([f"{path}: cannot read: {err}"]) from None


def shipped_config_names() -> list[str]:
    """Names of the configs shipped inside the package (e.g. 'fragmented', 'theory/mmc_acute')."""
    root = resources.files("sim.configs")
    names = [p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml")]
    names += ["theory/" + p.name[:-5] for p in root.joinpath("theory").iterdir()
              if p.name.endswith(".toml")]
    return sorted(names)


DEFAULT_CONFIG = "fragmented"


def shipped_config_path(name: str) -> Path | None:
    """Path of a shipped config given its name ('pooled', 'configs/pooled.toml', ...).

    ``default`` names the embedded default config: today's fragmented arrangement.
    """
    stem = name.removesuffix(".toml").removeprefix("configs/")
    if stem == "default":
        stem = DEFAULT_CONFIG
    if stem not in shipped_config_names():
        return None
    return Path(str(resources.files("sim.configs").joinpath(stem + ".toml")))


def load_config(path: str | Path = "default", overrides: dict[str, Any] | None = None,
                **dotted: Any) -> Scenario:
    """Load and validate a config file (or a shipped config by name).

    Parameters
    ----------
    path : file path or shipped name ("default", "fragmented", "pooled", "theory/mmc_acute").
    overrides : ``{"acute.beds": 400}`` style dotted overrides, validated like the file.
    """
    overrides = dict(overrides or {})
    overrides.update({k.replace("__", "."): v for k, v in dotted.items()})
    data = read_toml(path)
    data.setdefault("name", DEFAULT_CONFIG if str(path) == "default" else Path(str(path)).stem)
    return build(data, str(path), overrides)


def with_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A re-validated copy of a scenario with dotted overrides applied."""
    return build(scenario.model_dump(mode="python"), scenario.name, overrides)


def leaf_fields(model: type[BaseModel] = Scenario, prefix: str = "") -> list[tuple[str, Any]]:
    """All leaf fields as (dotted path, FieldInfo), walking nested sections."""
    out = []
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += leaf_fields(ann, f"{prefix}{name}.")
        else:
            out.append((prefix + name, info))
    return out


def schema_text() -> str:
    """Human-readable list of every field, its default and description."""
    lines = []
    for path, info in leaf_fields():
        lines.append(f"{path} (default {info.default!r}): {info.description}")
    return "\n".join(lines)
