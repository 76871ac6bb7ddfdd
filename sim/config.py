"""Scenario configuration: load TOML, apply dotted overrides, validate, report errors.

A config is data: the funding arrangement (who commissions what, what the pool pays for,
which services get a joint assessment and a coordinator decision) is set by fields of the
schema in :mod:`sim.schema`, never by a code branch (field sources and bounds:
docs/PARAMETERS.md). Errors are reported as one line per problem naming the file (or the
``--set`` that caused it), the dotted field, the bad value and what is allowed (see
:func:`format_errors`). :func:`schema_text` prints every field as TOML a user can copy.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, get_origin

from pydantic import BaseModel, ValidationError

from .schema import Scenario


class ConfigError(Exception):
    """A user mistake in a config: carries one message line per problem."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def format_errors(err: ValidationError, source: str, overrides: dict[str, Any] | None = None,
                  label: str = "--set") -> list[str]:
    """One line per problem: source, dotted field, bad value, what is allowed.

    A problem at (or under) a key given in ``overrides`` is blamed on ``{label} key=value``
    instead of ``source``: the file is not at fault for a bad ``--set``.
    """
    lines = []
    for e in err.errors():
        loc = section = _dotted(e["loc"])
        loc = loc or "(top level)"
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
        origin = _origin(loc, section, source, overrides or {}, label)
        lines.append(f"{origin}: {loc} = {shown}: {msg}")
    return lines


def _dotted(loc: tuple) -> str:
    """A pydantic error location as a dotted path with list indices: ``a.b[1][0]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _origin(loc: str, section: str, source: str, overrides: dict[str, Any], label: str) -> str:
    """Who set the bad value: the override whose key holds ``loc``, else the source.

    A problem found by a section's check (``section``: where pydantic reported it) that
    involves overridden keys of that section names them after the source.
    """
    for key, value in overrides.items():
        if loc == key or loc.startswith((key + ".", key + "[")):
            return f"{label} {key}={toml_value(value)}"
    below = [f"{label} {key}={toml_value(value)}" for key, value in overrides.items()
             if key.startswith(loc + ".") or (section and key.startswith(section + "."))]
    return f"{source} with {', '.join(below)}" if below else source


def _set_dotted(data: dict, dotted: str, value: Any, label: str) -> None:
    keys = dotted.split(".")
    fields = _scenario_fields()
    node = data
    for i, k in enumerate(keys[:-1]):
        field = fields.get(".".join(keys[:i + 1]))
        # an entry of a table field (funding.commissioner.home_care) keeps the other entries
        child = node.setdefault(k, dict(field.default) if field and isinstance(
            field.default, dict) else {})
        if not isinstance(child, dict) or (field and get_origin(field.annotation) is not dict):
            line = f"{label} {dotted}={toml_value(value)}: '{k}' is a value, not a section"
            raise ConfigError([line])
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


def build(data: dict, source: str = "config", overrides: dict[str, Any] | None = None,
          label: str | None = None) -> Scenario:
    """Validate a raw dict (plus dotted overrides) into a Scenario, or raise ConfigError.

    With a ``label`` (e.g. ``"--set"``) a problem with an overridden key is reported as
    ``--set key=value: ...``; without one, every problem is reported against ``source``.
    """
    data = _deep_copy(data)
    overrides = overrides or {}
    for dotted, value in overrides.items():
        _set_dotted(data, dotted, value, label or f"{source}: override")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_errors(err, source, overrides if label else None,
                                        label or "")) from None


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
            names = ", ".join(shipped_config_names())
            raise ConfigError([f"{path}: file not found (shipped configs: {names})"])
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
    overrides : ``{"acute.beds": 400}`` style dotted overrides, validated like the file; a
        problem with one is reported as ``--set acute.beds=400: ...`` (what the CLI passes).
    """
    overrides = dict(overrides or {})
    overrides.update({k.replace("__", "."): v for k, v in dotted.items()})
    data = read_toml(path)
    data.setdefault("name", DEFAULT_CONFIG if str(path) == "default" else Path(str(path)).stem)
    return build(data, str(path), overrides, label="--set")


