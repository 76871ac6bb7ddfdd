"""Delay by pathway: the survival curve of the wait from medically fit to leaving, the table of
its shape and main cause, and where both appear (``caresim plot`` and the HTML report).

The pure functions are checked against hand computations on hand-made discharge frames; the
figure, the command and the report on the tiny run and compare folders of tests/test_plots.py.
"""

from __future__ import annotations

import html
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from sim import cli, plots
from sim.plots.delays import ALL, delay_reasons
from sim.report import render_report
from sim.report_sections import delay_table

from .test_plots import build_results, legibility_problems

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(scope="session")
def results(tmp_path_factory):
    return build_results(tmp_path_factory.getbasetemp() / "caresim-results")


def hand_frame() -> pd.DataFrame:
    """Six discharges of one scenario over two replications, with the delay split by reason.

    Pathway 0: delays 0, 0.25, 1.5 (discharge process 0.25; assessment 1 + process 0.5);
    pathway 3: delays 2, 4, 10 (funding 1 + capacity 1; capacity 4; dispute 3 +
    capacity 7).
    """
    return pd.DataFrame({
        "replication": [0, 0, 1, 0, 1, 1],
        "pathway": [0, 0, 0, 3, 3, 3],
        "delay_days": [0.0, 0.25, 1.5, 2.0, 4.0, 10.0],
        "delay_assessment_days": [0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
        "delay_funding_decision_days": [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
        "delay_service_capacity_days": [0.0, 0.0, 0.0, 1.0, 4.0, 7.0],
        "delay_dispute_days": [0.0, 0.0, 0.0, 0.0, 0.0, 3.0],
        "delay_discharge_process_days": [0.0, 0.25, 0.5, 0.0, 0.0, 0.0]})


def test_survival_is_the_share_still_waiting_after_each_day():
    delays = [0.0, 0.0, 0.5, 1.5, 3.0]
    at = [0.0, 0.25, 0.5, 1.0, 1.5, 2.9, 3.0, 5.0]
    # hand count of delays strictly greater than each point, out of 5
    assert plots.survival(delays, at) == pytest.approx([3 / 5, 3 / 5, 2 / 5, 2 / 5, 1 / 5,
                                                        1 / 5, 0.0, 0.0])
    assert np.isnan(plots.survival([], [0.0])).all()


def test_survival_starts_at_one_when_nobody_leaves_without_waiting():
    frame = pd.DataFrame({"pathway": [2] * 4, "delay_days": [0.5, 1.0, 2.0, 3.0]})
    curve = plots.survival_by_pathway(frame, upto_days=7)
    assert curve["day"].iloc[0] == 0 and curve["waiting_share"].iloc[0] == 1.0


def test_survival_curves_fall_from_day_zero_to_the_end_of_the_axis(results):
    discharges = plots.load_folder(results["compare"]).stacked("discharges")
    curves = plots.survival_by_pathway(discharges, upto_days=14)
    assert set(curves["scenario"]) == {"fragmented", "pooled"}
    for (_, pathway), curve in curves.groupby(["scenario", "pathway"]):
        assert curve["day"].iloc[0] == 0 and curve["day"].iloc[-1] == 14
        assert curve["day"].is_monotonic_increasing
        assert (np.diff(curve["waiting_share"]) <= 0).all()
        assert curve["waiting_share"].between(0, 1).all()


def test_survival_curve_equals_the_empirical_share_at_every_step():
    curve = plots.survival_by_pathway(hand_frame(), upto_days=7).set_index(
        ["pathway", "day"])["waiting_share"]
    # pathway 0: steps at 0, 0.25, 1.5 (and the axis end); pathway 3: at 0, 2, 4 and 7
    assert curve.loc[0].to_dict() == pytest.approx({0.0: 2 / 3, 0.25: 1 / 3, 1.5: 0.0,
                                                    7.0: 0.0})
    assert curve.loc[3].to_dict() == pytest.approx({0.0: 1.0, 2.0: 2 / 3, 4.0: 1 / 3,
                                                    7.0: 1 / 3})


def test_delay_table_matches_a_hand_computation():
    table = plots.delay_by_pathway(hand_frame()).set_index("group")
    assert list(table.index) == ["P0 home, no new support", "P3 care home", ALL]
    p0, p3, both = table.iloc[0], table.iloc[1], table.iloc[2]
    assert (p0.discharges, p3.discharges, both.discharges) == (3, 3, 6)
    assert p0.delayed_share == pytest.approx(1 / 3)            # only 1.5 is a day or more
    assert p0.mean_delay_days == pytest.approx(1.75 / 3)
    assert p0.mean_delay_delayed_days == pytest.approx(1.5)
    assert p0.p95_delay_days == pytest.approx(0.25 + 0.9 * (1.5 - 0.25))   # linear
    assert p0.main_cause == "assessment" and p0.main_cause_share == pytest.approx(1 / 1.75)
    assert p3.delayed_share == 1.0 and p3.mean_delay_days == pytest.approx(16 / 3)
    assert p3.mean_delay_delayed_days == pytest.approx(16 / 3)
    assert p3.p95_delay_days == pytest.approx(4 + 0.9 * 6)
    assert p3.main_cause == "service_capacity" and p3.main_cause_share == pytest.approx(
        12 / 16)
    assert both.delayed_share == pytest.approx(4 / 6)
    assert both.mean_delay_days == pytest.approx(17.75 / 6)
    assert both.mean_delay_delayed_days == pytest.approx(17.5 / 4)
    assert both.main_cause == "service_capacity" and both.main_cause_share == pytest.approx(
        12 / 17.75)
    assert pd.isna(both.pathway) and p3.pathway == 3


def test_delay_table_says_so_when_nobody_waited():
    frame = hand_frame().assign(delay_days=0.0)
    for column in delay_reasons(frame):
        frame[f"delay_{column}_days"] = 0.0
    row = plots.delay_by_pathway(frame).iloc[0]
    assert row.delayed_share == 0 and np.isnan(row.mean_delay_delayed_days)
    assert row.main_cause == "" and np.isnan(row.main_cause_share)


def test_delay_table_has_a_block_per_scenario_and_reads_every_reason_column():
    frame = pd.concat([hand_frame().assign(scenario="a"),
                       hand_frame().assign(scenario="b", delay_days=1.0)])
    assert delay_reasons(frame) == ["assessment", "funding_decision", "service_capacity",
                                    "dispute", "discharge_process"]
    table = plots.delay_by_pathway(frame)
    assert list(table["scenario"]) == ["a"] * 3 + ["b"] * 3
    assert table.loc[table["scenario"] == "b", "mean_delay_days"].tolist() == [1.0] * 3


def test_figure_has_a_panel_per_scenario_and_a_legend_with_mean_and_n(results):
    folder = plots.load_folder(results["compare"])
    [(kind, fig, note)] = list(plots.figures(folder, ["delay_survival"]))
    assert fig is not None, note
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title(loc="left") for ax in axes] == [
        "fragmented (pooled over 2 replications)", "pooled (pooled over 2 replications)"]
    assert all(ax.get_yscale() == "log" for ax in axes)
    discharges = folder.stacked("discharges")
    frag = discharges[discharges["scenario"] == "fragmented"]
    texts = [t.get_text() for t in axes[0].get_legend().get_texts()]
    for pathway, rows in frag.groupby("pathway"):
        words = plots.delays.pathway_label(pathway)
        assert (f"{words}\nmean {rows['delay_days'].mean():.1f} days, n={len(rows):,}"
                in texts)
    assert "1 day" in kind.caption
    assert legibility_problems(fig) == []


def test_plot_command_writes_the_delay_survival_figure(results, tmp_path, capsys):
    assert cli.main(["plot", str(results["run"]), "--kind", "delay_survival", "--out",
                     str(tmp_path / "figs")]) == 0
    written = tmp_path / "figs" / "delay_survival.png"
    assert written.is_file() and written.stat().st_size > 10_000
    assert str(written) in capsys.readouterr().out


def test_report_shows_the_delay_table_and_figure(results):
    text = render_report(plots.load_folder(results["run"]))
    assert 'id="fig-delay_survival"' in text
    kpis = re.search(r'<section id="kpis">(.*?)</section>', text, re.DOTALL).group(1)
    table = re.search(r"by discharge pathway</h3>(.*?)</table>", kpis, re.DOTALL).group(1)
    cells = [html.unescape(c) for c in re.findall(r"<t[dh](?: [^>]*)?>(.*?)</t[dh]>", table)]
    assert cells[:8] == ["Pathway", "Discharges a year", "Delayed 1 day or more",
                         "Mean delay (days)", "Mean delay of the delayed (days)",
                         "95th percentile (days)", "Main cause (share of delay days)",
                         "P0 home, no new support"]
    assert ALL in cells
    # the all-pathways row: every live discharge in the window, pooled over replications
    run = plots.load_folder(results["run"]).runs[0]
    discharges = run.table("discharges")
    row = cells[cells.index(ALL):cells.index(ALL) + 7]
    assert float(row[1].replace(",", "")) == pytest.approx(
        len(discharges) / run.replications / run.section("run.years"), abs=0.5)
    assert float(row[3]) == pytest.approx(discharges["delay_days"].mean(), abs=0.05)
    assert re.fullmatch(r"[A-Z][a-zA-Z/ ]+ \(\d+%\)", row[6])


def test_compare_report_table_names_each_scenario(results):
    text = delay_table(plots.load_folder(results["compare"]))
    cells = [html.unescape(c) for c in re.findall(r"<t[dh](?: [^>]*)?>(.*?)</t[dh]>", text)]
    assert cells[:2] == ["Scenario", "Pathway"]
    assert cells.count("fragmented") == 1 and cells.count("pooled") == 1
    assert cells.count(ALL) == 2


def test_a_folder_without_discharges_gets_a_note_not_a_crash(results, tmp_path):
    shutil.copytree(results["run"], tmp_path / "old", ignore=shutil.ignore_patterns(
        "discharges.parquet", "events.parquet"))
    folder = plots.load_folder(tmp_path / "old")
    [(_, fig, note)] = list(plots.figures(folder, ["delay_survival"]))
    assert fig is None and "discharges.parquet" in note and "caresim 0.2" in note
    text = render_report(folder)
    assert re.search(r"<b>[a-z_, ]*delay_survival[a-z_, ]*</b> not shown: discharges\.parquet",
                     text)
    assert "discharges.parquet is not in the results folder" in delay_table(folder)
    assert 'id="fig-delay_survival"' not in text
