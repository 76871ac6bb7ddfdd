"""Config-level bad input: one line per problem naming the field (or the ``--set``), the value
and what is allowed, exit code 2, never a traceback (issue 10, "Tracebacks").

The invalid values are generated from the schema itself: every number (scalar, list entry,
nested section) gets inf, -inf and nan, and every bound gets a value just outside it, so a new
field is covered without editing this file. Each case goes through ``caresim validate`` with
the value in a config file and through ``caresim run --set`` (which must fail before running).
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
import types
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from pydantic.fields import FieldInfo

from sim import cli
from sim.config import (
    ConfigError,
    Scenario,
    leaf_fields,
    load_config,
    schema_text,
    toml_value,
    with_overrides,
)

#: If a bad value were wrongly accepted, `run` would simulate this tiny place (seconds, not
#: minutes) and the test would fail on the exit code.
SMALL = ["--set", "population.size=500", "--set", "run.years=0.05", "--set", "run.warmup_days=0",
         "--set", "population.entrants_per_year=30", "--set", "run.replications=1"]


@dataclass(frozen=True)
class Slot:
    """One number of the schema: a scalar field or an entry of a list field."""

    path: str              # dotted field
    index: tuple           # list indices inside the field's value; () for a scalar
    kind: type             # int or float
    lower: tuple | None    # ("ge" | "gt", bound)
    upper: tuple | None    # ("le" | "lt", bound)

    @property
    def where(self) -> str:
        """How error lines name the number: ``a.b`` or ``a.b[0][0]``."""
        return self.path + "".join(f"[{i}]" for i in self.index)

    def field_value(self, bad: Any) -> Any:
        """The whole field's value: its default with this number replaced by ``bad``."""
        if not self.index:
            return bad
        value = copy.deepcopy(dict(leaf_fields())[self.path].default)
        node = value
        for i in self.index[:-1]:
            node = node[i]
        node[self.index[-1]] = bad
        return value


def _bounds(meta: list) -> tuple[tuple | None, tuple | None]:
    lower = upper = None
    for m in meta:
        for name in ("ge", "gt"):
            if getattr(m, name, None) is not None:
                lower = (name, getattr(m, name))
        for name in ("le", "lt"):
            if getattr(m, name, None) is not None:
                upper = (name, getattr(m, name))
    return lower, upper


def _walk(path: str, ann: Any, meta: list, index: tuple, default: Any) -> list[Slot]:
    origin = get_origin(ann)
    if origin is Annotated:
        base, *extra = get_args(ann)
        more = [m for e in extra for m in (e.metadata if isinstance(e, FieldInfo) else [e])]
        return _walk(path, base, meta + more, index, default)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(ann) if a is not type(None)]
        return _walk(path, args[0], meta, index, default) if len(args) == 1 else []
    if origin is list:
        if not default:
            return []
        return _walk(path, get_args(ann)[0], [], (*index, 0), default[0])
    if ann in (int, float):
        return [Slot(path, index, ann, *_bounds(meta))]
    return []


def numeric_slots() -> list[Slot]:
    """Every number of the schema (the first entry of each list, at every nesting depth)."""
    out = []
    for path, info in leaf_fields():
        out += _walk(path, info.annotation, list(info.metadata), (), info.default)
    return out


SLOTS = numeric_slots()


def _outside(slot: Slot, side: Literal["lower", "upper"]) -> int | float:
    """A value just outside a bound, of the field's own type."""
    op, bound = getattr(slot, side)
    if op in ("gt", "lt"):
        return bound
    step = 1 if slot.kind is int else (abs(bound) / 2 if bound else 0.5)
    value = bound - step if side == "lower" else bound + step
    return int(value) if slot.kind is int else float(value)


def _bad_values(slot: Slot) -> list[tuple[Any, str]]:
    """(bad value, words the message must contain): inf, -inf, nan and each side's bound."""
    out = [(bad, "finite number") for bad in (float("inf"), float("-inf"), float("nan"))]
    for side, words in (("lower", "greater than"), ("upper", "less than")):
        if getattr(slot, side) is not None:
            out.append((_outside(slot, side), words))
    return out


#: number -> its bad values; every one is tried through `validate` (a file per value, one
#: call per number). `run --set` takes one per number, in turn (its point is the --set's name).
CASES = {slot.where: (slot, _bad_values(slot)) for slot in SLOTS}


