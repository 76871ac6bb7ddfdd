"""The HTML report and the plot/report commands, including a real headless-browser check.

The browser tests need Debian's Chromium (``apt-get install -y chromium``; found on PATH or at
/usr/bin/chromium) and the Python ``playwright`` package; they never download a browser.
Locally a missing browser skips them with the reason; in CI (``CI=true``) it fails them. They
save a screenshot of each section of a four-scenario report under ``test-artifacts/``.
"""

from __future__ import annotations

import html
import importlib
import os
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim import cli, kpis, plots, stats, sweep
from sim.report import render_report, write_plots, write_report

from .test_plots import build_compare4, build_results

pytestmark = pytest.mark.filterwarnings("error")
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
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


@pytest.fixture(scope="session")
def report4(tmp_path_factory):
    """The report of the four arrangements compared over 5 replications, written once."""
    folder = build_compare4(tmp_path_factory.getbasetemp() / "caresim-compare4")
    return write_report(folder, tmp_path_factory.mktemp("report4") / "compare4.html")


def section(text: str, name: str) -> str:
    """The plain text of one report section."""
    body = re.search(rf'<section id="{name}">(.*?)</section>', text, re.DOTALL).group(1)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def browser():
    """(playwright.sync_api, Chromium path); skipped locally when missing, failed in CI."""
    chromium = shutil.which("chromium") or (
        str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.exists() else None)
    try:
        sync_api = importlib.import_module("playwright.sync_api")
    except ImportError:
        sync_api = None
    missing = ("Chromium is not installed (apt-get install -y chromium)" if chromium is None
               else "the playwright package is not installed" if sync_api is None else None)
    if missing:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{missing}: CI must run the browser test")
        pytest.skip(f"{missing}; browser check skipped (it fails instead when CI=true)")
    return sync_api, chromium


def _cli(argv):
    return cli.main(argv)


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
    assert len(re.findall(r"<figure ", text)) == 11
    findings = section(text, "findings")
    assert re.search(r"Delayed bed days a year \(medically fit, still in an acute bed\): "
                     r"[\d,]+ under fragmented; pooled [\d,]+ \([+-][\d.]+%\)", findings)
    assert "What differs between scenarios" in text
    assert "funding.pool.scope" in text.replace("<wbr>", "")
    assert text.count("<details><summary>Resolved config:") == 2
    assert "Shifted to another body" in text
    assert "<b>tornado, sobol, morris, lhs_scatter</b> not shown: sensitivity figures" in text
    assert " pp<" in text                                    # share KPIs differ in points


def test_compare_report_has_an_outcomes_table_for_every_arrangement(reports):
    from sim.kpis_outcomes import OUTCOME_KPIS
    text = reports["compare"].read_text()
    outcomes = section(text, "outcomes")
    for kpi in OUTCOME_KPIS:
        assert kpi.label in outcomes, kpi.name
    assert "fragmented" in outcomes and "pooled" in outcomes
    assert "Cash per QALY against the base" in outcomes
    assert re.search(r"per QALY gained|no QALY gained|gains QALYs", outcomes)
    assert '<section id="outcomes">' not in reports["run"].read_text()   # comparisons only


def test_too_few_replications_show_no_intervals_and_say_so(reports):
    text = reports["compare"].read_text()              # 2 replications
    assert "Intervals not shown: too few replications (n=2)" in section(text, "findings")
    assert "Intervals not shown: too few replications (n=2)" in section(text, "kpis")
    assert "95% CI" not in section(text, "findings") and 'class="ci"' not in text


def test_a_compare_folder_from_before_the_percent_interval_gets_it_from_its_runs(results,
                                                                                  tmp_path):
    old = tmp_path / "old"
    shutil.copytree(results["compare"], old)
    paired = pd.read_parquet(old / "paired_differences.parquet")
    paired.drop(columns=["percent_low", "percent_high", "replications"]).to_parquet(
        old / "paired_differences.parquet", index=False)
    recomputed = plots.load_folder(old).paired
    pd.testing.assert_frame_equal(recomputed, paired, check_like=True)


def test_cash_findings_state_the_total_and_where_money_moved(report4):
    findings = section(report4.read_text(), "findings")
    assert re.search(r"Cash paid by all payers a year: £[\d.]+m under fragmented; pooled "
                     r"£[\d.]+m \([+-]", findings)
    assert re.search(r"Under pooled, the pooled fund pays £[\d.]+[mk] more \(nothing under "
                     r"fragmented\), the local authority £[\d.]+[mk] less \(nothing now\)",
                     findings)
    assert re.search(r"Under integrated, the integrated provider pays £[\d.]+[mk] more",
                     findings)
    assert "moved between payers, a transfer and not a saving" in findings
    # a transfer is never called a reduction or a saving
    assert not re.search(r"(reduc|cut|sav)\w*[^.;]*(local.authority|NHS)[^.;]*cash", findings)
    assert findings.count("saving") == findings.count("not a saving")


