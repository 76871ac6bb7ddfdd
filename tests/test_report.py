"""The HTML report and the plot/report commands, including a real headless-browser check.

The browser test needs Debian's Chromium (``apt-get install -y chromium``) and the Python
``playwright`` package; it never downloads a browser. It saves the first screen of the report
to ``test-artifacts/report-first-screen.png``.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim import plots
from sim.report import add_subcommands, render_report, write_plots, write_report

from .test_plots import build_results

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
EXTERNAL = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//"""
                      r"""|url\(\s*["']?\s*(?:https?:)?//|@import""", re.IGNORECASE)


@pytest.fixture(scope="session")
def results(tmp_path_factory):
    return build_results(tmp_path_factory.getbasetemp() / "caresim-results")


@pytest.fixture(scope="session")
def reports(results, tmp_path_factory):
    """One report per folder kind, written once."""
    out = tmp_path_factory.mktemp("reports")
    return {kind: write_report(path, out / f"{kind}.html") for kind, path in results.items()}


def _cli(argv):
    parser = argparse.ArgumentParser(prog="caresim")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_detects_run_compare_and_sweep(results, tmp_path):
    assert {k: plots.detect_kind(p) for k, p in results.items()} == {
        "run": "run", "compare": "compare", "sweep": "sweep"}
    with pytest.raises(plots.ResultsError, match="no such folder"):
        plots.detect_kind(tmp_path / "missing")
    with pytest.raises(plots.ResultsError, match="not a caresim results folder"):
        plots.detect_kind(tmp_path)


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_report_is_one_self_contained_file(reports, kind):
    path = reports[kind]
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(text), EXTERNAL.search(text)
    assert "<script" not in text and "<link" not in text and "<iframe" not in text
    srcs = re.findall(r'src="([^"]*)"', text)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    for heading in ("Scenarios", "Key findings", "Figures", "KPI tables",
                    "Cost-shifting account", "Resolved configs", "STRESS-DES"):
        assert heading in text
    for item in ("1.1 Purpose of the model", "2.5 Components", "3.3 Input parameters",
                 "4.1 Initialisation", "4.3 Estimation approach", "5.2 Random sampling"):
        assert item in text
    assert "could not be drawn" not in text
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_compare_report_content(reports):
    text = reports["compare"].read_text()
    assert len(re.findall(r"<figure ", text)) == 10
    assert re.search(r"Pooled (reduced|increased|made no clear difference to) delayed bed days "
                     r"per year", text)
    assert "versus fragmented" in text and "95% CI" in text
    assert "What differs between scenarios" in text and "funding.pool.scope" in text
    assert text.count("<details><summary>Resolved config:") == 2
    assert "Shifted to another body" in text
    assert "<b>tornado, sobol, morris, lhs_scatter</b> not shown: sensitivity figures" in text
    assert " pp (" in text                                   # share KPIs differ in points


def test_run_report_sentences_come_from_the_numbers(results, reports):
    text = reports["run"].read_text()
    summary = plots.load_folder(results["run"]).runs[0].kpi_summary().set_index("kpi")
    admissions = summary.loc["emergency_admissions", "mean"]
    assert f"there were {admissions:,.0f} (95% CI" in text
    assert "against plan" in text                             # budget sentence
    assert "<b>destinations</b>" in text and "<b>forest</b> not shown" in text


def test_sweep_report(reports, results, tmp_path):
    text = reports["sweep"].read_text()
    for kind in ("tornado", "sobol", "morris", "lhs_scatter", "forest"):
        assert f'id="fig-{kind}"' in text
    assert "One at a time, funding.pool.la_contribution_gbp_per_year moved" in text
    assert "total-order Sobol index" in text
    # a sweep folder with only kpis + design still reports, with notes instead of figures
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ("kpis.parquet", "design.parquet"):
        shutil.copy(results["sweep"] / name, partial / name)
    text = render_report(plots.load_folder(partial))
    assert "analysis.json is missing" in text and 'id="fig-lhs_scatter"' in text
    assert "<b>tornado</b> not shown" in text


def test_plot_command_writes_files(results, tmp_path, capsys):
    assert _cli(["plot", str(results["compare"]), "--kind", "bed_use", "--kind", "forest",
                 "--out", str(tmp_path / "figs")]) == 0
    written = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert written == ["bed_use.png", "forest.png"]
    assert all((tmp_path / "figs" / n).stat().st_size > 10_000 for n in written)
    assert _cli(["plot", str(results["run"]), "--kind", "forest", "--kind", "cost_shifting",
                 "--format", "svg", "--out", str(tmp_path / "svg")]) == 0
    assert [p.name for p in (tmp_path / "svg").iterdir()] == ["cost_shifting.svg"]
    assert "forest: skipped" in capsys.readouterr().err
    paths = write_plots(results["sweep"], tmp_path / "pdf", kinds=["sobol"], fmt="pdf")
    assert paths[0].read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("command", ["plot", "report"])