def _check_one_line(code: int, captured, *parts: str) -> str:
    text = captured.out + captured.err
    assert code == 2, text
    assert "Traceback" not in text
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


@pytest.mark.parametrize("where", list(CASES))
def test_bad_numbers_in_config_files_give_one_line_each(where, tmp_path, capsys):
    slot, bad_values = CASES[where]
    paths = []
    for i, (bad, _) in enumerate(bad_values):
        paths.append(tmp_path / f"place{i}.toml")
        paths[-1].write_text(f"{slot.path} = {toml_value(slot.field_value(bad))}\n")
    code = cli.main(["validate", *map(str, paths)])
    captured = capsys.readouterr()
    assert code == 2 and not captured.out
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == len(paths), lines
    for path, (bad, words), line in zip(paths, bad_values, lines):
        assert line.startswith(f"{path}: {slot.where} = {bad!r}: ") and words in line, line


@pytest.mark.parametrize("where", list(CASES))
def test_bad_number_in_a_set_gives_one_line_naming_the_set(where, tmp_path, monkeypatch, capsys):
    slot, bad_values = CASES[where]
    bad, words = bad_values[SLOTS.index(slot) % len(bad_values)]
    monkeypatch.chdir(tmp_path)
    setting = f"{slot.path}={toml_value(slot.field_value(bad))}"
    code = cli.main(["run", "fragmented", *SMALL, "--set", setting, "--quiet",
                     "--out", str(tmp_path / "out")])
    line = _check_one_line(code, capsys.readouterr(), f"{slot.where} = {bad!r}", words)
    assert line.startswith(f"--set {setting}: ")
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()


def test_the_corpus_covers_scalars_list_entries_nested_sections_and_every_bound():
    where = {s.where for s in SLOTS}
    assert {"crisis.rate_per_person_year", "population.entrants_per_year",
            "costs.acute_bed_day_gbp", "acute.beds", "run.years"} <= where
    assert "population.band_shares[0]" in where                       # a list entry
    assert "pathways.split_by_frailty[0][0]" in where                 # a list of lists
    assert "budgets.rationing.trigger_ratio" in where                 # a nested section
    assert "funding.pool.nhs_contribution_share" in where             # optional, unset
    floats = [p for p, info in leaf_fields() if float in (info.annotation, *get_args(
        info.annotation))]
    assert floats and set(floats) <= {s.path for s in SLOTS}
    unbounded = [s.where for s in SLOTS if s.upper is None]
    assert not unbounded, f"numbers without an upper bound: {unbounded}"


def test_every_upper_bound_is_stated_in_the_field_description():
    def shown(x: float) -> str:
        return f"{int(x):,}" if x == int(x) else f"{x:,}"
    missing = []
    for slot in SLOTS:
        bound = slot.upper[1]
        description = dict(leaf_fields())[slot.path].description
        if bound != 1 and shown(bound) not in description:
            missing.append(f"{slot.path}: {shown(bound)}")
    assert not missing


