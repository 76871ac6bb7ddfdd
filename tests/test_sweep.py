"""Experiments at scale: CRN, auto replications, resume after kill -9, failure isolation,
sensitivity indices against a closed form, and the Dask path (sim.sweep, sim.designs).

Everything runs on the ~2,000-person smoke place (each replication ~0.3 s) or a reduced
theory config, so the file takes about a minute on a 2-core machine.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import stats, sweep
from sim.cli import main
from sim.designs import (
    Param,
    generate,
    hoad_replications,
    mser5,
    product_sobol_first_order,
    relative_half_width,
    sobol_indices,
)
from sim.sweep import analyse, run_sweep
from sim.sweep_plan import resolve
from sim.sweep_spec import Experiment, load_experiment

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "experiments" / "smoke.toml"

# The M/M/c theory config (constant crisis hazard, exponential stay, no delays), shrunk and
# with ample beds: mean occupancy = arrival rate x mean stay.
THEORY = {"population.size": 2000, "acute.beds": 200, "run.years": 0.5, "run.warmup_days": 40.0}
RATE, LOS = (0.1, 0.4), (6.0, 12.0)


def smoke(**changes) -> Experiment:
    """The smoke experiment with some fields replaced (re-validated)."""
    return Experiment.model_validate({**load_experiment(SMOKE).model_dump(), **changes})


@pytest.fixture(scope="module")
def smoke_sweep(tmp_path_factory):
    """The smoke experiment on two local processes (shared by the Dask comparison)."""
    out = tmp_path_factory.mktemp("smoke")
    summary = run_sweep(SMOKE, out, workers=2, progress=False)
    return out, summary


def test_smoke_sweep_writes_every_output(smoke_sweep):
    out, summary = smoke_sweep
    assert summary["runs_failed"] == 0 and summary["runs_used"] == 8
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert list(kpis.columns) == ["point", "scenario", "replication", "seed", "kpi", "value"]
    assert len(kpis.groupby(["point", "replication"])) == 8
    design = pd.read_parquet(out / "design.parquet")
    assert {"point", "scenario"} <= set(design.columns)
    analysis = json.loads((out / "analysis.json").read_text())
    for key in ("scenarios", "paired_differences", "oat", "sobol", "morris", "warmup_days",
                "replications"):
        assert key in analysis
    assert analysis["replications"] == {"base": 4, "more_beds": 4}
    row = analysis["paired_differences"][0]
    assert set(row) >= {"kpi", "base", "scenario", "base_mean", "scenario_mean", "difference",
                        "ci_low", "ci_high", "percent_change", "percent_low", "percent_high",
                        "replications"}
    for kpis_of in analysis["scenarios"].values():   # intervals stay in each KPI's range
        for kpi, summary in kpis_of.items():
            low, high = stats.kpi_range(kpi)
            assert low <= summary["ci_low"] <= summary["mean"] <= summary["ci_high"] <= high
    for row in analysis["paired_differences"]:         # and a change never below -100%
        if row["percent_low"] is not None and stats.kpi_range(row["kpi"])[0] >= 0:
            assert -100 <= row["percent_low"] <= row["percent_change"] <= row["percent_high"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["runs"]) == 8 and all(r["wall_seconds"] > 0 for r in manifest["runs"])
    assert set(manifest["configs"]) == {"base", "more_beds"} and "packages" in manifest


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_bar_moves_in_simulated_days_as_runs_go(tmp_path, monkeypatch, workers):
    """Workers report simulated days while they run (every 30 days), so the bar moves before
    a run ends; at the end it stands at every run's whole horizon."""
    events, bars = [], []
    add, finish, close = sweep.DaysBar.add, sweep.DaysBar.finish, sweep.DaysBar.close
    monkeypatch.setattr(sweep.DaysBar, "add", lambda self, key, days: (
        events.append(("add", key, days)), add(self, key, days)))
    monkeypatch.setattr(sweep.DaysBar, "finish", lambda self, key: (
        events.append(("finish", key, 0)), finish(self, key)))
    monkeypatch.setattr(sweep.DaysBar, "close", lambda self: (bars.append(self), close(self)))
    run_sweep(smoke(replications=2), tmp_path, workers=workers, progress=True, source=SMOKE)
    [bar] = bars
    horizon = next(iter(bar.horizon.values()))
    assert len(bar.horizon) == 4 and bar.bar.n == bar.bar.total == 4 * round(horizon)
    reported = [e for e in events if e[0] == "add"]
    assert reported and all(days <= 30 + 1e-9 for _, _, days in reported)
    if workers == 1:  # in this process every report comes before its run ends
        for key in bar.horizon:
            mine = [e for e in events if e[1] == key]
            assert mine[-1][0] == "finish" and len(mine) > 2
            assert sum(days for kind, _, days in mine) == pytest.approx(horizon, abs=1)


