"""Every caresim figure renders from a small stored results fixture and says what it shows.

The fixture (built once per session, a few seconds) is a tiny single run with the event log,
a tiny fragmented-vs-pooled compare folder, and a sweep folder in the issue-5 format whose
analysis numbers are synthetic (the sweep engine is not needed to test the figures). A
four-scenario compare folder (built on first use) checks that figures stay legible with many
scenarios and payers. Any warning, matplotlib's included, fails these tests.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

import sim
from sim import plots
from sim.kpis import KPIS
from sim.plots.style import PAYER_COLOURS, SERVICE_COLOURS

from .conftest import small

pytestmark = pytest.mark.filterwarnings("error")
ARRANGEMENTS = ("fragmented", "pooled", "integrated", "aligned")
REPORT_DPI = 150   # the report's PNGs: text extents depend on it
SWEPT = ("acute.beds", "reablement.places", "funding.pool.la_contribution_gbp_per_year")


def _sweep_folder(path: Path, paired: pd.DataFrame, configs: dict) -> None:
    """A sweep folder with exactly the issue-5 file names and columns (synthetic numbers)."""
    rng = np.random.default_rng(5)
    path.mkdir(parents=True)
    n = 12
    scenario = ["fragmented"] * 6 + ["pooled"] * 6
    design = pd.DataFrame({"point": [f"{s}__d{i % 6}" for i, s in enumerate(scenario)],
                           "scenario": scenario, "design_point": np.arange(n) % 6,
                           SWEPT[0]: rng.integers(10, 16, n), SWEPT[1]: rng.integers(4, 10, n),
                           SWEPT[2]: rng.uniform(1e6, 2e6, n)})
    rows = []
    for p in design.itertuples(index=False):
        for rep in range(2):
            delayed = 900 - 40 * p[2] - 10 * p[3] + rng.normal(0, 20)
            rows += [{"point": p.point, "scenario": p.scenario, "replication": rep, "seed": 1,
                      "kpi": "delayed_bed_days", "value": delayed},
                     {"point": p.point, "scenario": p.scenario, "replication": rep, "seed": 1,
                      "kpi": "total_cost_gbp", "value": 5e6 + 2e5 * p[2] + rng.normal(0, 1e4)}]
    kpis = pd.DataFrame(rows)
    kpis.to_parquet(path / "kpis.parquet", index=False)
    design.to_parquet(path / "design.parquet", index=False)
    oat, sobol, morris = [], [], []
    for kpi, scale in (("delayed_bed_days", 500.0), ("total_cost_gbp", 6e6)):
        for k, param in enumerate(SWEPT):
            lo, hi = scale * (1 - 0.1 * (k + 1)), scale * (1 + 0.05 * (k + 1))
            oat.append({"parameter": param, "kpi": kpi, "low_value": 10.0 + k,
                        "high_value": 20.0 + k, "kpi_at_low": lo, "kpi_at_high": hi,
                        "base_kpi": scale, "swing": hi - lo, "scenario": "fragmented"})
            sobol.append({"kpi": kpi, "parameter": param, "S1": 0.5 / (k + 1),
                          "S1_conf": 0.05, "ST": 0.6 / (k + 1), "ST_conf": 0.07,
                          "scenario": "fragmented"})
            morris.append({"kpi": kpi, "parameter": param, "mu_star": scale / (k + 2),
                           "mu_star_conf": scale / 20, "sigma": scale / (k + 4),
                           "scenario": "fragmented"})
    scenarios = {s: {k: {"mean": float(g["value"].mean()), "ci_low": float(g["value"].min()),
                         "ci_high": float(g["value"].max())}
                     for k, g in kpis[kpis["scenario"] == s].groupby("kpi")}
                 for s in ("fragmented", "pooled")}
    analysis = {"scenarios": scenarios, "paired_differences": paired.to_dict("records"),
                "oat": oat, "sobol": sobol, "morris": morris, "warnings": [],
                "warmup_days": 60.0, "replications": {"fragmented": 2, "pooled": 2}}
    (path / "analysis.json").write_text(json.dumps(analysis))
    (path / "manifest.json").write_text(json.dumps({
        "experiment": {"source": "synthetic.toml", "spec": {"name": "synthetic"}},
        "configs": configs, "seed": 1, "git_commit": None}))


def build_results(base: Path) -> dict[str, Path]:
    """Tiny run (with event log), compare and sweep folders under ``base`` (built once)."""
    paths = {"run": base / "run", "compare": base / "compare", "sweep": base / "sweep"}
    if all(p.exists() for p in paths.values()):
        return paths
    frag = small("fragmented", people=3000)
    pooled = small("pooled", people=3000)
    runs = [sim.run(cfg, replications=2, seed=3, progress=False, event_log=True)
            for cfg in (frag, pooled)]
    runs[0].save(paths["run"])
    for r in runs:
        r.save(paths["compare"] / r.config.name)
    diffs = sim.paired_differences(runs[0], runs[1])
    diffs.to_parquet(paths["compare"] / "paired_differences.parquet", index=False)
    _sweep_folder(paths["sweep"], diffs,
                  {r.config.name: r.config.model_dump(mode="json") for r in runs})
    return paths


def build_compare4(path: Path, replications: int = 5) -> Path:
    """A compare folder of the four arrangements on a small place (built once, ~15 s)."""
    if path.exists():
        return path
    configs = [small(name, people=2500) for name in ARRANGEMENTS]
    runs, diffs = sim.compare(configs, replications, 4, progress=False)
    tmp = path.with_name(path.name + ".partial")
    for r in runs:
        r.save(tmp / r.config.name)
    diffs.to_parquet(tmp / "paired_differences.parquet", index=False)
    tmp.rename(path)
    return path


@pytest.fixture(scope="session")
def results(tmp_path_factory) -> dict[str, Path]:
    return build_results(tmp_path_factory.getbasetemp() / "caresim-results")


@pytest.fixture(scope="session")
def compare4(tmp_path_factory):
    return plots.load_folder(build_compare4(tmp_path_factory.getbasetemp() / "caresim-compare4"))


@pytest.fixture(scope="session")
def compare(results):
    return plots.load_folder(results["compare"])


@pytest.fixture(scope="session")
def sweep(results):
    return plots.load_folder(results["sweep"])


def legend_texts(fig: Figure) -> list[str]:
    texts = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    for ax in fig.axes:
        if ax.get_legend():
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    return texts


def visible_axes(fig: Figure):
    return [ax for ax in fig.axes if ax.get_visible()]


def drawn_texts(fig: Figure) -> list:
    """(Text, window extent) of every text drawn at the report's resolution: titles, labels,
    legends, annotations and the tick labels inside each axis's view."""
    fig.set_dpi(REPORT_DPI)
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    ticks, in_view = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                for label in (tick.label1, tick.label2):
                    ticks.add(id(label))
                    if ax.get_visible() and lo - 1e-9 * (hi - lo) <= tick.get_loc() <= \
                            hi + 1e-9 * (hi - lo):
                        in_view.add(id(label))
    out = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        if (id(text) in ticks and id(text) not in in_view) or (
                text.axes is not None and not text.axes.get_visible()):
            continue
        out.append((text, text.get_window_extent(renderer)))
    return out