#: Named cases from issue 10 and the common mistakes, as (TOML value of the field, words).
NAMED = {
    "acute.beds": ("1e9", ["acute.beds = 1000000000.0", "less than or equal to 50000"]),
    "run.years": ("7000", ["run.years = 7000", "less than or equal to 50"]),
    "population.size": ("1e9", ["population.size = 1000000000.0", "5000000"]),
    "population.entrants_per_year": ("inf", ["population.entrants_per_year = inf", "finite"]),
    "crisis.rate_per_person_year": ("inf", ["crisis.rate_per_person_year = inf", "finite"]),
    "costs.acute_bed_day_gbp": ("inf", ["costs.acute_bed_day_gbp = inf", "finite"]),
    "care_homes.beds": ('"many"', ["care_homes.beds = 'many'", "valid integer"]),
    "run.start_date": ('"soon"', ["run.start_date = 'soon'", "valid date"]),
    "acute.los_distribution": ('"gamma"', ["acute.los_distribution = 'gamma'", "'lognormal'"]),
    "acute.bedz": ("3", ["acute.bedz = 3", "unknown field"]),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("key", list(NAMED))
def test_issue_cases_give_one_line_naming_the_field_and_the_value(key, command, tmp_path,
                                                                   monkeypatch, capsys):
    value, words = NAMED[key]
    monkeypatch.chdir(tmp_path)
    if command == "validate":
        (tmp_path / "place.toml").write_text(f"{key} = {value}\n")
        code = cli.main(["validate", "place.toml"])
        line = _check_one_line(code, capsys.readouterr(), *words)
        assert line.startswith("place.toml: ")
    else:
        code = cli.main(["run", "fragmented", *SMALL, "--set", f"{key}={value}", "--quiet"])
        line = _check_one_line(code, capsys.readouterr(), *words)
        assert line.startswith(f"--set {key}=")
        assert not (tmp_path / "results").exists()


def test_each_bad_set_gets_its_own_line_and_the_file_is_not_blamed(capsys):
    code = cli.main(["validate", "fragmented", "--set", "acute.beds=-5",
                     "--set", "crisis.winter_uplift=nan", "--set", "run.years=0.0001"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 3
    assert {line.split(":", 1)[0] for line in lines} == {
        "--set acute.beds=-5", "--set crisis.winter_uplift=nan", "--set run.years=0.0001"}
    assert not any(line.startswith("fragmented") for line in lines)


def test_a_section_check_broken_by_a_set_names_the_file_and_the_set():
    with pytest.raises(ConfigError) as err:
        load_config("fragmented", overrides={"mortality.care_home_los_median_days": 900.0})
    [line] = err.value.lines
    assert line.startswith("fragmented with --set mortality.care_home_los_median_days=900.0: ")
    assert "must exceed" in line


def test_set_into_a_value_is_refused_and_into_a_table_keeps_its_other_entries():
    with pytest.raises(ConfigError) as err:
        load_config("fragmented", overrides={"acute.beds.x": 1})
    assert err.value.lines == ["--set acute.beds.x=1: 'beds' is a value, not a section"]
    cfg = load_config("fragmented", overrides={"funding.commissioner.home_care": "nhs"})
    assert cfg.funding.commissioner == {**Scenario().funding.commissioner, "home_care": "nhs"}


def test_programmatic_overrides_are_not_called_a_set():
    with pytest.raises(ConfigError) as err:
        with_overrides(load_config("fragmented"), {"acute.beds": -5})
    assert err.value.lines == ["fragmented: acute.beds = -5: Input should be greater than 0"]


def test_shipped_configs_and_schema_probes_are_within_the_bounds():
    for name in ("aligned", "bcf_minimum", "fragmented", "integrated", "lead_commissioning",
                 "pooled", "pooled_money_only", "theory/mmc_acute"):
        load_config(name)
    for path, info in leaf_fields():
        extra = info.json_schema_extra or {}
        if "probe" in extra:
            base = "pooled" if extra.get("active_in") == "pooled" else "fragmented"
            load_config(base, overrides={**extra.get("probe_with", {}), path: extra["probe"]})


def _get(data: dict, dotted: str) -> Any:
    for key in dotted.split("."):
        data = data[key]
    return data


def test_schema_text_is_toml_equal_to_the_schema_defaults():
    text = schema_text()
    parsed = tomllib.loads(text)
    defaults = Scenario()
    assert Scenario.model_validate(parsed) == defaults
    lines = text.splitlines()
    for path, info in leaf_fields():
        if info.default is None:  # TOML has no null: shown commented out with an example
            assert not any(line.startswith(f"{path} =") for line in lines)
            i = next(i for i, line in enumerate(lines) if line.startswith(f"# {path} = "))
        else:
            assert _get(parsed, path) == info.default
            i = next(i for i, line in enumerate(lines) if line.startswith(f"{path} = "))
        assert lines[i - 1] == f"# {info.description}"
    assert _get(parsed, "run.start_date") == dt.date(2025, 4, 1)
    assert "datetime" not in text


def test_schema_text_groups_fields_under_a_section_header():
    lines = schema_text().splitlines()
    headers = [i for i, line in enumerate(lines) if line.startswith("# [")]
    assert [lines[i].split("]")[0][3:] for i in headers][:3] == ["run", "population", "frailty"]
    assert "# [budgets.rationing] LA/pool rationing rule." in lines
    for i in headers:
        section = lines[i].split("]")[0][3:]
        following = next(line for line in lines[i + 1:] if not line.startswith("#"))
        assert following.startswith(section + ".")