def with_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A re-validated copy of a scenario with dotted overrides applied."""
    return build(scenario.model_dump(mode="python"), scenario.name, overrides)


@functools.cache
def _scenario_fields() -> dict[str, Any]:
    """Scenario leaf fields by dotted path (the schema is fixed at import: computed once)."""
    return dict(leaf_fields())


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


def evidence_ranges() -> dict[str, tuple[float, float]]:
    """Effect fields and their evidence ranges as (weakest, strongest) effect, by dotted path
    (fields declared with ``field(..., evidence=...)``)."""
    out = {}
    for path, info in leaf_fields():
        ends = (info.json_schema_extra or {}).get("evidence")
        if ends:
            out[path] = (ends[0], ends[1])
    return out


def _section_title(dotted: str) -> str:
    """The description of a (nested) section, e.g. 'LA/pool rationing rule.'."""
    model, info = Scenario, None
    for name in dotted.split("."):
        info = model.model_fields[name]
        model = info.annotation
    return info.description or ""


def toml_value(value: Any) -> str:
    """A Python value (number, string, date, list or dict of them) written as a TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # TOML spells inf and nan as Python does
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON escapes are valid TOML escapes
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{_toml_key(str(k))} = {toml_value(v)}" for k, v in value.items()]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"no TOML form for {value!r}")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def schema_text() -> str:
    """Every field as ``dotted.path = default`` TOML, its description in a comment above.

    Grouped by section; the text parses as a config equal to the schema defaults, so lines can
    be copied into a config. A field unset by default (TOML has no null) is shown commented out
    with an example value.
    """
    lines = ["# caresim config fields: `dotted.path = default`, grouped by section.",
             "# Copy a line into a config and change its value; sources: docs/PARAMETERS.md."]
    section = None
    for path, info in leaf_fields():
        head = path.rsplit(".", 1)[0] if "." in path else ""
        if head != section:
            section = head
            lines += ["", f"# [{head}] {_section_title(head)}" if head else "# scenario"]
        ends = (info.json_schema_extra or {}).get("evidence")
        if ends:
            lines.append(f"# EFFECT field (evidence decides it; no arrangement changes it): "
                         f"{toml_value(ends[0])} weakest to {toml_value(ends[1])} strongest")
        lines.append(f"# {info.description}")
        if info.default is None:
            example = (info.json_schema_extra or {}).get("probe")
            lines.append(f"# {path} = {toml_value(example)}  (unset by default; example value)")
        else:
            lines.append(f"{path} = {toml_value(info.get_default(call_default_factory=True))}")
    return "\n".join(lines) + "\n"


def config_text(config: Scenario, header: list[str], notes: dict[str, str],
                fallback_note: str | None = None, label: str = "config") -> str:
    """A config as TOML for a person to read: ``header`` lines as comments, then every field
    that differs from the schema's default or has a note in ``notes``, each with its note (or
    ``fallback_note``) as a comment; checked to load back as exactly ``config``. Written by
    ``caresim place build`` and ``caresim calibrate``."""
    def value_at(model, path):
        for part in path.split("."):
            model = getattr(model, part)
        return model

    defaults = Scenario()
    lines = [f"# {line}" for line in header]
    lines += [f"name = {toml_value(config.name)}",
              f"description = {toml_value(config.description)}"]
    table = None
    for path, _ in leaf_fields():
        if path in ("name", "description"):
            continue
        value = value_at(config, path)
        if path not in notes and value == value_at(defaults, path):
            continue
        head, _, key = path.rpartition(".")
        if head != table:
            lines += ["", f"[{head}]"]
            table = head
        note = notes.get(path, fallback_note)
        lines.append(f"{key} = {toml_value(value)}" + (f"  # {note}" if note else ""))
    text = "\n".join(lines) + "\n"
    if build(tomllib.loads(text), label).model_dump() != config.model_dump():
        raise RuntimeError(f"{label}: the written config does not load as the one it was given")
    return text