def legibility_problems(fig: Figure) -> list[str]:
    """Texts cut off by the figure's edge, and pairs of texts drawn over each other."""
    texts, box = drawn_texts(fig), fig.bbox
    problems = [f"cut off: {t.get_text()!r}" for t, b in texts
                if b.x0 < box.x0 - 1 or b.x1 > box.x1 + 1 or b.y0 < box.y0 - 1
                or b.y1 > box.y1 + 1]
    for i, (t1, b1) in enumerate(texts):
        for t2, b2 in texts[i + 1:]:
            if min(b1.x1, b2.x1) - max(b1.x0, b2.x0) > 1 and \
                    min(b1.y1, b2.y1) - max(b1.y0, b2.y0) > 1:
                problems.append(f"overlap: {t1.get_text()!r} and {t2.get_text()!r}")
    return problems


def test_no_gui_backend_and_no_pyplot_figures(compare):
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    fig = plots.bed_use(compare.stacked("daily"))
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before          # built without pyplot: nothing leaks


def test_bed_use(compare):
    fig = plots.bed_use(compare.stacked("daily"), beds=compare.per_run("acute.beds"),
                        escalation_beds=1, warmup_days=60, order=compare.names)
    axes = visible_axes(fig)
    assert len(axes) == 2                                   # one panel per scenario
    assert [ax.get_title(loc="left").split(" ")[0] for ax in axes] == ["fragmented", "pooled"]
    assert all(ax.get_ylabel() == "beds" for ax in axes)
    assert axes[0].get_ylim() == axes[1].get_ylim()        # shared axes
    beds = small("fragmented", people=3000).acute.beds
    funded = [ln for ln in axes[0].get_lines() if list(ln.get_ydata()) == [beds, beds]]
    assert funded, "funded-bed line missing"
    labels = legend_texts(fig)
    assert "In treatment" in labels and "Waiting in ED for a bed (not in a bed)" in labels
    assert any(t.startswith("Delayed: ") for t in labels)
    assert "beds" in fig._suptitle.get_text()


