"""``caresim stress``: a pooled agreement against its baseline over a plausible region.

Issue 15's check of item 5 on a smoke-sized plausible set: a tiny place with a money-only pool,
and a hand-written calibration folder (``calibration.json`` naming two parameters and a
``region.parquet`` sample of them). The tests check the outputs, reproducibility, common
random numbers (a pool that changes no process changes no journey), the summary against an
independent pandas computation from the rows, resuming, the one-line refusals and the
cost-per-QALY statement.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.config import config_text, load_config
from sim.stress import ARMS, fragmented_baseline
from sim.stress_summary import cost_per_qaly

from .test_calibrate import TINY

#: The tiny place's money-only pool. The LA's contribution is close to what the pooled
#: services cost it, so over the draws the agreement costs it more in some and less in others.
POOL = {**TINY, "funding.pool.nhs_contribution_gbp_per_year": 200_000.0,
        "funding.pool.la_contribution_gbp_per_year": 2_410_000.0,
        "budgets.rationing.mode": "off"}   # no rationing: the pool changes nothing but who pays
PARAMS = {"crisis.rate_per_person_year": (0.2, 0.3), "acute.los_mean_days": (5.0, 8.0)}


def write_plausible(folder: Path, params: dict = PARAMS, rows: int = 60) -> Path:
    """A calibration folder as `caresim calibrate` leaves it (the parts stress reads)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(3)
    region = pd.DataFrame({p: rng.uniform(lo, hi, rows) for p, (lo, hi) in params.items()})
    region["implausibility"] = rng.uniform(0, 3, rows)
    region.to_parquet(folder / "region.parquet")
    (folder / "calibration.json").write_text(json.dumps(
        {"params": {p: {"low": lo, "high": hi} for p, (lo, hi) in params.items()}}))
    return folder


