"""Figures on disk (``caresim plot``) and one self-contained HTML report (``caresim report``).

The report is a single HTML file a modeller can email: figures are embedded as base64 PNG,
styles are inline, and nothing is fetched from the network. It works for a single run, a
``compare`` folder and a ``sweep`` folder; see :mod:`sim.plots.data` for how the kind is
detected. Both commands draw the same named figure kinds (:data:`sim.plots.KINDS`).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from .plots import KINDS, ResultsError, figures, load_folder
from .plots.data import Folder, get
from .plots.style import PAYER_LABELS, fmt_gbp, kpi_label
from .report_text import (
    findings,
    fmt_diff,
    fmt_interval,
    fmt_kpi,
    kpi_description,
    parameter_rows,
    stress_des,
)
from .results import KPI_DESCRIPTIONS

FORMATS = ("png", "svg", "pdf")
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1a1a1a;
margin:0;background:#fafafa;line-height:1.45}
main{max-width:60rem;margin:0 auto;padding:1.5rem 2rem 4rem;background:#fff}
h1{font-size:1.6rem;margin:.2rem 0 .3rem}h2{font-size:1.25rem;border-bottom:2px solid #0072B2;
padding-bottom:.2rem;margin-top:2.2rem}h3{font-size:1.05rem;margin-top:1.4rem}
.meta{color:#555;font-size:.9rem;margin:0}nav{font-size:.9rem;margin:1rem 0}
nav a{margin-right:1rem;color:#0072B2}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:1.2rem 0 2rem}figure img{width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.88rem;color:#333;margin-top:.3rem}
.note{color:#7a4b00;background:#fff7e6;border-left:3px solid #E69F00;padding:.4rem .7rem;
font-size:.88rem;margin:.5rem 0}
.findings li{margin:.35rem 0}details{margin:.5rem 0}summary{cursor:pointer;font-weight:600}
pre{background:#f6f6f6;padding:.8rem;overflow-x:auto;font-size:.78rem}
@media print{main{max-width:none;padding:0}details{display:block}}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _table(header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f"<td class=\"num\">{_e(c)}</td>" if i in numeric else f"<td>{_e(c)}</td>"
        for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# --- report sections ------------------------------------------------------------------------

def _case(folder: Folder) -> dict | None:
    """The case verdict written by ``caresim case`` next to a sweep, if this is a case folder."""
    path = folder.path / "case.json"
    try:
        return json.loads(path.read_text()) if path.is_file() else None
    except (OSError, ValueError):
        return None


def _case_section(case: dict) -> str:
    """Published figure against the model's paired difference, the verdict and the caveats."""
    m, v = case["model"], case["verdict"]
    kpi = case["kpi"]

    def pct(x):
        return f"{100 * x:+.1f}%"

    published = case["published"]
    if case.get("published_change") is not None:
        published += f" (as a relative change: {pct(case['published_change'])})"
    rows = [["Published", published],
            ["Source", case["source"]],
            ["Model", f"{kpi_label(kpi)}: {case['intervention']} vs {case['baseline']}, "
                      f"{pct(m['relative_change'])} (95% CI {pct(m['relative_ci_low'])} to "
                      f"{pct(m['relative_ci_high'])}), {m['replications']} paired replications"],
            ["Direction reproduced", ("yes" if v["direction_reproduced"] else "no")
             + f" ({case['direction']}: {v['rule']})"]]
    if v.get("published_change_in_interval") is not None:
        rows.append(["Published change inside the model's interval",
                     "yes" if v["published_change_in_interval"] else "no"])
    calibrated = case.get("calibrated") or []
    rows.append(["Calibrated parameters", "; ".join(
        f"{c['field']} = {c['value']} ({c['reason']})" for c in calibrated) or "none"])
    return _table(["", ""], rows) + f"<p>{_e(case['notes'])}</p>"


def _title(folder: Folder) -> str:
    case = _case(folder)
    if case:
        return f"caresim case study: {case['title']}"
    if folder.kind == "run":
        return f"caresim results: {folder.runs[0].name}"
    if folder.kind == "compare":
        others = [n for n in folder.names if n != folder.base]
        return f"caresim comparison: {', '.join(others) or '?'} versus {folder.base}"
    return f"caresim sensitivity sweep: {folder.path.name}"