def test_bed_use_steps_down_when_beds_close():
    cfg = small("fragmented", people=3000, years=1.0, savings__bed_closure=True,
                savings__closure_occupancy_threshold=0.99, savings__closure_review_days=60.0,
                savings__beds_closed_per_review=1)
    res = sim.run(cfg, replications=1, seed=3, progress=False)
    fig = plots.bed_use(res.daily, beds=cfg.acute.beds)
    ax = visible_axes(fig)[0]
    stepped = [ln for ln in ax.get_lines() if ln.get_drawstyle() == "steps-post"]
    assert stepped, "the funded-bed line should step down as beds close"
    heights = np.asarray(stepped[0].get_ydata(), dtype=float)
    assert heights[0] == cfg.acute.beds and heights[-1] < cfg.acute.beds


def test_care_settings(compare):
    fig = plots.care_settings(compare.stacked("daily"), warmup_days=60)
    titles = [ax.get_title(loc="left") for ax in visible_axes(fig)]
    for expected in ("Intermediate-care beds", "Reablement", "Home-care clients",
                     "Waiting at home for home care", "Residential homes", "Nursing homes"):
        assert expected in titles
    for ax in visible_axes(fig):
        assert ax.get_ylabel() == "people"
        assert len(ax.get_lines()) == 2                     # one median line per scenario
    assert legend_texts(fig) == ["fragmented", "pooled"]


def _bar_total(fig: Figure) -> float:
    return sum(p.get_height() for ax in fig.axes for p in ax.patches)


def test_cash_and_resource_use_are_separate_views(compare):
    cash = compare.stacked("costs")
    resource = compare.stacked("resource")
    fig = plots.cash_by_service(cash)
    titles = [ax.get_title().replace("\n", " ") for ax in fig.axes if ax.get_title()]
    assert "NHS" in titles and "Local authority" in titles
    nhs = next(ax for ax in fig.axes if ax.get_title() == "NHS")
    assert nhs.title.get_color() == PAYER_COLOURS["nhs"]
    assert "Cash" in fig._suptitle.get_text() and "£m" in fig._suptitle.get_text()
    assert "Acute beds" in legend_texts(fig)
    assert _bar_total(fig) == pytest.approx(cash["cost_gbp"].sum() / 2, rel=1e-9)
    fig2 = plots.resource_use(resource)
    assert "Resource use" in fig2._suptitle.get_text() and "not cash" in fig2._suptitle.get_text()
    assert _bar_total(fig2) == pytest.approx(resource["cost_gbp"].sum() / 2, rel=1e-9)
    acute = [p for ax in fig.axes for p in ax.patches
             if matplotlib.colors.to_hex(p.get_facecolor()) == SERVICE_COLOURS["acute"].lower()]
    assert acute


def test_cumulative_cost_difference(compare):
    costs = compare.stacked("costs")
    fig = plots.cumulative_cost_difference(costs, "fragmented")
    ax = visible_axes(fig)[0]
    total = next(ln for ln in ax.get_lines() if ln.get_label() == "Total, all payers")
    by_scenario = costs.groupby("scenario")["cost_gbp"].sum() / 2
    assert total.get_ydata()[-1] == pytest.approx(by_scenario["pooled"]
                                                  - by_scenario["fragmented"], rel=1e-6)
    assert "Total: 95% CI" in legend_texts(fig)
    assert "versus fragmented" in fig._suptitle.get_text()
    with pytest.raises(ValueError):
        plots.cumulative_cost_difference(costs, "no-such-base")