def test_rerun_into_same_folder_skips_finished_runs(smoke_sweep, tmp_path):
    out, _ = smoke_sweep
    before = (out / "kpis.parquet").read_bytes()
    summary = run_sweep(SMOKE, out, workers=2, progress=False)
    assert summary["runs_done"] == 0 and summary["runs_skipped"] == 8
    assert pd.read_parquet(out / "kpis.parquet").equals(pd.read_parquet(io.BytesIO(before)))
    stored = json.loads((out / "analysis.json").read_text())
    assert main(["analyse", str(out)]) == 0
    assert analyse(out) == stored == json.loads((out / "analysis.json").read_text())


def test_crn_gives_smaller_variance_of_paired_differences_than_independent_streams(tmp_path):
    scenarios = {"base": {}, "fewer_beds": {"set": {"acute.beds": 14}}}
    variances = {}
    for crn in (True, False):
        spec = smoke(replications=6, crn=crn, scenarios=scenarios)
        run_sweep(spec, tmp_path / str(crn), workers=2, progress=False, source=SMOKE)
        kpis = pd.read_parquet(tmp_path / str(crn) / "kpis.parquet")
        seeds = kpis.groupby("scenario")["seed"].first()
        assert (seeds.nunique() == 1) == crn  # CRN: one seed; independent: one per point
        wide = kpis.pivot_table(index=["replication", "kpi"], columns="scenario", values="value")
        # boarding waits at 14 beds are a queue near saturation: heavy-tailed (8 h in one
        # replication, 130 h in the next), so one replication dominates the variance of a raw
        # difference; on the log scale the test sees whether paired runs move together
        waits = wide.index.get_level_values("kpi") == "mean_boarding_wait_hours"
        wide.loc[waits] = np.log1p(wide.loc[waits])
        variances[crn] = (wide["fewer_beds"] - wide["base"]).groupby("kpi").var()
    for kpi in ("mean_acute_occupancy", "delayed_bed_days", "total_cost_gbp",
                "emergency_admissions", "mean_boarding_wait_hours"):
        assert variances[True][kpi] < 0.5 * variances[False][kpi], kpi


def test_hoad_rule_stops_at_first_n_confirmed_by_look_ahead():
    rng = np.random.default_rng(3)
    x = list(100 + 10 * rng.standard_normal(60))
    d = hoad_replications({"k": x}, 0.05, 3, 60, look_ahead=5)
    assert d["done"] and d["met"]
    n = d["n_solution"]
    assert d["n_used"] == n + 5
    assert all(relative_half_width(x[:j]) <= 0.05 for j in range(n, n + 6))
    assert relative_half_width(x[:n - 1]) > 0.05 or n == 3
    # not enough data yet: not done; budget reached: done, precision honestly reported
    assert not hoad_replications({"k": x[:n + 2]}, 0.05, 3, 60)["done"]
    capped = hoad_replications({"k": x[:4]}, 0.001, 3, 4)
    assert capped["done"] and not capped["met"] and capped["n_used"] == 4