@pytest.fixture(scope="module")
def place(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stress")
    config = root / "pool.toml"
    config.write_text(config_text(load_config("pooled_money_only", POOL), ["a tiny pool"], {}))
    return {"root": root, "config": config, "plausible": write_plausible(root / "cal")}


def stress_args(place: dict, out: Path, *extra: str) -> list[str]:
    return ["stress", str(place["config"]), "--plausible", str(place["plausible"]),
            "--out", str(out), "--workers", "1", "--no-progress", *extra]


@pytest.fixture(scope="module")
def finished(place) -> Path:
    """One stress test: 6 draws x 2 replications x 2 arms."""
    out = place["root"] / "out"
    assert main(stress_args(place, out, "--draws", "6", "--replications", "2")) == 0
    return out


def test_stress_writes_rows_summary_and_a_self_contained_page(finished):
    rows = pd.read_parquet(finished / "stress.parquet")
    assert len(rows) == 6 * 2 * 2
    assert set(rows["arm"]) == set(ARMS) and set(rows["replication"]) == {0, 1}
    assert {*PARAMS, "paid_nhs_gbp", "paid_la_gbp", "risk_share_nhs_gbp",
            "delayed_bed_days", "qalys"} <= set(rows.columns)
    for p, (lo, hi) in PARAMS.items():
        assert rows[p].between(lo, hi).all()
    summary = json.loads((finished / "stress.json").read_text())
    assert set(summary["partners"]) == {"nhs", "la"}
    page = (finished / "stress.html").read_text()
    assert page.count('src="data:image/png;base64,') == 2       # one figure per partner
    assert "src=\"http" not in page and "<script" not in page    # works without a server
    for words in ("The NHS (ICB)", "The local authority", "costs the local authority more",
                  "Cost per QALY"):
        assert words in page


def test_the_summary_is_the_rows_percentiles_and_shares(finished):
    rows = pd.read_parquet(finished / "stress.parquet")
    summary = json.loads((finished / "stress.json").read_text())
    means = rows.groupby(["draw", "arm"]).mean(numeric_only=True)
    arrangement, baseline = means.xs("arrangement", level="arm"), means.xs("baseline",
                                                                            level="arm")
    for partner in ("nhs", "la"):
        change = arrangement[f"paid_{partner}_gbp"] - baseline[f"paid_{partner}_gbp"]
        got = summary["partners"][partner]
        for level, q in (("p10", .1), ("p50", .5), ("p90", .9)):
            assert got["paid_change_gbp"][level] == pytest.approx(change.quantile(q))
            assert got["top_up_gbp"][level] == pytest.approx(
                arrangement[f"risk_share_{partner}_gbp"].quantile(q))
        assert got["p_pays_more"] == pytest.approx((change > 0).mean())
    la = summary["partners"]["la"]["p_pays_more"]
    assert 0 < la < 1, "the LA's contribution is set so that the draws fall on both sides"
    days = arrangement["delayed_bed_days"] - baseline["delayed_bed_days"]
    assert summary["delayed_bed_days_change"]["p50"] == pytest.approx(days.quantile(.5))
    rationed = summary["pool"]["rationed_decisions"]["arrangement"]["p90"]
    assert rationed == pytest.approx(arrangement["rationed_decisions"].quantile(.9))


def test_a_money_only_pool_changes_no_journey_within_a_draw(finished):
    rows = pd.read_parquet(finished / "stress.parquet")
    wide = rows.pivot_table(index=["draw", "replication"], columns="arm",
                            values=["delayed_bed_days", "qalys", "total_cost_gbp"])
    assert (wide[("delayed_bed_days", "arrangement")]
            == wide[("delayed_bed_days", "baseline")]).all()
    assert (wide[("qalys", "arrangement")] == wide[("qalys", "baseline")]).all()
    # the draws differ (the parameters move the place), the arms within a draw do not
    assert wide[("delayed_bed_days", "baseline")].nunique() > 1
    summary = json.loads((finished / "stress.json").read_text())
    assert summary["delayed_bed_days_change"] == {"p10": 0.0, "p50": 0.0, "p90": 0.0,
                                                  "mean": 0.0}


def test_no_cost_per_qaly_when_qalys_do_not_move(finished):
    summary = json.loads((finished / "stress.json").read_text())
    cpq = summary["cost_per_qaly"]
    assert cpq["meaningful"] is False and "includes 0" in cpq["statement"]
    assert "QALYs do not move enough for a cost per QALY to mean anything" in \
        (finished / "stress.html").read_text()


def test_cost_per_qaly_is_the_ratio_per_draw_when_qalys_move():
    cost = pd.Series([100.0, 300.0, 200.0, 500.0, 50.0])
    qalys = pd.Series([1.0, 2.0, 0.5, 4.0, 1.0])
    got = cost_per_qaly(cost, qalys)
    ratio = cost / qalys
    assert got["meaningful"] is True
    assert got["p50"] == pytest.approx(ratio.quantile(.5))
    assert got["p10"] == pytest.approx(ratio.quantile(.1))
    assert got["ratio_of_means"] == pytest.approx(cost.mean() / qalys.mean())
    lost = cost_per_qaly(cost, -qalys)
    assert lost["meaningful"] is False and "loses QALYs" in lost["statement"]


def test_the_same_seed_gives_the_same_summary(place, tmp_path):
    summaries = []
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        assert main(stress_args(place, tmp_path / name, "--draws", "3", "--seed", seed)) == 0
        summary = json.loads((tmp_path / name / "stress.json").read_text())
        summary.pop("runs")
        summaries.append(summary)
    assert summaries[0] == summaries[1]
    assert summaries[0]["partners"] != summaries[2]["partners"]


def test_a_rerun_skips_finished_runs(place, tmp_path):
    out = tmp_path / "out"
    args = stress_args(place, out, "--draws", "2")
    assert main(args) == 0
    first = json.loads((out / "stress.json").read_text())
    assert first["runs"]["runs_done"] == 4
    parts = sorted((out / "runs" / "runs").glob("*.parquet"))
    parts[0].unlink()                                   # as if killed before that run ended
    assert main(args) == 0
    again = json.loads((out / "stress.json").read_text())
    assert (again["runs"]["runs_done"], again["runs"]["runs_skipped"]) == (1, 3)
    again.pop("runs"), first.pop("runs")
    assert again == first


@pytest.mark.parametrize("case, expected", [
    ("missing", "--plausible {dir}: no such folder"),
    ("no_region", "--plausible {dir}: has no region.parquet"),
    ("unknown", "parameter 'acute.no_such_field' of the calibration is not a config field"),
    ("draws", "--draws: expected a whole number from 1"),
    ("bad_value", "--plausible {dir}: region.parquet: pooled_money_only: acute.los_mean_days "
                  "= -1.0: Input should be greater than 0"),
])
def test_bad_input_is_one_line_and_exit_2(place, tmp_path, capsys, case, expected):
    plausible = tmp_path / "cal"
    if case == "no_region":
        write_plausible(plausible).joinpath("region.parquet").unlink()
    elif case == "unknown":
        write_plausible(plausible, {**PARAMS, "acute.no_such_field": (1.0, 2.0)})
    elif case == "bad_value":   # a region sample below a field's bound
        write_plausible(plausible, {"acute.los_mean_days": (-1.0, -1.0)})
    elif case != "missing":
        plausible = place["plausible"]
    args = ["stress", str(place["config"]), "--plausible", str(plausible),
            "--out", str(tmp_path / "out"), "--workers", "1", "--no-progress"]
    if case == "draws":
        args += ["--draws", "0"]
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected.format(dir=plausible) in err
    assert not (tmp_path / "out").exists()


def test_the_baseline_is_the_place_funded_as_today():
    pool = load_config("pooled", {**TINY, "assessment.nhs_assessors": 7,
                                  "decision.panel_weekdays": ["Tue"],
                                  "intermediate_care.beds": 9, "end_of_life.slots": 3})
    base = fragmented_baseline(pool)
    fragmented = load_config("fragmented")
    assert base.funding == fragmented.funding          # no pool, no joint process
    assert base.decision.panel_weekdays == fragmented.decision.panel_weekdays
    assert base.assessment.nhs_assessors == 7           # the place's own figures are kept,
    # capacities an arrangement config buys (integrated's intermediate-care beds and
    # end-of-life places) included: the default's figures are not this place's
    assert (base.intermediate_care.beds, base.end_of_life.slots) == (9, 3)
    assert base.population == pool.population and base.budgets == pool.budgets


def test_a_baseline_config_replaces_today_s_funding(place, tmp_path):
    baseline = tmp_path / "today.toml"
    today = load_config("fragmented", {**POOL, "funding.pool.nhs_contribution_gbp_per_year": 0.0,
                                       "funding.pool.la_contribution_gbp_per_year": 0.0})
    baseline.write_text(config_text(today, ["the place today"], {}))
    out = tmp_path / "out"
    assert main(stress_args(place, out, "--draws", "1", "--baseline", str(baseline))) == 0
    assert load_config(out / "baseline.toml") == today
    rows = pd.read_parquet(out / "stress.parquet").set_index("arm")
    assert rows.loc["baseline", "contribution_la_gbp"] == 0.0
    assert rows.loc["arrangement", "contribution_la_gbp"] > 0.0