def test_cumulative_legend_names_every_payer_line_of_every_panel(compare4):
    fig = plots.cumulative_cost_difference(compare4.stacked("costs"), "fragmented",
                                           order=compare4.names)
    drawn = {ln.get_label() for ax in fig.axes for ln in ax.get_lines()
             if not ln.get_label().startswith("_")}
    assert {"Pooled fund", "Integrated provider", "Local authority"} <= drawn
    assert drawn <= set(legend_texts(fig))


def test_money_ticks_put_the_minus_sign_before_the_pound(compare4):
    fig = plots.cumulative_cost_difference(compare4.stacked("costs"), "fragmented",
                                           order=compare4.names)
    labels = [t.get_text() for t, _ in drawn_texts(fig)]
    assert any(text.startswith("-£") for text in labels)
    assert not [text for text in labels if "£-" in text]


def test_budget_balance(compare):
    fig = plots.budget_balance(compare.stacked("budgets"))
    titles = [ax.get_title().replace("\n", " ") for ax in fig.axes if ax.get_title()]
    assert {"NHS", "Local authority", "Pooled fund"} <= set(titles)
    labels = legend_texts(fig)
    assert "Year-to-date spend" in labels and "Year-to-date plan" in labels
    assert any("Risk share" in t for t in labels)              # pooled scenario tops up at FY end
    ticks = {t.get_text() for ax in fig.axes for t in ax.get_xticklabels()}
    assert "2025/26" in ticks


def test_cost_shifting(compare):
    fig = plots.cost_shifting(compare.stacked("shifting"), replications=2, years=1.0)
    ax = visible_axes(fig)[0]
    causes = [t.get_text() for t in ax.get_yticklabels()]
    assert causes and all("(" in c for c in causes)          # "Reason (responsible body)"
    assert ax.get_xlabel().endswith("£ a year")               # per year, as the KPIs are
    labels = legend_texts(fig)
    assert "Bed paid by NHS" in labels and "Shifted: caused by another body" in labels


def test_destinations_from_event_log(results):
    run = plots.load_folder(results["run"])
    table = plots.discharge_destinations(run.runs[0].table("events"), warmup_days=60)
    assert set(table.columns) >= {"destination", "pathway", "discharges"}
    assert table["discharges"].sum() > 0
    fig = plots.destinations(table)
    ax = fig.axes[0]
    assert sum(p.get_width() for p in ax.patches) == pytest.approx(100)
    assert "% of discharges" in ax.get_xlabel()
    assert any(t.startswith("Pathway") for t in legend_texts(fig))


def test_setting_mix_and_destinations_skipped_without_discharges(compare, results, tmp_path):
    fig = plots.setting_mix(compare.stacked("daily"), warmup_days=60)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "Home-care clients" in labels and "Nursing homes" in labels
    assert legend_texts(fig) == ["fragmented", "pooled"]
    shutil.copytree(results["run"], tmp_path / "run",
                    ignore=shutil.ignore_patterns("events.parquet", "discharges.parquet"))
    folder = plots.load_folder(tmp_path / "run")
    notes = {k.name: note for k, f, note in plots.figures(folder, ["destinations"])}
    assert "discharges.parquet" in notes["destinations"]


def test_forest(compare):
    fig = plots.forest(compare.paired)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Delayed bed days / yr" in labels
    assert "%" in ax.get_xlabel()
    assert "pooled vs fragmented" in ax.get_title(loc="left").replace("\n", " ")
    assert "too few replications, n=2" in ax.get_title(loc="left").replace("\n", " ")
    assert not [c for c in ax.get_children() if type(c).__name__ == "LineCollection"
                and len(c.get_segments())]                    # n=2: points, no error bars


def test_forest_bars_never_reach_below_minus_100_percent(compare4):
    kinds = {k.name: fig for k, fig, _ in plots.figures(compare4, ["forest"])}
    ax = kinds["forest"].axes[0]
    bars = [seg for c in ax.collections for seg in c.get_segments()]
    assert bars and min(x for seg in bars for x, _ in seg) >= -100 - 1e-9   # round-off
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Cash, local authority (£/yr)" not in labels       # a transfer, not a cut
    assert "Cash, all payers (£/yr)" in labels


