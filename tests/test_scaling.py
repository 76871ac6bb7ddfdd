"""One scaling rule for ``--scale``, the Python API, case files and the test suite's places."""

from __future__ import annotations

import json

import pytest

import sim
from sim import cli
from sim.scaling import PLACE_FIELDS, SCALED_FIELDS, scale_overrides, scaled, value_at

from .conftest import DEFAULT_PEOPLE, place_overrides
from .test_cli import TINY


def test_scale_9_06_makes_the_default_place_500_000_people_with_everything_in_proportion():
    base = sim.load_config("fragmented")
    big = scaled(base, 9.06)
    assert big.population.size == 500_112
    for path in SCALED_FIELDS:
        before, after = value_at(base, path), value_at(big, path)
        assert after == pytest.approx(before * 9.06, abs=1.0), path
    assert big.acute.los_mean_days == base.acute.los_mean_days   # rates are not sizes


def test_counts_stay_whole_teams_round_up_and_a_missing_service_stays_missing():
    base = sim.load_config("fragmented")
    tiny = scale_overrides(sim.with_overrides(base, {"acute.escalation_beds": 0}), 0.01)
    assert tiny["acute.escalation_beds"] == 0                       # none before, none after
    assert tiny["acute.beds"] == 4 and tiny["assessment.nhs_assessors"] == 1
    assert tiny["home_care.capacity_hours_per_week"] == 235         # whole hours a week
    assert scaled(base, 1) is base


def test_the_test_suites_small_place_is_the_same_rule_on_the_place_fields():
    """conftest.place_overrides is scale_overrides on the place (not pool money or savings),
    so the stored backtest's places did not move when the rule was shared."""
    people = 4000
    small = place_overrides(people)
    rule = scale_overrides(sim.load_config("fragmented"), people / DEFAULT_PEOPLE, PLACE_FIELDS)
    assert {k: v for k, v in small.items() if not k.startswith("run.")} == rule
    assert small["home_care.capacity_hours_per_week"] == 1703 and small["acute.beds"] == 27


def test_run_with_scale_writes_the_scaled_place_and_applies_it_after_set(tmp_path):
    out = tmp_path / "out"
    args = ["run", "fragmented", *TINY, "--replications", "1", "--workers", "1", "--years",
            "0.05", "--scale", "0.5", "--out", str(out)]
    assert cli.main(args) == 0
    config = json.loads((out / "manifest.json").read_text())["config"]
    assert config["population"]["size"] == 1000 and config["acute"]["beds"] == 10
    assert config["home_care"]["capacity_hours_per_week"] == 500


@pytest.mark.parametrize("bad", ["0", "-1", "nan", "inf", "abc", "101"])
def test_a_scale_that_is_not_a_positive_size_is_refused_in_one_line(bad, capsys):
    assert cli.main(["run", "fragmented", "--scale", bad]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--scale" in err[0] and repr(bad) in err[0]


def test_a_scaled_sweep_scales_its_design_ranges_of_place_sized_fields():
    """At --scale 0.25 a design point's beds, places and teams come from a quarter of the
    experiment's ranges (rounded as the place is: teams up), a relative range follows the
    scaled base, and a rate's range is left alone; every point of the shipped Morris screen
    stays inside the scaled ranges."""
    from sim.cases import experiment_from_file, scale_experiment
    from sim.sweep_plan import resolve
    path = "experiments/morris_screen.toml"
    full = experiment_from_file(path).design.parameters
    quarter = scale_experiment(experiment_from_file(path), path, 0.25)
    ranges = quarter.design.parameters
    assert (ranges["acute.beds"].low, ranges["acute.beds"].high) == (90, 115)
    assert (ranges["reablement.places"].low, ranges["reablement.places"].high) == (30, 100)
    assert (ranges["assessment.la_social_workers"].low,
            ranges["assessment.la_social_workers"].high) == (2, 7)       # 8 x 0.25, 25 x 0.25 up
    assert ranges["acute.los_mean_days"] == full["acute.los_mean_days"]   # not a size
    assert ranges["crisis.rate_per_person_year"] == full["crisis.rate_per_person_year"]
    design = resolve(quarter, path).design
    for field in ("acute.beds", "reablement.places", "care_homes.beds",
                  "home_care.capacity_hours_per_week", "assessment.la_social_workers"):
        assert design[field].between(ranges[field].low, ranges[field].high).all(), field