def test_auto_replications_stop_within_bounds_and_meet_claimed_precision(tmp_path):
    auto = {"auto": 0.08, "kpis": ["emergency_admissions", "mean_acute_occupancy"],
            "min": 3, "max": 16, "look_ahead": 2}
    spec = smoke(replications=auto, warmup="auto", pilot_replications=2)
    run_sweep(spec, tmp_path, workers=2, progress=False, source=SMOKE)
    analysis = json.loads((tmp_path / "analysis.json").read_text())
    assert analysis["warmup"]["method"].startswith("MSER-5")
    assert analysis["warmup_days"] == max(analysis["warmup"]["acute_days"],
                                          analysis["warmup"]["care_home_days"])
    kpis = pd.read_parquet(tmp_path / "kpis.parquet")
    met = 0
    for point, detail in analysis["replication_detail"].items():
        runs = kpis[kpis["point"] == point]
        n = runs["replication"].nunique()
        assert 3 <= n <= 16 and n == detail["replications"]
        if detail["precision_met"]:
            met += 1
            for kpi in auto["kpis"]:
                values = runs.loc[runs["kpi"] == kpi].sort_values("replication")["value"]
                assert relative_half_width(values) <= 0.08
                assert detail["half_width_ratio"][kpi] == pytest.approx(
                    relative_half_width(values))
    assert met >= 1
    again = run_sweep(spec, tmp_path, workers=2, progress=False, source=SMOKE)  # resumes
    assert again["runs_done"] == 0
    assert json.loads((tmp_path / "analysis.json").read_text()) == analysis


def test_kill_minus_9_then_resume_equals_uninterrupted_sweep(tmp_path):
    text = SMOKE.read_text().replace("replications = 4", "replications = 10")
    experiment = tmp_path / "resume.toml"
    experiment.write_text(text)
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "sweep", str(experiment),
                             "--out", str(killed), "--workers", "2", "--no-progress"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list((killed / "runs").glob("*.parquet"))) < 4:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    parts_at_kill = len(list((killed / "runs").glob("*.parquet")))
    assert 4 <= parts_at_kill < 20, "the sweep was not interrupted mid-way"
    assert not (killed / "kpis.parquet").exists()
    summary = run_sweep(experiment, killed, workers=2, progress=False)
    assert summary["runs_skipped"] >= parts_at_kill and summary["runs_used"] == 20
    clean = tmp_path / "clean"
    run_sweep(experiment, clean, workers=2, progress=False)
    for name in ("kpis.parquet", "design.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(killed / name),
                                      pd.read_parquet(clean / name))
    a, b = (json.loads((d / "analysis.json").read_text()) for d in (killed, clean))
    assert a == b
    assert len(list((killed / "runs").glob("*.parquet"))) == 20
    assert not list((killed / "runs").glob(".*"))


def test_failing_design_point_is_recorded_and_the_sweep_goes_on(tmp_path):
    experiment = tmp_path / "failing.toml"
    experiment.write_text(SMOKE.read_text().replace("replications = 4", "replications = 2")
                          + '\n[scenarios.year_9999]\nset = { "run.start_date" = 9999-10-01 }\n')
    code = main(["sweep", str(experiment), "--out", str(tmp_path / "out"), "--workers", "2",
                 "--no-progress"])
    assert code == 1
    failures = pd.read_parquet(tmp_path / "out" / "failures.parquet")
    assert sorted(failures["replication"]) == [0, 1]
    assert set(failures["point"]) == {"year_9999"}
    assert failures["traceback"].str.contains("OverflowError").all()
    assert json.loads(failures["config"].iloc[0])["run"]["start_date"] == "9999-10-01"
    kpis = pd.read_parquet(tmp_path / "out" / "kpis.parquet")
    assert set(kpis["point"]) == {"base", "more_beds"} and kpis["replication"].nunique() == 2