def test_every_kpi_has_a_readable_label():
    assert not [k for k, kpi in KPIS.items() if "_" in kpi.label]


@pytest.mark.parametrize("name", [n for n in plots.KINDS if n not in
                                  ("tornado", "sobol", "morris", "lhs_scatter", "destinations")])
def test_four_scenario_figures_keep_every_text_inside_and_apart(compare4, name):
    [(_, fig, note)] = list(plots.figures(compare4, [name]))
    assert fig is not None, note
    assert legibility_problems(fig) == []


@pytest.mark.parametrize("folder", ["run", "sweep"])
def test_figures_of_each_folder_kind_keep_every_text_inside_and_apart(results, folder):
    for kind, fig, _ in plots.figures(plots.load_folder(results[folder])):
        if fig is not None:
            assert legibility_problems(fig) == [], kind.name


def test_monthly_bars_leave_out_a_month_the_run_covers_in_part(compare4):
    run = compare4.runs[0]
    costs = compare4.stacked("costs")
    months = sorted(costs["month"].unique())
    end = pd.Timestamp(run.section("run.start_date")) + pd.Timedelta(
        days=run.section("run.warmup_days") + 365.25 * run.section("run.years"))
    assert end.day != 1 and months[-1] == end.strftime("%Y-%m")    # the fixture ends mid-month
    [(_, fig, _)] = list(plots.figures(compare4, ["cash_by_service"]))
    bars = {round(p.get_x() + p.get_width() / 2) for ax in fig.axes for p in ax.patches}
    assert len(bars) == len(months) - 1


def test_sensitivity_figures(sweep):
    oat = sweep.sweep.records("oat")
    fig = plots.tornado(oat)
    ax = visible_axes(fig)[0]
    first = ax.get_yticklabels()[0].get_text()
    assert first.startswith(SWEPT[2])                      # largest swing at the top
    assert "parameter at high value" in legend_texts(fig)
    fig = plots.sobol(sweep.sweep.records("sobol"))
    assert "Total order ST (with interactions)" in legend_texts(fig)
    assert visible_axes(fig)[0].get_xlabel() == "Sobol index (0-1)"
    fig = plots.morris(sweep.sweep.records("morris"))
    assert visible_axes(fig)[0].get_xlabel().startswith("μ*")
    fig = plots.lhs_scatter(sweep.sweep.kpis, sweep.sweep.design)
    axes = visible_axes(fig)
    assert [ax.get_xlabel() for ax in axes] == list(SWEPT)
    assert sum(len(c.get_offsets()) for c in axes[0].collections) == 12
    assert legend_texts(fig) == ["fragmented", "pooled"]


def test_functions_draw_into_a_given_ax_or_fig(compare):
    import matplotlib.figure as mfig
    target = mfig.Figure()
    ax = target.add_subplot()
    assert plots.forest(compare.paired, ax=ax) is target
    target2 = mfig.Figure()
    assert plots.budget_balance(compare.stacked("budgets"), fig=target2) is target2


def test_empty_or_wrong_tables_raise_clear_errors():
    with pytest.raises(ValueError, match="empty"):
        plots.bed_use(pd.DataFrame())
    with pytest.raises(ValueError, match="missing column"):
        plots.forest(pd.DataFrame({"kpi": ["x"]}))


def test_catalogue_per_folder_kind(results, compare, sweep):
    drawn = {k.name for k, fig, _ in plots.figures(compare) if fig is not None}
    assert drawn == {"bed_use", "care_settings", "cash_by_service", "resource_use",
                     "cumulative_cost_difference", "budget_balance", "cost_shifting",
                     "destinations", "delay_survival", "setting_mix", "forest"}
    run = plots.load_folder(results["run"])
    drawn = {k.name for k, fig, _ in plots.figures(run) if fig is not None}
    assert "destinations" in drawn and "forest" not in drawn
    drawn = {k.name for k, fig, _ in plots.figures(sweep) if fig is not None}
    assert drawn == {"forest", "tornado", "sobol", "morris", "lhs_scatter"}
    with pytest.raises(ValueError, match="unknown plot kind"):
        list(plots.figures(run, ["nope"]))