def _scenario_table(folder: Folder) -> str:
    rows = []
    for name, c in folder.configs().items():
        pooled = [x.replace("_", " ") for x in get(c, "funding.pool.scope", []) or []]
        run = next((r for r in folder.runs if r.name == name), None)
        reps = run.replications if run else (folder.sweep.analysis.get("replications") or {}
                                              ).get(name, "") if folder.sweep else ""
        rows.append([name, c.get("description", ""), get(c, "funding.arrangement", ""),
                     ", ".join(pooled) or "none", reps,
                     f"{get(c, 'run.years', 0):g} ({get(c, 'run.warmup_days', 0):g})",
                     f"{get(c, 'population.size', 0):,}", get(c, "acute.beds", "")])
    out = ""
    if rows:
        out += _table(["Scenario", "Description", "Funding", "Pooled services", "Replications",
                       "Years (warm-up days)", "People 65+ at start", "Acute beds"], rows,
                      numeric={4, 5, 6, 7})
    if folder.sweep is not None and folder.sweep.design is not None:
        design = folder.sweep.design
        params = folder.sweep.parameters
        prow = [[p, f"{design[p].min():.4g}", f"{design[p].max():.4g}"]
                if pd.api.types.is_numeric_dtype(design[p])
                else [p, _e(sorted(map(str, design[p].unique()))), ""] for p in params]
        scen = ", ".join(map(str, design["scenario"].unique())) if "scenario" in design else "-"
        out += (f"<p>{design['point'].nunique()} design points; scenarios: {_e(scen)}.</p>"
                + _table(["Swept parameter", "Lowest", "Highest"], prow, numeric={1, 2}))
    return out or "<p>No scenario information was found.</p>"


def _figures(folder: Folder) -> str:
    parts, skipped = [], {}
    for kind, fig, note in _safe_figures(folder):
        if fig is None:
            skipped.setdefault(note, []).append(kind.name)
            continue
        parts.append(f"<figure id=\"fig-{_e(kind.name)}\"><img alt=\"{_e(kind.caption)}\" "
                     f"src=\"data:image/png;base64,{_png(fig)}\"><figcaption><b>"
                     f"{_e(kind.name)}</b>: {_e(kind.caption)}</figcaption></figure>")
    for note, names in skipped.items():   # one note per reason, naming every figure it hides
        parts.append(f"<p class=\"note\"><b>{_e(', '.join(names))}</b> not shown: "
                     f"{_e(note)}.</p>")
    return "".join(parts)


def _safe_figures(folder: Folder, kinds=None):
    """Like :func:`sim.plots.figures`, but a figure that fails becomes a note."""
    for name in kinds or KINDS:
        try:
            yield from figures(folder, [name])
        except ValueError as exc:
            yield KINDS[name], None, f"could not be drawn ({exc})"


def _kpi_tables(folder: Folder) -> str:
    out = []
    summaries = {r.name: r.kpi_summary().set_index("kpi") for r in folder.runs}
    if folder.sweep is not None and folder.sweep.scenario_summary() is not None:
        table = folder.sweep.scenario_summary()
        for name, rows in table.groupby("scenario", sort=False):
            summaries.setdefault(str(name), rows.set_index("kpi"))
    if summaries:
        kpis = list(dict.fromkeys(k for s in summaries.values() for k in s.index))
        rows = []
        for k in kpis:
            cells = [kpi_label(k), kpi_description(k)]
            for s in summaries.values():
                cells.append(fmt_interval(k, *s.loc[k, ["mean", "ci_low", "ci_high"]])
                             if k in s.index else "")
            rows.append(cells)
        out.append("<h3>KPIs by scenario (mean and 95% CI across replications)</h3>"
                   + _table(["KPI", "Definition", *summaries], rows,
                            numeric=set(range(2, 2 + len(summaries)))))
    if folder.paired is not None and len(folder.paired):
        rows = []
        rank = {k: i for i, k in enumerate(KPI_DESCRIPTIONS)}
        paired = folder.paired.sort_values("kpi", key=lambda k: k.map(rank).fillna(len(rank)),
                                           kind="stable")
        for r in paired.itertuples(index=False):
            pct = (f"{r.percent_change:+.1f}% ({100 * r.ci_low / r.base_mean:+.1f}% to "
                   f"{100 * r.ci_high / r.base_mean:+.1f}%)") if r.base_mean else "n/a (base 0)"
            rows.append([kpi_label(r.kpi), f"{r.scenario} vs {r.base}",
                         fmt_kpi(r.kpi, r.base_mean), fmt_kpi(r.kpi, r.scenario_mean),
                         (f"{fmt_diff(r.kpi, r.difference)} ({fmt_diff(r.kpi, r.ci_low)} to "
                         f"{fmt_diff(r.kpi, r.ci_high)})"), pct])
        out.append("<h3>Paired differences (scenario − base, 95% CI)</h3>"
                   + _table(["KPI", "Comparison", "Base", "Scenario", "Difference",
                             "% change"], rows, numeric={2, 3, 4, 5}))
    if folder.sweep is not None:
        for key, header in (("oat", ["parameter", "kpi", "low_value", "high_value",
                                     "kpi_at_low", "kpi_at_high", "base_kpi", "swing"]),
                            ("sobol", ["kpi", "parameter", "S1", "S1_conf", "ST", "ST_conf"]),
                            ("morris", ["kpi", "parameter", "mu_star", "mu_star_conf",
                                        "sigma"])):
            records = folder.sweep.records(key)
            if records is not None:
                cols = [c for c in header if c in records.columns]
                rows = [[f"{v:.4g}" if isinstance(v, float) else v for v in row]
                        for row in records[cols].itertuples(index=False)]
                out.append(f"<h3>Sensitivity: {key}</h3>" + _table(cols, rows))
    return "".join(out) or "<p>No KPI tables in this folder.</p>"


