"""Case studies (sim.cases): every shipped case validates, bad [case] fields give one-line
errors, the verdict rules, and ``caresim case`` end to end on a tiny copy of a shipped case
(~2,200 people, a third of a year: a few seconds on a 2-core machine).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import sim
from sim import cli
from sim.case_verdict import verdict
from sim.cases import case_names, experiment_from_file, find_case, load_case
from sim.config import ConfigError, leaf_fields
from sim.kpis import KPIS
from sim.scaling import SCALED_FIELDS, scale_overrides
from sim.sweep_plan import resolve

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "experiments" / "cases"


def tiny_case(tmp_path: Path, name: str = "london_councils", **case_changes) -> Path:
    """A shipped case shrunk to 2,208 people x 0.3 years x 2 replications, [case] edited."""
    text = (CASES / f"{name}.toml").read_text()
    text = re.sub(r"^scale = .*$", "scale = 0.04", text, flags=re.MULTILINE)
    text = re.sub(r"^replications = .*$", "replications = 2", text, flags=re.MULTILINE)
    text = text.replace('"run.years" = 3', '"run.years" = 0.3')
    text = text.replace('"run.warmup_days" = 180', '"run.warmup_days" = 30')
    for key, value in case_changes.items():
        line = f"{key} = {value}"
        text, n = re.subn(rf"^{key} = .*$", line, text, flags=re.MULTILINE)
        if not n:
            text += f"{line}\n"  # [case] is the last table of a case file
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def test_shipped_cases_are_the_files_in_experiments_cases():
    assert case_names() == sorted(p.stem for p in CASES.glob("*.toml"))
    assert {"essex_west_yorkshire", "london_councils"} <= set(case_names())


@pytest.mark.parametrize("name", case_names())
def test_every_shipped_case_validates_and_resolves(name):
    study = find_case(name)
    c = study.case
    assert study.name == name and c.kpi in KPIS
    assert study.experiment.base_name == c.baseline and study.experiment.crn
    plan = resolve(study.experiment, study.source)
    assert {c.baseline, c.intervention} <= set(plan.configs)
    size = {cfg.population.size for cfg in plan.configs.values()}
    assert size == {round(sim.load_config("fragmented").population.size * c.scale)}
    assert 20_000 <= size.pop() <= 35_000  # affordable by default, still a sizeable place
    # `caresim sweep` on a case file runs the same experiment as `caresim case`
    assert experiment_from_file(study.source) == study.experiment


def test_scale_shrinks_every_capacity_and_budget_in_proportion():
    pooled = sim.load_config("pooled")
    small = scale_overrides(pooled, 0.4)
    assert set(small) == set(SCALED_FIELDS)
    assert small["acute.beds"] == 149 and small["assessment.la_social_workers"] == 6
    assert small["funding.pool.la_contribution_gbp_per_year"] == pytest.approx(
        0.4 * pooled.funding.pool.la_contribution_gbp_per_year)
    tiny = scale_overrides(pooled, 0.01)
    assert tiny["assessment.nhs_assessors"] >= 1 and tiny["acute.escalation_beds"] >= 1


def test_every_capacity_and_budget_field_is_scaled():
    """A new absolute capacity or budget field must be added to SCALED_FIELDS."""
    fields = dict(leaf_fields())
    assert set(SCALED_FIELDS) <= set(fields)
    absolute = re.compile(r"(^|_)(beds|places|slots|assessors|social_workers)$|"
                          r"capacity_hours_per_week$|entrants_per_year$|"
                          r"^(budgets|funding\.pool)\..*_gbp_per_year$")
    missing = [p for p in fields if absolute.search(p) and p not in SCALED_FIELDS]
    assert not missing


@pytest.mark.parametrize(("changes", "expected"), [
    ({"kpi": '"bed_days"'}, "case.kpi = 'bed_days': unknown KPI"),
    ({"direction": '"sideways"'}, "case.direction = 'sideways': Input should be 'decrease'"),
    ({"colour": '"red"'}, "case.colour = 'red': unknown field"),
    ({"published_change": "0.18"}, ("case.published_change = 0.18: published_change 0.18 "
                                    "contradicts direction 'decrease'")),
    ({"intervention": '"pooled_fund"'}, "case.intervention = 'pooled_fund': not a scenario"),
    ({"calibrated": '[{field = "acute.bed", value = 3, reason = "x"}]'},
     "case.calibrated[0].field = 'acute.bed': unknown config field"),
])
def test_bad_case_field_error_names_field_and_value(tmp_path, changes, expected):
    path = tiny_case(tmp_path, **changes)
    with pytest.raises(ConfigError) as err:
        load_case(path)
    assert len(err.value.lines) == 1, err.value.lines
    assert err.value.lines[0].startswith(f"{path}: {expected}"), err.value.lines


def test_context_changes_must_be_listed_as_calibrated(tmp_path):
    path = tiny_case(tmp_path)
    path.write_text(path.read_text().replace('"run.years" = 0.3',
                                             '"run.years" = 0.3\n"acute.beds" = 300'))
    with pytest.raises(ConfigError) as err:
        load_case(path)
    assert err.value.lines == [(f"{path}: set.acute.beds = 300: [set] holds run.* settings "
                                "only; list a context change under case.calibrated with a "
                                "reason")]
    listed = tiny_case(tmp_path, calibrated='[{field = "acute.beds", value = 300, '
                       'reason = "a smaller hospital"}]')
    plan = resolve(load_case(listed).experiment, listed)
    assert {c.acute.beds for c in plan.configs.values()} == {12}  # 300 x scale 0.04


@pytest.mark.parametrize(("direction", "low", "high", "threshold", "reproduced"), [
    ("decrease", -0.20, -0.01, None, True),
    ("decrease", -0.20, 0.01, None, False),     # the interval includes no change
    ("decrease", 0.01, 0.05, None, False),
    ("increase", 0.01, 0.20, None, True),
    ("increase", -0.01, 0.20, None, False),
    ("small", -0.03, 0.04, 0.05, True),
    ("small", -0.01, 0.06, 0.05, False),        # a larger effect is not ruled out
    ("small", -0.20, -0.10, 0.05, False),
    ("small", math.nan, math.nan, 0.05, False),
])
def test_verdict_rules(direction, low, high, threshold, reproduced):
    ok, rule = verdict(direction, low, high, threshold)
    assert ok is reproduced
    assert "95% interval" in rule


def test_case_command_writes_case_json_and_prints_the_verdict(tmp_path, capsys):
    path = tiny_case(tmp_path)
    out = tmp_path / "out"
    assert cli.main(["case", str(path), "--out", str(out), "--workers", "2",
                     "--no-progress"]) == 0
    printed = capsys.readouterr().out
    result = json.loads((out / "case.json").read_text())
    m, v = result["model"], result["verdict"]
    assert result["kpi"] == "resource_cost_gbp" and result["published_change"] == -0.18
    assert result["published"].startswith("up to 18%") and m["replications"] == 2
    analysis = json.loads((out / "analysis.json").read_text())
    row = next(r for r in analysis["paired_differences"] if r["kpi"] == "resource_cost_gbp")
    assert (m["difference"], m["ci_low"], m["ci_high"]) == (
        row["difference"], row["ci_low"], row["ci_high"])
    # the relative interval is Fieller's (never below -100%), not the difference's / base
    assert (m["relative_ci_low"], m["relative_ci_high"]) == pytest.approx(
        (row["percent_low"] / 100, row["percent_high"] / 100))
    assert m["relative_ci_low"] >= -1
    assert v["direction_reproduced"] == (m["ci_high"] < 0)
    assert v["published_change_in_interval"] == (
        m["relative_ci_low"] <= -0.18 <= m["relative_ci_high"])
    assert result["place"]["population"] == 2208
    yes_no = "yes" if v["direction_reproduced"] else "no"
    assert f"direction reproduced: {yes_no}" in printed
    assert "up to 18%" in printed and "calibrated parameters: none" in printed
    # rerunning resumes: nothing is simulated again (not even the timing run), same numbers
    assert cli.main(["case", str(path), "--out", str(out), "--workers", "2",
                     "--no-progress"]) == 0
    again = capsys.readouterr().out
    assert "already in" in again and "s per run" not in again
    assert json.loads((out / "case.json").read_text())["model"] == m
    # the shareable report of a case folder leads with the published figure and the verdict
    from sim.report import write_report
    html = write_report(out, tmp_path / "case.html").read_text()
    assert "caresim case study:" in html and "Published figure and the model" in html
    assert html.index("Published figure and the model") < html.index("Key findings")
    assert f"Direction reproduced</td><td>{yes_no}" in html.replace("\n", "")


def test_unknown_case_exits_2_listing_the_shipped_cases(capsys):
    assert cli.main(["case", "torbayy"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "torbayy" in err[0]
    assert all(name in err[0] for name in case_names())


def test_list_works_from_any_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # shipped cases come from the package, not the working dir
    assert cli.main(["case", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == case_names()
    assert any("London Councils" in line for line in lines)
    assert find_case("essex_west_yorkshire").case.direction == "small"