def test_findings_lead_with_a_few_grouped_sentences(report4):
    text = report4.read_text()
    findings = re.search(r'<section id="findings">(.*?)</section>', text, re.DOTALL).group(1)
    headings = re.findall(r"<h3>(.*?)</h3>", findings)
    assert headings == ["Cash: the total and who pays", "Hospital", "Care homes", "How sure"]
    assert len(re.findall(r"<li>", findings)) <= 9      # 4 lead KPIs + who pays x 3 + method
    assert "Every other KPI is in the KPI tables" in findings


def test_report_intervals_stay_inside_each_quantitys_range(report4):
    text = report4.read_text()
    found = re.findall(r"95% CI ([+-]?[\d.]+)% to ([+-]?[\d.]+)%", section(text, "findings"))
    assert found, "the findings state no % interval"
    for low, high in found:
        assert -100 <= float(low) <= float(high)
    folder = plots.load_folder(report4.parent.parent / "caresim-compare4")
    for run in folder.runs:
        for row in run.kpi_summary().itertuples():
            low, high = stats.kpi_range(row.kpi)
            assert low <= row.ci_low <= row.mean <= row.ci_high <= high, (run.name, row.kpi)
    percent_low = folder.paired["percent_low"].dropna()
    assert len(percent_low) and (percent_low >= -100).all()
    kpi_section = section(text, "kpis")
    assert "95% interval beneath" in kpi_section and "Intervals not shown" not in kpi_section
    # the by-scenario table shows a negative bound only for a KPI that can be negative
    table = re.search(r"KPIs by scenario.*?</table>", text, re.DOTALL).group(0)
    signed = {html.escape(k.label) for k in kpis.KPIS.values() if k.range == kpis.SIGNED}
    rows = re.findall(r"<tr><td>(.*?)<small>(.*?)</tr>", table, re.DOTALL)
    assert len(rows) > 30
    for label, cells in rows:
        lows = re.findall(r'<span class="ci">(.*?) to ', cells)
        assert lows or "£0" in cells or ">0<" in cells, label
        assert label in signed or not [low for low in lows if low.startswith("-")], label


def test_run_report_sentences_come_from_the_numbers(results, reports):
    text = reports["run"].read_text()
    summary = plots.load_folder(results["run"]).runs[0].kpi_summary().set_index("kpi")
    admissions = summary.loc["emergency_admissions", "mean"]
    assert f"there were {admissions:,.0f} emergency admissions a year" in text   # n=2: no CI
    assert "Intervals not shown: too few replications (n=2)" in text
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


def test_a_missing_browser_fails_in_ci_and_skips_locally(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(sys.modules[__name__], "DEBIAN_CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium is not installed.*CI must run"):
        browser()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        browser()


def test_a_missing_playwright_fails_in_ci(monkeypatch):
    real = importlib.import_module

    def no_playwright(name, *args):
        if name.startswith("playwright"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_playwright)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="playwright package is not installed"):
        browser()


#: elements whose content is wider than their box (and so spills or is cut), except code
#: blocks, which scroll on purpose; a table's container scrolls too, but in this report every
#: table must fit the page
OVERFLOW_JS = """() => [...document.querySelectorAll('main *')].filter(e =>
    e.clientWidth > 0 && e.tagName !== 'PRE' && e.scrollWidth > e.clientWidth + 1
  ).map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}` +
            `${e.className ? '.' + e.className : ''}: ${e.scrollWidth} > ${e.clientWidth}`)"""


def test_four_scenario_report_reads_cleanly_at_1280_px_in_chromium(report4):
    sync_api, chromium = browser()
    messages, requests, overflowing, shots = [], [], [], []
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = launched.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: messages.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda exc: messages.append(str(exc)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report4.resolve().as_uri(), wait_until="load")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report-first-screen.png"))
            sections = page.locator("main section")
            for i in range(sections.count()):
                path = ARTIFACTS / f"report-{sections.nth(i).get_attribute('id')}.png"
                sections.nth(i).screenshot(path=str(path))
                shots.append(path)
            summaries = page.locator("details summary")
            for i in range(summaries.count()):           # open configs and parameters too
                summaries.nth(i).click()
            assert page.locator("details pre").first.is_visible()
            overflowing = page.evaluate(OVERFLOW_JS)
            images = page.locator("figure img")
            assert images.count() == 11             # every figure, destinations and delays included
            for i in range(images.count()):
                img = images.nth(i)
                img.scroll_into_view_if_needed()
                box = img.bounding_box()
                assert box and box["width"] > 300 and box["height"] > 100
                assert img.evaluate("e => e.complete && e.naturalWidth > 0")
        finally:
            launched.close()
    assert overflowing == []
    assert messages == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert {p.stem for p in shots} >= {"report-findings", "report-figures", "report-kpis"}
    assert all(p.stat().st_size > 5_000 for p in shots)


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