def _shifting_table(folder: Folder) -> str:
    out = []
    for run in folder.runs:
        table = run.table("shifting")
        if table is None or table.empty:
            continue
        n = run.replications or max(table["replication"].nunique(), 1)
        g = (table.groupby(["reason", "caused_by", "bed_payer"], as_index=False)
             [["delayed_bed_days", "value_gbp"]].sum())
        g = g[g["delayed_bed_days"] > 0].sort_values("value_gbp", ascending=False)
        rows = [[r.reason.replace("_", " "), PAYER_LABELS.get(r.caused_by, r.caused_by),
                 PAYER_LABELS.get(r.bed_payer, r.bed_payer), f"{r.delayed_bed_days / n:,.0f}",
                 fmt_gbp(r.value_gbp / n), "yes" if r.caused_by != r.bed_payer else "no"]
                for r in g.itertuples()]
        shifted = g.loc[g["caused_by"] != g["bed_payer"], "value_gbp"].sum() / n
        total = g["value_gbp"].sum() / n
        share = f" ({100 * shifted / total:.0f}%)" if total else ""
        out.append(f"<h3>{_e(run.name)}</h3>" + _table(
            ["Delay reason", "Caused by", "Bed paid by", "Delayed bed days", "Value",
             "Shifted"], rows, numeric={3, 4})
            + f"<p>Shifted to another body: {_e(fmt_gbp(shifted))} of {_e(fmt_gbp(total))}"
              f"{share} per replication over the reporting window.</p>")
    if not out:
        return "<p class=\"note\">No cost-shifting account in this folder.</p>"
    return "".join(out)