def test_bad_experiment_names_file_field_and_value(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "fragmented"\nreplications = 0\n[scenarios.a]\n'
                   'set = { "acute.beds" = -4 }\n')
    assert main(["sweep", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: replications = 0" in err
    bad.write_text('base = "fragmented"\n[scenarios.a]\nset = { "acute.beds" = -4 }\n')
    assert main(["sweep", str(bad)]) == 2
    assert "scenarios.a" in capsys.readouterr().err


def test_oat_design_gives_tornado_rows(tmp_path):
    spec = smoke(replications=2, scenarios={}, design={
        "type": "oat", "parameters": {"acute.beds": {"low": 12, "high": 20},
                                      "crisis.rate_per_person_year": {"relative": 0.25}}})
    plan = resolve(spec, SMOKE)
    assert len(plan.points) == 5 and plan.design["acute.beds"].tolist() == [16, 12, 20, 16, 16]
    run_sweep(spec, tmp_path, workers=2, progress=False, source=SMOKE)
    oat = json.loads((tmp_path / "analysis.json").read_text())["oat"]
    row = next(r for r in oat if r["parameter"] == "crisis.rate_per_person_year"
               and r["kpi"] == "emergency_admissions")
    assert row["low_value"] == pytest.approx(0.267 * 0.75)
    assert row["kpi_at_low"] < row["base_kpi"] < row["kpi_at_high"]
    assert row["swing"] == pytest.approx(row["kpi_at_high"] - row["kpi_at_low"])


def test_mser5_finds_an_initial_transient():
    rng = np.random.default_rng(0)
    days = np.arange(400)
    series = 100 - 60 * np.exp(-days / 15) + rng.normal(0, 2, days.size)
    truncation = mser5(series)
    assert 30 <= truncation["days"] <= 120 and not truncation["at_limit"]
    assert mser5(rng.normal(0, 1, 400))["days"] <= 60


def test_sobol_analysis_recovers_closed_form_of_a_product():
    params = [Param("crisis.rate_per_person_year", *RATE), Param("acute.los_mean_days", *LOS)]
    _, x = generate("sobol", params, n=1024, seed=7)
    y = x[:, 0] * x[:, 1]
    exact = product_sobol_first_order(RATE, LOS)
    rows = sobol_indices(params, y, resamples=500, seed=1)
    for row, s1 in zip(rows, exact):
        assert abs(row["S1"] - s1) <= row["S1_conf"], row
        assert row["S1_conf"] < 0.1
    # total index of A in a product: 1 - S1(B)
    assert abs(rows[0]["ST"] - (1 - exact[1])) <= rows[0]["ST_conf"]


def test_sobol_sweep_on_theory_config_covers_closed_form_occupancy_indices(tmp_path):
    spec = Experiment.model_validate({
        "name": "theory_sobol", "base": "theory/mmc_acute", "set": THEORY, "replications": 1,
        "design": {"type": "sobol", "n": 32, "seed": 11, "parameters": {
            "crisis.rate_per_person_year": {"low": RATE[0], "high": RATE[1]},
            "acute.los_mean_days": {"low": LOS[0], "high": LOS[1]}}},
        "analysis": {"kpis": ["mean_acute_occupancy"], "bootstrap_resamples": 500}})
    run_sweep(spec, tmp_path, workers=2, progress=False, source=SMOKE)
    kpis = pd.read_parquet(tmp_path / "kpis.parquet")
    design = pd.read_parquet(tmp_path / "design.parquet").set_index("point")
    occupancy = kpis[kpis["kpi"] == "mean_acute_occupancy"].set_index("point")["value"]
    offered = (design["crisis.rate_per_person_year"] * 2000 / 365.25
               * design["acute.los_mean_days"]).loc[occupancy.index]
    assert np.corrcoef(occupancy, offered)[0, 1] > 0.98  # occupancy = arrival rate x mean stay
    rows = json.loads((tmp_path / "analysis.json").read_text())["sobol"]
    exact = dict(zip(["crisis.rate_per_person_year", "acute.los_mean_days"],
                     product_sobol_first_order(RATE, LOS)))
    assert len(rows) == 2
    for row in rows:
        assert abs(row["S1"] - exact[row["parameter"]]) <= row["S1_conf"], row
        assert row["S1_conf"] < 0.45  # an interval that says something at n = 32
    assert rows[0]["S1"] > rows[1]["S1"]  # the arrival rate's range matters more (0.74 v 0.23)


def test_dask_local_cluster_gives_same_kpis_as_local_processes(smoke_sweep, tmp_path):
    pytest.importorskip("distributed")
    out, _ = smoke_sweep
    run_sweep(SMOKE, tmp_path, dask="local", workers=2, progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "kpis.parquet"),
                                  pd.read_parquet(out / "kpis.parquet"))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["backend"]["backend"] == "dask" and manifest["backend"]["slots"] == 2


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("*.toml")),
                         ids=lambda p: p.stem)
def test_every_shipped_experiment_validates_and_resolves(path):
    spec = load_experiment(path)
    plan = resolve(spec, path)
    assert plan.points and plan.configs
    if spec.scenarios:
        assert set(plan.configs) == set(spec.scenarios)
