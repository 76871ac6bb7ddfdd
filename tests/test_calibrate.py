"""``caresim calibrate``: history matching recovers hidden parameter values, resumes, refuses.

The unit tests check the arithmetic of :mod:`sim.history_matching` (implausibility by hand,
the wave sampler, a 1-D toy function with a known answer). The hidden-value test is issue 15's
check: a small place is run at hidden values of two parameters that move different KPIs, its
KPIs become the targets, and ``caresim calibrate`` must give plausible ranges that contain the
hidden values and are narrower than the prior box.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibrate_spec import config_text, load_spec
from sim.cli import main
from sim.config import load_config, with_overrides
from sim.experiments import run_replication
from sim.history_matching import (
    CUTOFF,
    MANY_TARGETS,
    Target,
    combine,
    fit_emulator,
    implausibility,
    implausibility_of,
    plausible_candidates,
    sample_plausible,
    target_implausibility,
)

from .conftest import small

ROOT = Path(__file__).resolve().parent.parent
#: A tiny place (as TINY in test_cli.py): ~0.1 s a run, for resume and refusal tests.
TINY = {"population.size": 2000, "run.years": 0.3, "run.warmup_days": 10.0,
        "population.entrants_per_year": 120, "acute.beds": 20, "care_homes.beds": 100,
        "home_care.capacity_hours_per_week": 1000.0, "intermediate_care.beds": 3,
        "reablement.places": 10, "assessment.la_social_workers": 2,
        "assessment.nhs_assessors": 2, "avoidance.urgent_response_slots": 2}
PARAMS = ('[params."crisis.rate_per_person_year"]\nlow = 0.15\nhigh = 0.4\n\n'
          '[params."acute.los_mean_days"]\nlow = 4.0\nhigh = 12.0\n')


def write_config(path: Path, cfg) -> Path:
    path.write_text(config_text(cfg, {}, ["a test place"]))
    return path


def targets_text(targets: dict[str, tuple[float, float]], params: str = PARAMS) -> str:
    return params + "".join(f"\n[targets.{k}]\nvalue = {v!r}\nsd = {sd!r}\n"
                            for k, (v, sd) in targets.items())


# --- history matching, no simulation -------------------------------------------------------
def test_implausibility_equals_the_hand_computation():
    t = Target("x", value=10.0, sd=2.0, discrepancy=1.0)
    # |10 - 4| / sqrt(2^2 + 1^2 + 4) = 6 / 3
    assert implausibility_of(t, [4.0], [4.0]) == pytest.approx([2.0])
    x = np.linspace(0, 1, 8)[:, None]
    em = fit_emulator("x", x, 3 + 5 * x[:, 0], replication_var=0.25)
    at = np.array([[0.3], [0.71]])
    mean, var = em.gp.predict(at, return_std=True)
    by_hand = np.abs(10 - mean) / np.sqrt(4 + 1 + 0.25 + var ** 2)
    assert target_implausibility({"x": em}, [t], at)[:, 0] == pytest.approx(by_hand)


def test_many_targets_cut_the_second_largest_implausibility():
    few = np.array([[0.5, 4.0, 1.0]])
    assert combine(few) == pytest.approx([4.0])
    many = np.array([[0.5, 9.0, 2.5] + [1.0] * (MANY_TARGETS - 3)])
    assert combine(many) == pytest.approx([2.5])


def toy_waves(f, truth: float, waves: int, n: int = 8) -> list[tuple[float, float]]:
    """History-match f on [0, 1] to f(truth) (sd 0.02); the plausible range after each wave."""
    target = [Target("y", f(truth), 0.02)]
    x = np.linspace(0.03, 0.97, n)[:, None]
    xs, ems, ranges = x, [], []
    for wave in range(waves):
        ems.append({"y": fit_emulator("y", xs, f(xs[:, 0]), seed=wave)})
        region, _ = plausible_candidates(ems, target, 1, 4000, seed=11)
        ranges.append((region.min(), region.max()))
        xs, _ = sample_plausible(ems, target, 1, n, seed=wave + 1)
    return ranges


def test_toy_history_match_shrinks_to_contain_the_true_value():
    def f(x):      # rising (slope 0.5 to 3.5), so one x gives f(0.3): the answer is 0.3
        return 2 * np.asarray(x) + 0.3 * np.sin(5 * np.asarray(x))
    truth = 0.3
    ranges = toy_waves(f, truth, waves=3)
    for low, high in ranges:
        assert low <= truth <= high
    widths = [high - low for low, high in ranges]
    assert widths == sorted(widths, reverse=True)     # the region never grows
    # 3 sd of 0.02 either side at a slope of ~2.1 is +-0.03; emulator error widens it a little
    assert widths[-1] < 0.12


def test_wave_sampler_never_returns_an_implausible_point():
    rng = np.random.default_rng(3)
    x = rng.random((20, 2))
    ems = {"a": fit_emulator("a", x, x[:, 0] + x[:, 1] ** 2),
           "b": fit_emulator("b", x, x[:, 0] * x[:, 1], replication_var=1e-4)}
    targets = [Target("a", 0.9, 0.05), Target("b", 0.2, 0.02)]
    points, share = sample_plausible([ems], targets, 2, 40, seed=5)
    assert 0 < share < 0.5 and len(points) == 40
    assert implausibility([ems], targets, points).max() <= CUTOFF


# --- the hidden-value check ----------------------------------------------------------------
HIDDEN = {"crisis.rate_per_person_year": 0.24, "acute.los_mean_days": 8.5}


def test_calibrate_recovers_hidden_values_with_ranges_narrower_than_the_prior(tmp_path):
    cfg = small()                                   # 6,000 people, 1 year after 60 days
    config = write_config(tmp_path / "place.toml", cfg)
    hidden = with_overrides(cfg, HIDDEN)
    runs = [run_replication(hidden, 99, r).kpis for r in range(4)]   # not the calibrate seed
    targets = {}
    for kpi in ("emergency_admissions", "acute_occupancy_share"):
        v = np.array([r[kpi] for r in runs])
        # the mean's replication spread plus a stated observation error of 2%
        targets[kpi] = (float(v.mean()), math.hypot(v.std(ddof=1) / 2, 0.02 * v.mean()))
    (tmp_path / "targets.toml").write_text(targets_text(targets))
    out = tmp_path / "cal"
    assert main(["calibrate", str(config), "--targets", str(tmp_path / "targets.toml"),
                 "--out", str(out), "--waves", "2", "--runs-per-wave", "10",
                 "--replications", "2", "--workers", "1", "--no-progress"]) == 0
    result = json.loads((out / "calibration.json").read_text())
    for path, value in HIDDEN.items():
        p = result["params"][path]
        assert p["low"] <= value <= p["high"], (path, p)
        assert p["high"] - p["low"] < 0.8 * (p["prior_high"] - p["prior_low"]), (path, p)
    assert result["params"]["crisis.rate_per_person_year"]["high"] - \
        result["params"]["crisis.rate_per_person_year"]["low"] < 0.4 * 0.25
    assert [w["wave"] for w in result["waves"]] == [1, 2]
    assert result["waves"][1]["nroy_share"] < result["waves"][0]["nroy_share"]
    for kpi, (value, _) in targets.items():
        t = result["targets"][kpi]
        assert t["observed"] == value and t["model_low"] <= t["model_high"]
    calibrated = load_config(out / "calibrated.toml")       # what `caresim run` loads
    for path, p in result["params"].items():
        section, field = path.split(".")
        assert getattr(getattr(calibrated, section), field) == pytest.approx(p["estimate"])
    plausible = pd.read_parquet(out / "plausible.parquet")
    assert len(plausible) == result["plausible_points"] > 0
    assert (plausible["implausibility"] >= 0).all()
    assert "<img" in (out / "calibration.html").read_text()


# --- resume --------------------------------------------------------------------------------
def tiny_problem(tmp_path: Path) -> list[str]:
    config = write_config(tmp_path / "tiny.toml", load_config("fragmented", TINY))
    (tmp_path / "targets.toml").write_text(targets_text(
        {"emergency_admissions": (450.0, 40.0), "acute_occupancy_share": (0.5, 0.05)}))
    return [str(config), "--targets", str(tmp_path / "targets.toml")]


def test_interrupted_calibrate_resumes_without_redoing_finished_runs(tmp_path):
    args = tiny_problem(tmp_path) + ["--out", str(tmp_path / "cal"), "--waves", "2",
                                     "--runs-per-wave", "8", "--replications", "2",
                                     "--workers", "1", "--no-progress"]
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "calibrate", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    parts = tmp_path / "cal" / "wave1" / "runs"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(parts.glob("*.parquet"))) < 4:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = {p: p.stat().st_mtime_ns for p in parts.glob("*.parquet")}
    assert 4 <= len(kept) < 16, "the calibration was not interrupted in wave 1"
    assert not (tmp_path / "cal" / "calibration.json").exists()
    assert main(["calibrate", *args]) == 0
    waves = json.loads((tmp_path / "cal" / "calibration.json").read_text())["waves"]
    assert waves[0]["runs_skipped"] == len(kept)
    assert waves[0]["runs_done"] + waves[0]["runs_skipped"] == 16
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())   # none written again
    assert main(["calibrate", *args]) == 0                            # finished: nothing to do
    again = json.loads((tmp_path / "cal" / "calibration.json").read_text())["waves"]
    assert [w["runs_done"] for w in again] == [0] * len(again)
    assert [w["points"] for w in again] == [w["points"] for w in waves]


def test_unreachable_target_leaves_no_plausible_region_and_the_outputs_say_so(tmp_path):
    args = tiny_problem(tmp_path)
    (tmp_path / "targets.toml").write_text(targets_text(
        {"emergency_admissions": (5.0, 1.0), "acute_occupancy_share": (0.5, 0.05)}))
    out = tmp_path / "cal"
    assert main(["calibrate", *args, "--out", str(out), "--waves", "3", "--runs-per-wave", "6",
                 "--replications", "2", "--workers", "1", "--no-progress"]) == 0
    result = json.loads((out / "calibration.json").read_text())
    assert result["stopped"].endswith("ruled out the whole box")
    assert result["nroy_share"] == 0 and result["plausible_points"] == 0
    assert all(p["low"] is None and p["high"] is None for p in result["params"].values())
    assert len(pd.read_parquet(out / "plausible.parquet")) == 0
    assert "No evaluated point is plausible" in (out / "calibration.html").read_text()
    assert "no plausible region" in (out / "calibrated.toml").read_text()
    load_config(out / "calibrated.toml")


# --- refusals ------------------------------------------------------------------------------
@pytest.mark.parametrize("params, targets, expected", [
    ('[params."acute.no_such_field"]\nlow = 1\nhigh = 2\n', {}, 'params."acute.no_such_field"'
     ": unknown config field"),
    ('[params."acute.los_mean_days"]\nlow = 9.0\nhigh = 5.0\n', {},
     'params."acute.los_mean_days": low = 9.0 >= high = 5.0: needs low < high'),
    ('[params."acute.los_distribution"]\nlow = 1\nhigh = 2\n', {},
     "not a number field"),
    ('[params."acute.beds"]\nlow = -5\nhigh = 10\n', {}, 'params."acute.beds".low = -5'),
    (PARAMS, {"no_such_kpi": (1.0, 1.0)}, "targets.no_such_kpi: unknown KPI (known: "),
    (PARAMS, {"emergency_admissions": (450.0, 0.0)},
     "targets.emergency_admissions.sd = 0.0: must be above 0"),
])
def test_bad_targets_are_refused_in_one_line(tmp_path, capsys, params, targets, expected):
    config = write_config(tmp_path / "tiny.toml", load_config("fragmented", TINY))
    targets = targets or {"emergency_admissions": (450.0, 40.0)}
    (tmp_path / "t.toml").write_text(targets_text(targets, params))
    code = main(["calibrate", str(config), "--targets", str(tmp_path / "t.toml"), "--out",
                 str(tmp_path / "cal")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and expected in err, err
    assert str(tmp_path / "t.toml") in err
    assert not (tmp_path / "cal").exists()


def test_missing_files_and_a_foreign_out_are_refused_in_one_line(tmp_path, capsys):
    args = tiny_problem(tmp_path)
    cases = [(["calibrate", args[0], "--targets", str(tmp_path / "nope.toml"), "--out",
               str(tmp_path / "a")], "nope.toml: file not found"),
             (["calibrate", str(tmp_path / "nope.toml"), *args[1:], "--out",
               str(tmp_path / "a")], "nope.toml: file not found")]
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("my notes")
    cases.append((["calibrate", *args, "--out", str(tmp_path / "notes")],
                  "holds files that are not a calibration's"))
    for argv, expected in cases:
        code = main(argv)
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1 and expected in err, err
    assert (tmp_path / "notes" / "mine.txt").read_text() == "my notes"
    assert not (tmp_path / "a").exists()


# --- backcast ------------------------------------------------------------------------------
TWO_YEARS = {**TINY, "run.years": 2.0, "run.warmup_days": 30.0, "run.start_date": "2023-03-02"}


def test_yearly_kpis_weighted_by_their_length_give_the_run_kpi():
    cfg = load_config("fragmented", TWO_YEARS)
    res = run_replication(cfg, 1, 0, yearly=True)
    yearly = res.yearly_kpis
    assert sorted(yearly["year"].unique()) == [2023, 2024]   # windows start 2023-04-01, 2024
    assert "care_home_residents_end" not in set(yearly["kpi"])  # a stock has no yearly value
    days = np.array([365.25, 730 - 365.25])    # the model rounds its horizon to a whole day
    for kpi in ("emergency_admissions", "delayed_bed_days", "deaths"):
        per_year = yearly[yearly["kpi"] == kpi].sort_values("year")["value"].to_numpy()
        assert (per_year * days).sum() / days.sum() == pytest.approx(res.kpis[kpi], rel=1e-9)


def test_backcast_predicts_the_held_out_year_of_a_hidden_run(tmp_path):
    cfg = load_config("fragmented", TWO_YEARS)
    config = write_config(tmp_path / "place.toml", cfg)
    hidden = with_overrides(cfg, HIDDEN)
    yearly = pd.concat([run_replication(hidden, 99, r, yearly=True).yearly_kpis
                        for r in range(3)])
    lines = [PARAMS]
    for kpi in ("emergency_admissions", "acute_occupancy_share"):
        lines.append(f"[targets.{kpi}.by_year]")
        for year, g in yearly[yearly["kpi"] == kpi].groupby("year"):
            v = g["value"].to_numpy()
            sd = math.hypot(v.std(ddof=1), 0.03 * v.mean())
            lines.append(f"{year} = {{ value = {float(v.mean())!r}, sd = {sd!r} }}")
    (tmp_path / "targets.toml").write_text("\n".join(lines) + "\n")
    out = tmp_path / "cal"
    assert main(["calibrate", str(config), "--targets", str(tmp_path / "targets.toml"),
                 "--out", str(out), "--waves", "2", "--runs-per-wave", "12",
                 "--replications", "2", "--workers", "1", "--no-progress",
                 "--holdout-year", "2024"]) == 0
    result = json.loads((out / "calibration.json").read_text())
    assert set(result["targets"]) == {"emergency_admissions@2023", "acute_occupancy_share@2023"}
    held = result["holdout"]
    assert held["year"] == 2024
    assert set(held["targets"]) == {"emergency_admissions@2024", "acute_occupancy_share@2024"}
    assert held["coverage"] == 1.0           # the hidden model's own 2024 is predicted
    for t in held["targets"].values():
        assert t["model_low"] < t["model_high"] and t["covered"]
    assert "Held-out year 2024" in (out / "calibration.html").read_text()


@pytest.mark.parametrize("targets, holdout, expected", [
    ("[targets.care_home_residents_end.by_year]\n2023 = { value = 90.0, sd = 5.0 }\n", [],
     "counts people at the end of the run and has no yearly value"),
    ("[targets.emergency_admissions.by_year]\n2019 = { value = 500.0, sd = 50.0 }\n", [],
     "by_year.2019: not a year the runs cover whole (the counting window's years: 2023, 2024"),
    ("[targets.emergency_admissions]\nvalue = 500.0\nsd = 50.0\n", ["--holdout-year", "2024"],
     "--holdout-year 2024: "),
])
def test_bad_backcast_targets_are_refused_in_one_line(tmp_path, capsys, targets, holdout,
                                                      expected):
    config = write_config(tmp_path / "place.toml", load_config("fragmented", TWO_YEARS))
    (tmp_path / "t.toml").write_text(PARAMS + "\n" + targets)
    code = main(["calibrate", str(config), "--targets", str(tmp_path / "t.toml"), "--out",
                 str(tmp_path / "cal"), *holdout])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and expected in err, err
    assert not (tmp_path / "cal").exists()


def test_shipped_eastmoor_problem_holds_the_targets_place_build_wrote():
    folder = ROOT / "experiments" / "places" / "eastmoor"
    spec = load_spec(folder / "eastmoor.toml", folder / "calibrate.toml")
    built = tomllib.loads((folder / "targets.toml").read_text(encoding="utf-8"))["targets"]
    assert {t.kpi: (t.value, t.sd) for t in spec.targets} == \
        {k: (v["value"], v["sd"]) for k, v in built.items()}
    assert len(spec.params) == 3