def test_commands_fail_cleanly_on_a_bad_folder(command, tmp_path, capsys):
    assert _cli([command, str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such folder" in err and "Traceback" not in err
    (tmp_path / "empty").mkdir()
    assert _cli([command, str(tmp_path / "empty")]) == 2
    assert "not a caresim results folder" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "kpis.parquet").write_text("not parquet")
    (broken / "summary.json").write_text("{}")
    assert _cli([command, str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read" in err


def test_report_command_default_path(results, tmp_path, capsys):
    target = tmp_path / "run"   # a run folder with only the small tables: quick to report
    shutil.copytree(results["run"], target, ignore=shutil.ignore_patterns(
        "daily.parquet", "monthly_*.parquet", "events.parquet", "budgets.parquet"))
    assert _cli(["report", str(target)]) == 0
    assert (target / "report.html").is_file()
    assert capsys.readouterr().out.strip() == str(target / "report.html")


def test_report_in_headless_chromium(reports):
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (apt-get install -y chromium); browser check "
                    "skipped")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed")
    errors, requests = [], []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(reports["compare"].resolve().as_uri(), wait_until="load")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report-first-screen.png"))
            images = page.locator("figure img")
            assert images.count() == 10
            for i in range(images.count()):
                img = images.nth(i)
                img.scroll_into_view_if_needed()
                assert img.is_visible()
                box = img.bounding_box()
                assert box and box["width"] > 300 and box["height"] > 100
                assert img.evaluate("e => e.complete && e.naturalWidth > 0 && "
                                    "e.naturalHeight > 0")
            page.locator("details summary").first.click()
            assert page.locator("details pre").first.is_visible()
        finally:
            browser.close()
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert (ARTIFACTS / "report-first-screen.png").stat().st_size > 5_000


OAT_EXPERIMENT = """
name = "tiny_oat"
base = "fragmented"
seed = 2
replications = 2
store = ["kpis"]

[set]
"population.size" = 1500
"population.entrants_per_year" = 90
"acute.escalation_beds" = 1
"care_homes.beds" = 70
"home_care.capacity_hours_per_week" = 750
"intermediate_care.beds" = 2
"assessment.la_social_workers" = 1
"assessment.nhs_assessors" = 1
"avoidance.urgent_response_slots" = 1
"run.years" = 0.5
"run.warmup_days" = 30

[design]
type = "oat"

[design.parameters]
"acute.beds" = { low = 10, high = 14 }
"reablement.places" = { low = 5, high = 9 }
"""


def test_report_of_a_real_oat_sweep(tmp_path):
    """The reader matches what sim.sweep really writes (a 5-point OAT sweep, 10 tiny runs)."""
    sweep = pytest.importorskip("sim.sweep")
    spec = tmp_path / "tiny_oat.toml"
    spec.write_text(OAT_EXPERIMENT)
    sweep.run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    folder = plots.load_folder(tmp_path / "out")
    assert folder.kind == "sweep" and folder.sweep.parameters == ["acute.beds",
                                                                  "reablement.places"]
    text = render_report(folder)
    assert 'id="fig-tornado"' in text and "could not be drawn" not in text
    assert "One at a time, " in text
    assert "Resolved config: base" in text and "2 replications per scenario" in text


def test_lever_sentences_appear_only_for_levers_that_acted():
    from sim import report_text
    summary = pd.DataFrame({"kpi": ["beds_closed", "reinvested_gbp", "case_managed_mean",
                                    "statutory_risk_days", "risk_share_nhs_gbp",
                                    "risk_share_la_gbp"],
                            "mean": [12.0, 2.5e6, 0.0, 3.0, 4.0e5, -1.0e5]}).set_index("kpi")
    sentences = report_text.lever_findings(summary, lambda k: f"<{k}>")
    text = " ".join(sentences)
    assert "closed 12.0 acute beds" in text
    assert "<reinvested_gbp> of cash underspend" in text
    assert "<statutory_risk_days> days a year" in text
    assert "The NHS topped up" in text
    assert "case-managed" not in text and "local authority topped up" not in text
