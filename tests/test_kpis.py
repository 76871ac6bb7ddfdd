"""The KPI registry (sim.kpis) and the per-discharge table a run always writes.

Every KPI a run reports has one registry entry with all its metadata, and the registry has no
entry a run does not report; each value lies in its declared range; the README's KPI table is
the registry's. discharges.parquet has one row per live discharge in the counting window, its
delays by reason sum to its delay, and it agrees with the delay KPIs; events.parquet holds the
flat event log when asked for.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import kpis
from sim.eventlog import COLUMNS, KINDS
from sim.hospital import ARRIVALS
from sim.people import DELAY_REASONS
from tests.conftest import small

README = Path(__file__).resolve().parent.parent / "README.md"
SEED = 3
RANGES = (kpis.NON_NEGATIVE, kpis.SHARE, kpis.SIGNED)


@pytest.fixture(scope="module")
def runs() -> dict[str, sim.Results]:
    """Small places under three arrangements (the pooled one with the full event log)."""
    return {name: sim.run(small(name, people=2000, years=0.5, warmup_days=30),
                          replications=2, seed=SEED, progress=False,
                          event_log=name == "pooled")
            for name in ("fragmented", "pooled", "integrated")}


def test_every_kpi_of_a_run_has_one_registry_entry_and_every_entry_is_reported(runs):
    for name, res in runs.items():
        for rep, group in res.kpis.groupby("replication"):
            assert list(group["kpi"]) == list(kpis.KPIS), (name, rep)


@pytest.mark.parametrize("kpi", list(kpis.KPIS))
def test_every_kpi_has_all_its_metadata(kpi):
    k = kpis.KPIS[kpi]
    assert k.name == kpi
    assert k.unit in kpis.UNITS
    assert k.range in RANGES
    assert callable(k.compute)
    for text in (k.label, k.definition, k.phrase):
        assert text.strip() and "\n" not in text and "|" not in text
    assert "_" not in k.label and "_" not in k.phrase   # words, not a raw key
    assert (k.unit == "£ per year") == kpi.endswith("_gbp")
    assert k.range != kpis.SHARE or k.unit == "share"


def test_each_kpi_value_lies_in_its_declared_range(runs):
    for name, res in runs.items():
        for row in res.kpis.itertuples():
            low, high = kpis.KPIS[row.kpi].range
            assert math.isfinite(row.value), (name, row.kpi)
            assert low <= row.value <= high, (name, row.kpi, row.value)


def test_the_kpi_table_lists_exactly_the_registry_in_order():
    rows = kpis.markdown_table().splitlines()[2:]
    assert [r.split("`")[1] for r in rows] == list(kpis.KPIS)
    assert all(r.count(" | ") == 2 for r in rows)


def test_kpi_names_carry_their_unit():
    """The terminal formats a KPI by its name (sim.textfmt, which must not import the
    registry to keep start-up fast): money ends in _gbp and shares in _share."""
    for name, kpi in kpis.KPIS.items():
        assert name.endswith("_gbp") == (kpi.unit == "£ per year"), name
        assert name.endswith("_share") == (kpi.unit == "share"), name


def test_readme_kpi_table_is_the_registry_table():
    assert kpis.markdown_table() in README.read_text(encoding="utf-8")


def test_delays_by_reason_sum_to_each_discharges_delay(runs):
    for name, res in runs.items():
        d = res.discharges
        assert len(d), name
        by_reason = d[[f"delay_{r}_days" for r in DELAY_REASONS]]
        assert (by_reason >= 0).all().all()
        np.testing.assert_allclose(by_reason.sum(axis=1), d["delay_days"], rtol=0, atol=1e-9,
                                   err_msg=name)


def test_mean_delay_by_pathway_is_the_discharges_mean_on_that_pathway(runs):
    """The four pathway KPIs (place calibration targets) agree with discharges.parquet."""
    for name, res in runs.items():
        d, k = res.discharges, res.kpis
        for (rep, pathway), delays in d.groupby(["replication", "pathway"])["delay_days"]:
            kpi = k[(k["replication"] == rep) & (k["kpi"] == f"mean_delay_p{pathway}_days")]
            assert kpi["value"].item() == pytest.approx(delays.mean(), abs=1e-9), name


def test_discharges_are_the_live_discharges_of_the_counting_window(runs):
    for res in runs.values():
        cfg, d = res.config, res.discharges
        assert d["left_day"].min() >= cfg.run.warmup_days
        np.testing.assert_allclose(d["left_day"] - d["medically_fit_day"], d["delay_days"],
                                   atol=1e-9)
        assert (d["delay_days"] >= 0).all()
        assert set(d["pathway"]) <= {0, 1, 2, 3}
        assert set(d["destination"]) <= set(ARRIVALS)
        assert set(d["payer"]) <= {"", "nhs", "la", "pool", "provider", "self"}
        means = res.kpis[res.kpis["kpi"] == "mean_delay_days"].set_index("replication")
        for rep, group in d.groupby("replication"):
            assert group["delay_days"].mean() == pytest.approx(means.loc[rep, "value"])
        home_care = res.kpis[res.kpis["kpi"] == "mean_delay_home_care_days"]
        assert d.loc[d["destination"] == "home_care"].groupby("replication")[
            "delay_days"].mean().to_numpy() == pytest.approx(home_care["value"].to_numpy())


def test_a_run_always_writes_discharges_and_the_event_log_only_when_asked(runs, tmp_path):
    runs["fragmented"].save(tmp_path / "plain")
    assert (tmp_path / "plain" / "discharges.parquet").is_file()
    assert not (tmp_path / "plain" / "events.parquet").exists()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "plain" / "discharges.parquet"),
                                  runs["fragmented"].discharges, check_dtype=False)

    runs["pooled"].save(tmp_path / "logged")
    events = pd.read_parquet(tmp_path / "logged" / "events.parquet")
    assert list(events.columns) == [*COLUMNS, "replication"]
    assert set(events["kind"]) <= set(KINDS) and "state" in set(events["kind"])
    assert set(events["replication"]) == {0, 1}
    logged = events[(events["kind"] == "discharge")
                    & (events["time_days"] >= runs["pooled"].config.run.warmup_days)]
    assert len(logged) == len(runs["pooled"].discharges)


def test_delay_shape_kpis_agree_with_the_discharge_table(runs):
    """The shape of delays, computed from the event log, is what discharges.parquet says:
    the share delayed a day or more, their mean delay and the share of delayed days in delays
    of a week or more and of three weeks or more; waiting for capacity is the capacity part
    of the delayed bed days."""
    for name, res in runs.items():
        for rep, d in res.discharges.groupby("replication"):
            k = res.kpis[res.kpis["replication"] == rep].set_index("kpi")["value"]
            delay = d["delay_days"].to_numpy()
            assert k["delayed_discharge_share"] == pytest.approx(np.mean(delay >= 1), abs=1e-12)
            assert k["mean_delay_delayed_days"] == pytest.approx(delay[delay >= 1].mean())
            assert k["long_delay_bed_share"] == pytest.approx(
                delay[delay >= 7].sum() / delay.sum())
            assert k["very_long_delay_bed_share"] == pytest.approx(
                delay[delay >= 21].sum() / delay.sum())
            assert 0 <= k["very_long_delay_bed_share"] <= k["long_delay_bed_share"]
            # by bed day: waits of people still in a bed at the end count too (so it is not
            # the discharged stays' share), from the daily delayed-by-reason series
            daily = res.daily[(res.daily["replication"] == rep)
                              & (res.daily["day"] >= res.config.run.warmup_days)]
            by_series = daily.groupby("series")["count"].sum()
            assert k["capacity_delay_share"] == pytest.approx(
                by_series["delayed:service_capacity"] / by_series["acute_delayed"]), name


def test_one_off_charges_count_in_the_period_of_their_day_and_never_before_the_first():
    """A charge made in the warm-up is not a cost of the counting window (it was, before);
    a charge at the horizon is the last period's; a stay is split by the days it overlaps."""
    from sim.costs import split_by_period

    episodes = pd.DataFrame({"start_day": [5.0, 12.0, 20.0, 8.0],
                             "end_day": [5.0, 12.0, 20.0, 14.0],
                             "rate_gbp_per_day": [0.0, 0.0, 0.0, 10.0],
                             "amount_gbp": [100.0, 200.0, 400.0, 0.0]})
    split = split_by_period(episodes, np.array([10.0, 15.0, 20.0]))
    got = {(int(r), int(p)): c for r, p, c in split[["row", "period", "cost_gbp"]].to_numpy()}
    assert got == {(1, 0): 200.0, (2, 1): 400.0, (3, 0): 40.0}