def _flatten(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _flatten(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


def _configs(folder: Folder) -> str:
    out = []
    configs = folder.configs()
    if len(configs) > 1:
        flat = {n: dict(_flatten(c)) for n, c in configs.items()}
        keys = list(dict.fromkeys(k for f in flat.values() for k in f))
        rows = [[k, *(json.dumps(flat[n].get(k)) for n in flat)] for k in keys
                if len({json.dumps(f.get(k)) for f in flat.values()}) > 1]
        out.append("<h3>What differs between scenarios</h3>"
                   + (_table(["Parameter", *flat], rows) if rows else "<p>Nothing.</p>"))
    for name, c in configs.items():
        out.append(f"<details><summary>Resolved config: {_e(name)}</summary><pre>"
                   f"{_e(json.dumps(c, indent=2, default=str))}</pre></details>")
    if folder.sweep is not None and folder.sweep.manifest:
        rest = {k: v for k, v in folder.sweep.manifest.items() if k not in ("configs", "runs")}
        out.append("<details><summary>Sweep manifest (experiment, versions, backend)</summary>"
                   f"<pre>{_e(json.dumps(rest, indent=2, default=str))}</pre></details>")
    return "".join(out) or "<p>No configs were recorded.</p>"


def _stress(folder: Folder) -> str:
    out = [("<p>Strengthening the Reporting of Empirical Simulation Studies (STRESS-DES, "
           "Monks et al. 2019), generated from the configs, manifests and code of this run."
           "</p>")]
    for number, heading, items in stress_des(folder):
        out.append(f"<h3>{_e(number)}. {_e(heading)}</h3>"
                   + _table(["Item", "Reported"], [[i, text] for i, text in items]))
    configs = folder.configs()
    params = parameter_rows(next(iter(configs.values()), {}))
    if params:
        rows = [[d, v, default, "changed" if v != default else "", desc]
                for d, v, default, desc in params]
        out.append("<details><summary>Input parameters (value used, schema default, source)"
                   "</summary>" + _table(["Parameter", "Value", "Default", "", ("Description "
                                          "and source")], rows) + "</details>")
    return "".join(out)


def render_report(folder: Folder) -> str:
    """The whole report as one HTML string."""
    title = _title(folder)
    sections = [("scenarios", "Scenarios", _scenario_table(folder)),
                ("findings", "Key findings", "<ul class=\"findings\">" + "".join(
                    f"<li>{_e(s)}</li>" for s in findings(folder)) + "</ul>"),
                ("figures", "Figures", _figures(folder)),
                ("kpis", "KPI tables", _kpi_tables(folder)),
                ("cost-shifting", "Cost-shifting account", _shifting_table(folder)),
                ("configs", "Resolved configs", _configs(folder)),
                ("stress", "Appendix: STRESS-DES report", _stress(folder))]
    case = _case(folder)
    if case:
        sections.insert(0, ("case", "Published figure and the model", _case_section(case)))
    notes = "".join(f"<p class=\"note\">{_e(n)}</p>" for n in folder.notes)
    nav = "".join(f"<a href=\"#{i}\">{_e(h)}</a>" for i, h, _ in sections)
    body = "".join(f"<section id=\"{i}\"><h2>{_e(h)}</h2>{content}</section>"
                   for i, h, content in sections)
    manifests = [r.manifest for r in folder.runs] + ([folder.sweep.manifest] if folder.sweep
                                                     else [])
    commit = next((m.get("git_commit") for m in manifests if m.get("git_commit")), None)
    meta = (f"Generated {dt.datetime.now().isoformat(timespec='minutes')} from the "
            f"{folder.kind} folder '{folder.path.name}'"
            + (f", code version {commit[:12]}" if commit else "") + ".")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
            f"<header><h1>{_e(title)}</h1><p class=\"meta\">{_e(meta)}</p></header>"
            f"<nav>{nav}</nav>{notes}{body}</main></body></html>\n")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # mkstemp makes 0600; a report is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(results_dir: str | Path, out_path: str | Path | None = None) -> Path:
    """Write the self-contained HTML report of a run, compare or sweep folder.

    ``out_path`` defaults to ``RESULTS_DIR/report.html``. Written atomically.
    """
    folder = load_folder(results_dir)
    out = Path(out_path) if out_path else Path(results_dir) / "report.html"
    _atomic_write(out, render_report(folder).encode("utf-8"))
    return out


def write_plots(results_dir: str | Path, out_dir: str | Path | None = None,
                kinds: list[str] | None = None, fmt: str = "png",
                notes: list[str] | None = None) -> list[Path]:
    """Write each applicable figure kind as ``OUT_DIR/<kind>.<fmt>``; returns the paths.

    Kinds that do not apply to the folder are skipped; the reason is appended to ``notes``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    unknown = [k for k in (kinds or []) if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown plot kind(s) {unknown}; choose from {list(KINDS)}")
    folder = load_folder(results_dir)
    out_dir = Path(out_dir) if out_dir else Path(results_dir) / "plots"
    written = []
    for kind, fig, note in _safe_figures(folder, kinds):
        if fig is None:
            if notes is not None:
                notes.append(f"{kind.name}: skipped, {note}")
            continue
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=150)
        path = out_dir / f"{kind.name}.{fmt}"
        _atomic_write(path, buffer.getvalue())
        written.append(path)
    return written


# --- command line -----------------------------------------------------------------------------

def _fail(message: str) -> int:
    print(f"caresim: error: {message}", file=sys.stderr)
    return 2


def _plot_command(args) -> int:
    notes: list[str] = []
    try:
        paths = write_plots(args.results_dir, args.out, args.kind, args.format, notes)
    except (ResultsError, OSError, ValueError) as exc:
        return _fail(str(exc))
    for path in paths:
        print(path)
    for note in notes:
        print(note, file=sys.stderr)
    return 0


def _report_command(args) -> int:
    try:
        path = write_report(args.results_dir, args.out)
    except (ResultsError, OSError) as exc:
        return _fail(str(exc))
    print(path)
    return 0


def add_subcommands(subparsers) -> None:
    """Register ``plot`` and ``report`` on an argparse subparsers object."""
    p = subparsers.add_parser("plot", help="write figures of a run, compare or sweep folder",
                              description="Write figures of a results folder (run, compare or "
                              "sweep). Kinds that do not apply are skipped with a note.")
    p.add_argument("results_dir", metavar="RESULTS_DIR")
    p.add_argument("--kind", action="append", choices=list(KINDS), metavar="NAME",
                   help=f"figure kind, repeatable (default: all): {', '.join(KINDS)}")
    p.add_argument("--format", choices=FORMATS, default="png", help="file format (png)")
    p.add_argument("--out", metavar="DIR", help="output folder (default RESULTS_DIR/plots)")
    p.set_defaults(func=_plot_command)
    r = subparsers.add_parser("report", help="write one self-contained HTML report",
                              description="Write one self-contained HTML report (figures "
                              "embedded, no network needed) of a run, compare or sweep folder.")
    r.add_argument("results_dir", metavar="RESULTS_DIR")
    r.add_argument("--out", metavar="FILE", help="report path (default RESULTS_DIR/report.html)")
    r.set_defaults(func=_report_command)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m sim.report plot|report ...``)."""
    parser = argparse.ArgumentParser(prog="caresim")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
