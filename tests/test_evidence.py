"""Evidence decides effects, arrangements decide deployment (issue 14, item 2), and a case's
evidence envelope runs the named effects at both ends of their ranges (item 3)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import sim
from sim import cli
from sim.case_verdict import envelope_verdict
from sim.cases import case_names, find_case, load_case
from sim.config import ConfigError, evidence_ranges, read_toml
from sim.schema_base import field

from .conftest import run_once, small
from .test_cases import tiny_case

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = sim.load_config("fragmented")


def _value(cfg, path: str):
    for part in path.split("."):
        cfg = getattr(cfg, part)
    return cfg


def test_the_schema_declares_effect_fields_with_ranges_around_their_defaults():
    ranges = evidence_ranges()
    assert {"delay_harm.frailty_per_day", "delay_harm.death_per_day",
            "neighbourhood.crisis_hazard_ratio", "acute.deconditioning_per_day"} <= set(ranges)
    for path, (weak, strong) in ranges.items():
        default = _value(DEFAULT, path)
        assert min(weak, strong) <= default <= max(weak, strong) and weak != strong, path


@pytest.mark.parametrize("evidence", [(0.2, 0.3), (0.1, 0.1)])
def test_an_evidence_range_that_misses_its_default_is_refused(evidence):
    with pytest.raises(ValueError, match="evidence range"):
        field(0.1, "an effect", evidence=evidence)


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "configs").glob("*.toml")))
def test_no_arrangement_config_changes_an_effect_size(name):
    cfg = sim.load_config(name)
    changed = {p: _value(cfg, p) for p in evidence_ranges() if _value(cfg, p) != _value(
        DEFAULT, p)}
    assert not changed, f"configs/{name}.toml sets effect sizes: {changed}"


@pytest.mark.parametrize("name", case_names())
def test_no_case_intervention_changes_an_effect_size(name):
    """A case's scenarios are arrangements: only its envelope may move an effect field, and
    then in the baseline and the intervention alike."""
    study = find_case(name)
    data = read_toml(study.source)
    for scenario, delta in data.get("scenarios", {}).items():
        moved = set(delta.get("set", {})) & set(evidence_ranges())
        assert not moved, f"{name}: scenario {scenario} sets effect fields {moved}"
    assert not {c.field for c in study.case.calibrated} & set(evidence_ranges())


def test_an_envelope_runs_both_arms_at_each_end_of_the_evidence(tmp_path):
    fields = ["delay_harm.frailty_per_day", "neighbourhood.crisis_hazard_ratio"]
    study = load_case(tiny_case(tmp_path, "torbay", envelope=json.dumps(fields)))
    scenarios = study.experiment.scenarios
    assert set(scenarios) == {"fragmented", "integrated", "fragmented__low",
                              "integrated__low", "fragmented__high", "integrated__high"}
    for arm in ("fragmented", "integrated"):
        assert not set(fields) & set(scenarios[arm].set)  # central: the defaults
        assert {f: scenarios[f"{arm}__low"].set[f] for f in fields} == {
            "delay_harm.frailty_per_day": 0.005, "neighbourhood.crisis_hazard_ratio": 1.0}
        assert {f: scenarios[f"{arm}__high"].set[f] for f in fields} == {
            "delay_harm.frailty_per_day": 0.02, "neighbourhood.crisis_hazard_ratio": 0.8}
        # the arm's own deltas (its config and scale) are kept at every end
        assert scenarios[f"{arm}__high"].config == scenarios[arm].config
        assert (scenarios[f"{arm}__high"].set["population.size"]
                == scenarios[arm].set["population.size"])


def test_a_deployment_field_in_an_envelope_is_refused_with_one_line(tmp_path):
    path = tiny_case(tmp_path, "torbay", envelope='["acute.beds"]')
    with pytest.raises(ConfigError) as err:
        load_case(path)
    assert len(err.value.lines) == 1
    line = err.value.lines[0]
    assert "case.envelope" in line and "acute.beds" in line and "delay_harm.death_per_day" in line


def _end(low, high):
    return {"relative_ci_low": low, "relative_ci_high": high}


@pytest.mark.parametrize("published, ends, expected", [
    (-0.05, [_end(-0.08, -0.02), _end(-0.10, -0.04), _end(-0.12, -0.06)], "inside"),
    # the figure lies between two ends' intervals: the union's hull still holds it
    (-0.09, [_end(-0.05, -0.02), _end(-0.06, -0.03), _end(-0.15, -0.10)], "inside"),
    (-0.24, [_end(-0.08, -0.02), _end(-0.10, -0.04), _end(-0.12, -0.06)], "unreachable"),
    (-0.01, [_end(-0.08, -0.02), _end(-0.10, -0.04), _end(-0.12, -0.06)], "outside"),
    (0.30, [_end(0.01, 0.10), _end(0.02, 0.12), _end(0.05, 0.20)], "unreachable"),
    (-0.10, [_end(0.01, 0.10), _end(0.02, 0.12), _end(0.05, 0.20)], "unreachable"),
    (0.01, [_end(0.05, 0.10), _end(0.06, 0.12), _end(0.07, 0.20)], "outside"),
    (None, [_end(0.05, 0.10)] * 3, None),
    (-0.1, [_end(math.nan, math.nan)] * 3, None),
])
def test_envelope_verdict_rules(published, ends, expected):
    assert envelope_verdict(published, ends) == expected


def test_case_with_an_envelope_reports_the_change_at_each_end(tmp_path, capsys):
    fields = ["delay_harm.frailty_per_day", "delay_harm.death_per_day"]
    path = tiny_case(tmp_path, "torbay", envelope=json.dumps(fields))
    out = tmp_path / "out"
    assert cli.main(["case", str(path), "--out", str(out), "--workers", "2",
                     "--no-progress"]) == 0
    printed = capsys.readouterr().out
    result = json.loads((out / "case.json").read_text())
    env = result["envelope"]
    assert [e["end"] for e in env["ends"]] == ["low", "central", "high"]
    assert env["fields"] == {f: list(evidence_ranges()[f]) for f in fields}
    central = env["ends"][1]
    m = result["model"]
    assert central["relative_change"] == pytest.approx(m["relative_change"])
    assert (central["relative_ci_low"], central["relative_ci_high"]) == pytest.approx(
        (m["relative_ci_low"], m["relative_ci_high"]), nan_ok=True)
    assert env["ends"][2]["values"] == {"delay_harm.frailty_per_day": 0.02,
                                        "delay_harm.death_per_day": 0.002}
    assert env["published_change"] == envelope_verdict(-0.24, env["ends"])
    assert "evidence envelope (delay_harm.frailty_per_day 0.005 (weak) to 0.02" in printed
    assert "published change -24.0%" in printed
    from sim.report import write_report
    html = write_report(out, tmp_path / "case.html").read_text()
    assert "Evidence envelope (delay_harm.frailty_per_day, delay_harm.death_per_day)" in html


@pytest.mark.parametrize("arrangement", ["aligned", "lead_commissioning", "pooled", "integrated"])
def test_arrangements_stay_inside_the_controlled_evidence_on_emergency_bed_days(arrangement):
    """Issue 14 item 5: with every lever at the default's provision, an arrangement's effect on
    emergency bed days stays inside what controlled studies found, from none to about -15%
    (Mason 2015; NAO 2017 on the BCF; the Integrated Care Pilots). The whole 95% interval of
    the paired relative change (4 replications, common random numbers) must lie within
    [-15%, +2%]: +2% leaves room for the interval of an arrangement with no effect."""
    base = run_once(small("fragmented", people=10_000), 4, 21)
    other = run_once(small(arrangement, people=10_000), 4, 21)
    row = sim.paired_differences(base, other).set_index("kpi").loc["acute_bed_days"]
    assert -15 <= row["percent_low"] and row["percent_high"] <= 2, row.to_dict()
