"""Tests of the ``caresim`` command line, run in-process through ``sim.cli.main``."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import sim.experiments
from sim import cli, plots, report, textfmt
from sim.cli import figures
from sim.config import leaf_fields

#: A tiny run (~0.2 s per replication): small population, short horizon, scaled capacities.
TINY = [
    "--replications", "2", "--quiet",
    "--set", "population.size=2000", "--set", "run.years=0.3", "--set", "run.warmup_days=10",
    "--set", "population.entrants_per_year=120", "--set", "acute.beds=20",
    "--set", "care_homes.beds=100", "--set", "home_care.capacity_hours_per_week=1000",
    "--set", "intermediate_care.beds=3", "--set", "reablement.places=10",
    "--set", "assessment.la_social_workers=2", "--set", "assessment.nhs_assessors=2",
    "--set", "avoidance.urgent_response_slots=2",
]
RESULT_FILES = {"daily.parquet", "monthly_costs.parquet", "budgets.parquet",
                "cost_shifting.parquet", "summary.json", "manifest.json"}


def test_run_writes_complete_results_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "fragmented", *TINY]) == 0
    [out] = list((tmp_path / "results").iterdir())
    assert out.name.startswith("fragmented-")
    assert RESULT_FILES <= {p.name for p in out.iterdir()}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"] == "fragmented" and summary["replications"] == 2
    assert summary["kpis"] and all(set(v) == {"mean", "ci_low", "ci_high"}
                                   for v in summary["kpis"].values())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["population"]["size"] == 2000
    assert len(pd.read_parquet(out / "daily.parquet")) > 0
    printed = capsys.readouterr().out
    assert f"results written to {out.relative_to(tmp_path)}" in printed
    assert "total_cost_gbp" in printed and "£" in printed and "%" in printed


def test_run_kpi_table_formats_money_shares_and_counts():
    assert textfmt.number("total_cost_gbp", 1234567.8) == "£1,234,568"
    assert textfmt.number("total_cost_gbp", -5000.0, signed=True) == "-£5,000"
    assert textfmt.number("delayed_bed_share", 0.0734) == "7.3%"
    assert textfmt.number("delayed_bed_share", 0.012, signed=True) == "+1.2 pp"
    assert textfmt.number("acute_bed_days", 12345.6) == "12,346"
    assert textfmt.number("mean_delay_days", 0.734) == "0.73"
    assert textfmt.number("deaths", 0.0, signed=True) == "0.00"
    assert textfmt.number("deaths", float("nan")) == "n/a"
    assert textfmt.compact("total_cost_gbp", -83_149_000.0) == "-£83.1m"
    assert textfmt.percent_interval(-12.04, 3.1) == "-12.0% – +3.1%"
    assert textfmt.percent_interval(float("nan"), 3.1) == "n/a"
    assert [textfmt.seconds(s) for s in (45, 720, 9000)] == ["45 s", "12 min", "2.5 h"]


def test_plot_choices_without_matplotlib_are_the_figure_kinds_and_formats():
    assert list(figures.FIGURE_KINDS) == list(plots.KINDS)
    assert figures.FORMATS == report.FORMATS


def test_set_override_is_validated_like_the_file(tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(["run", "fragmented", *TINY, "--set", "acute.beds=-5", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "acute.beds = -5: Input should be greater than 0" in err
    assert not out.exists()


def test_flags_override_run_section(tmp_path):
    out = tmp_path / "out"
    assert cli.main(["run", "fragmented", *TINY, "--years", "0.2", "--seed", "7",
                     "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["config"]["run"]["years"] == 0.2


def test_compare_prints_paired_differences(tmp_path, capsys):
    variant = tmp_path / "variant.toml"
    variant.write_text('name = "variant"\n[assessment]\nseparate_assessments = 1\n')
    out = tmp_path / "cmp"
    assert cli.main(["compare", "fragmented", str(variant), *TINY, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "variant vs fragmented" in printed
    for column in ("base mean", "scenario mean", "difference", "95% CI of difference", "change"):
        assert column in printed
    assert "delayed_bed_days" in printed and "total_cost_gbp" in printed
    assert {"fragmented", "variant"} <= {p.name for p in out.iterdir()}
    assert RESULT_FILES <= {p.name for p in (out / "variant").iterdir()}
    diffs = pd.read_csv(out / "paired_differences.csv")
    assert set(diffs["scenario"]) == {"variant"}
    assert len(pd.read_parquet(out / "paired_differences.parquet")) == len(diffs)


def test_compare_of_a_config_with_itself_gives_zero_differences(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert cli.main(["compare", "fragmented", "fragmented", *TINY, "--out", str(out)]) == 0
    diffs = pd.read_parquet(out / "paired_differences.parquet")
    # common random numbers: every KPI is the same, or undefined in both (no one to count, e.g.
    # no reablement discharge followed up for 91 days in so short a run)
    undefined = diffs["base_mean"].isna() & diffs["scenario_mean"].isna()
    assert ((diffs["difference"] == 0) | undefined).all()
    assert not undefined.all()
    assert {"fragmented", "fragmented-2"} <= {p.name for p in out.iterdir()}


def test_compare_several_arrangements_with_chosen_kpis(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # saves to results/compare-... by default
    assert cli.main(["compare", "fragmented", "pooled_money_only", "integrated", *TINY,
                     "--kpis", "delayed_bed_days,total_cost_gbp"]) == 0
    printed = capsys.readouterr().out
    assert "integrated vs fragmented" in printed and "pooled_money_only vs fragmented" in printed
    assert "emergency_admissions" not in printed            # only the chosen KPIs
    overview = printed[printed.index("change against fragmented"):]
    lines = overview.splitlines()
    assert lines[1].split() == ["kpi", "fragmented", "pooled_money_only", "integrated"]
    assert [line.split()[0] for line in lines[3:5]] == ["delayed_bed_days", "total_cost_gbp"]
    diffs = pd.read_parquet(next((tmp_path / "results").iterdir()) / "paired_differences.parquet")
    shown = []
    for line in lines[3:5]:  # each cell: the % change with its in-range 95% interval, or
        kpi = line.split()[0]  # the absolute difference and its interval where none exists
        row = diffs[diffs["kpi"] == kpi].set_index("scenario")
        for name in ("pooled_money_only", "integrated"):
            r = row.loc[name]
            span = textfmt.percent_interval(r.percent_low, r.percent_high)
            if span != "n/a":
                assert f"{textfmt.percent(r.percent_change)} ({span})" in line
                assert r.percent_low >= -100
                shown.append(kpi)
            else:
                assert (f"{textfmt.compact(kpi, r.difference, True)} ("
                        f"{textfmt.compact(kpi, r.ci_low, True)} – "
                        f"{textfmt.compact(kpi, r.ci_high, True)})") in line
    assert "total_cost_gbp" in shown


def test_compare_rejects_an_unknown_kpi(capsys):
    assert cli.main(["compare", "fragmented", "pooled", "--kpis", "beds_saved"]) == 2
    assert "unknown KPI beds_saved" in capsys.readouterr().err


def test_validate_ok(capsys):
    assert cli.main(["validate", "fragmented", "--set", "acute.beds=300"]) == 0
    assert capsys.readouterr().out.strip() == "ok: fragmented"


def test_validate_reports_every_file_and_fails_if_any_is_bad(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[acute]\nbeds = -5\n")
    assert cli.main(["validate", "fragmented", str(bad)]) == 2
    captured = capsys.readouterr()
    assert "ok: fragmented" in captured.out
    assert f"{bad}: acute.beds = -5" in captured.err


def test_validate_schema_lists_every_field(capsys):
    assert cli.main(["validate", "--schema"]) == 0
    printed = capsys.readouterr().out
    # `path = default`, or `# path = example` for a field unset by default
    starts = {line.removeprefix("# ").split(" = ", 1)[0] for line in printed.splitlines()
              if " = " in line}
    for path, info in leaf_fields():
        assert path in starts
        assert info.description in printed


SPLIT = "[[0.8, 0.28, 0.015, 0.005], [0.5, 0.45, 0.04, 0.01], [0.35, 0.55, 0.07, 0.03], " \
        "[0.25, 0.6, 0.1, 0.05]]"
BAD_INPUTS = {
    # case: (file content or None, extra args, text every problem line must contain)
    "missing file": (None, [], ["nope.toml", "not found"]),
    "folder": ("FOLDER", [], ["is a folder"]),
    "bad toml": ("[acute\nbeds = 3\n", [], ["not valid TOML", "line 1"]),
    "unknown key": ("[acute]\nbedz = 3\n", [], ["acute.bedz", "3", "unknown field"]),
    "wrong type": ('[acute]\nbeds = "many"\n', [], ["acute.beds", "'many'"]),
    "negative capacity": ("[acute]\nbeds = -5\n", [], ["acute.beds", "-5"]),
    "split not summing to 1": (f"[pathways]\nsplit_by_frailty = {SPLIT}\n", [],
                               ["pathways.split_by_frailty[0]", "[0.8, 0.28, 0.015, 0.005]",
                                "sum to 1", "1.1"]),
    "probability above 1": ("[chc]\neligible_share = 1.5\n", [],
                            ["chc.eligible_share", "1.5"]),
    "set without =": ("", ["--set", "acute.beds"], ["--set", "acute.beds", "key=value"]),
    "set of unknown key": ("", ["--set", "acute.bedz=3"], ["acute.bedz", "3", "unknown field"]),
    "set with empty key": ("", ["--set", "=3"], ["--set", "=3", "empty"]),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_gives_one_line_error_naming_the_field(tmp_path, monkeypatch, capsys,
                                                         case, command):
    content, extra, expected = BAD_INPUTS[case]
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "nope.toml"
    if content == "FOLDER":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    code = cli.main([command, "nope.toml", *extra])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert code == 2
    assert "Traceback" not in text
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    for part in expected:
        assert part in lines[0]
    if content not in (None, "FOLDER") and not extra:
        assert lines[0].startswith("nope.toml:")
    assert not (tmp_path / "results").exists()


def test_bad_out_folder_is_refused_before_running(tmp_path, capsys):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete")
    assert cli.main(["run", "fragmented", *TINY, "--out", str(precious)]) == 2
    assert "a folder that is not caresim's (thesis.tex)" in capsys.readouterr().err
    assert [p.name for p in precious.iterdir()] == ["thesis.tex"]


def test_failed_run_leaves_no_results_folder(tmp_path, monkeypatch):
    calls = []
    original = pd.DataFrame.to_parquet

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk exploded")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", flaky)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="disk exploded"):  # a bug, not a user mistake
        cli.main(["run", "fragmented", *TINY, "--out", str(out)])
    assert len(calls) == 3
    assert list(tmp_path.iterdir()) == []  # neither the folder nor a temporary one


def test_failed_compare_save_leaves_no_results_folder(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)  # after both runs were saved
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["compare", "fragmented", "fragmented", *TINY, "--out", str(tmp_path / "c")])
    assert list(tmp_path.iterdir()) == []


def test_interrupt_exits_130_without_results(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.experiments, "run", interrupted)
    out = tmp_path / "out"
    assert cli.main(["run", "fragmented", *TINY, "--out", str(out)]) == 130
    assert "interrupted; no results written" in capsys.readouterr().err
    assert not out.exists()


def test_version_and_help(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("caresim ")
    assert cli.main([]) == 0
    printed = capsys.readouterr().out
    assert all(command in printed for command in ("run", "compare", "validate"))


def test_usage_errors_exit_2(capsys):
    assert cli.main(["compare", "fragmented"]) == 2
    assert cli.main(["run", "fragmented", "--replications", "0"]) == 2
    assert cli.main(["validate"]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("command", ["plot", "report"])
def test_plot_and_report_help_say_what_results_dir_may_be(capsys, command):
    assert cli.main([command, "--help"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert ("a folder written by caresim run, compare, sweep or case (e.g. results/pooled, "
            "results/sweeps/smoke, results/cases/torbay)") in printed
    assert "--overwrite" in printed
    if command == "plot":
        assert ("(default RESULTS_DIR/plots; caresim's own figures of the same name are "
                "replaced)") in printed
