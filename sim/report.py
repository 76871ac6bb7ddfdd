"""Figures on disk (``caresim plot``) and one self-contained HTML report (``caresim report``).

The report is a single HTML file a modeller can email: figures are embedded as base64 PNG,
styles are inline, and nothing is fetched from the network. It works for a single run, a
``compare`` folder and a ``sweep`` folder; see :mod:`sim.plots.data` for how the kind is
detected. Both commands draw the same named figure kinds (:data:`sim.plots.KINDS`). Files are
written atomically (:mod:`sim.atomic`); one written into a results folder is registered in its
marker, so the next report or plot replaces it, while an existing file caresim did not write
is refused unless ``overwrite`` (:func:`sim.outdir.check_replace`). The command line is in
:mod:`sim.cli.figures`.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from . import atomic, marker
from .figure_html import png_base64
from .outdir import check_replace
from .plots import KINDS, figures, load_folder
from .plots.data import Folder
from .report_benefits import benefits_html
from .report_outcomes import outcomes_html
from .report_sections import (
    case_of,
    case_section,
    configs_section,
    delay_table,
    esc,
    findings_section,
    kpi_tables,
    scenario_table,
    shifting_table,
    stress_section,
)

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
figure{margin:1.2rem 0 2rem}
figure img{display:block;width:100%;height:auto;border:1px solid #eee;box-sizing:border-box}
.table-wrap{max-width:100%;overflow-x:auto}
td .ci{display:block;color:#555;font-size:.78rem}td small{display:block;color:#666}
figcaption{font-size:.88rem;color:#333;margin-top:.3rem}
.note{color:#7a4b00;background:#fff7e6;border-left:3px solid #E69F00;padding:.4rem .7rem;
font-size:.88rem;margin:.5rem 0}
.findings li{margin:.35rem 0}details{margin:.5rem 0}summary{cursor:pointer;font-weight:600}
pre{background:#f6f6f6;padding:.8rem;overflow-x:auto;font-size:.78rem}
@media print{main{max-width:none;padding:0}details{display:block}}
"""


# --- report sections ------------------------------------------------------------------------

def _title(folder: Folder) -> str:
    case = case_of(folder)
    if case:
        return f"caresim case study: {case['title']}"
    if folder.kind == "run":
        return f"caresim results: {folder.runs[0].name}"
    if folder.kind == "compare":
        others = [n for n in folder.names if n != folder.base]
        return f"caresim comparison: {', '.join(others) or '?'} versus {folder.base}"
    return f"caresim sensitivity sweep: {folder.path.name}"


def _figures(folder: Folder) -> str:
    parts, skipped = [], {}
    for kind, fig, note in _safe_figures(folder):
        if fig is None:
            skipped.setdefault(note, []).append(kind.name)
            continue
        parts.append(f"<figure id=\"fig-{esc(kind.name)}\"><img alt=\"{esc(kind.caption)}\" "
                     f"src=\"data:image/png;base64,{png_base64(fig, 150)}\"><figcaption><b>"
                     f"{esc(kind.name)}</b>: {esc(kind.caption)}</figcaption></figure>")
    for note, names in skipped.items():   # one note per reason, naming every figure it hides
        parts.append(f"<p class=\"note\"><b>{esc(', '.join(names))}</b> not shown: "
                     f"{esc(note)}.</p>")
    return "".join(parts)


def _safe_figures(folder: Folder, kinds=None):
    """Like :func:`sim.plots.figures`, but a figure that fails becomes a note."""
    for name in kinds or KINDS:
        try:
            yield from figures(folder, [name])
        except ValueError as exc:
            yield KINDS[name], None, f"could not be drawn ({exc})"


def render_report(folder: Folder) -> str:
    """The whole report as one HTML string."""
    title = _title(folder)
    sections = [("scenarios", "Scenarios", scenario_table(folder)),
                ("findings", "Key findings", findings_section(folder)),
                ("benefits", "Benefits of the bed days released", benefits_html(folder)),
                ("outcomes", "Outcomes", outcomes_html(folder)),
                ("figures", "Figures", _figures(folder)),
                ("kpis", "KPI tables", kpi_tables(folder) + delay_table(folder)),
                ("cost-shifting", "Cost-shifting account", shifting_table(folder)),
                ("configs", "Resolved configs", configs_section(folder)),
                ("stress", "Appendix: STRESS-DES report", stress_section(folder))]
    sections = [s for s in sections if s[0] not in ("benefits", "outcomes") or s[2]]  # compare
    case = case_of(folder)
    if case:
        sections.insert(0, ("case", "Published figure and the model", case_section(case)))
    notes = "".join(f"<p class=\"note\">{esc(n)}</p>" for n in folder.notes)
    nav = "".join(f"<a href=\"#{i}\">{esc(h)}</a>" for i, h, _ in sections)
    body = "".join(f"<section id=\"{i}\"><h2>{esc(h)}</h2>{content}</section>"
                   for i, h, content in sections)
    manifests = [r.manifest for r in folder.runs] + ([folder.sweep.manifest] if folder.sweep
                                                     else [])
    commit = next((m.get("git_commit") for m in manifests if m.get("git_commit")), None)
    meta = (f"Generated {dt.datetime.now().isoformat(timespec='minutes')} from the "
            f"{folder.kind} folder '{folder.path.name}'"
            + (f", code version {commit[:12]}" if commit else "") + ".")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
            f"<header><h1>{esc(title)}</h1><p class=\"meta\">{esc(meta)}</p></header>"
            f"<nav>{nav}</nav>{notes}{body}</main></body></html>\n")


def _write(files: dict[Path, bytes], overwrite: bool, option: str) -> list[Path]:
    """Write each file atomically once none of them would replace a file caresim did not
    write (unless ``overwrite``), and register each in its results folder's marker."""
    for path in files:
        check_replace(path, overwrite, option)
    for path, data in files.items():
        atomic.write_bytes(path, data)
        marker.register(path)
    return list(files)


def write_report(results_dir: str | Path, out_path: str | Path | None = None,
                 overwrite: bool = False) -> Path:
    """Write the self-contained HTML report of a run, compare or sweep folder.

    ``out_path`` defaults to ``RESULTS_DIR/report.html``. Written atomically; it replaces a
    report caresim wrote there before, but an existing file caresim did not write only with
    ``overwrite`` (otherwise :class:`sim.outdir.OutputError`).
    """
    folder = load_folder(results_dir)
    out = Path(out_path) if out_path else Path(results_dir) / "report.html"
    check_replace(out, overwrite, "--out" if out_path else "")  # before the slow part
    return _write({out: render_report(folder).encode("utf-8")}, overwrite,
                  "--out" if out_path else "")[0]


def write_plots(results_dir: str | Path, out_dir: str | Path | None = None,
                kinds: list[str] | None = None, fmt: str = "png",
                notes: list[str] | None = None, overwrite: bool = False) -> list[Path]:
    """Write each applicable figure kind as ``OUT_DIR/<kind>.<fmt>``; returns the paths.

    Kinds that do not apply to the folder are skipped; the reason is appended to ``notes``.
    caresim's own figures of the same name are replaced; an existing file caresim did not
    write is refused (before any file is written) unless ``overwrite``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    unknown = [k for k in (kinds or []) if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown plot kind(s) {unknown}; choose from {list(KINDS)}")
    folder = load_folder(results_dir)
    option = "--out" if out_dir else ""
    out_dir = Path(out_dir) if out_dir else Path(results_dir) / "plots"
    drawn = {}
    for kind, fig, note in _safe_figures(folder, kinds):
        if fig is None:
            if notes is not None:
                notes.append(f"{kind.name}: skipped, {note}")
            continue
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=150)
        drawn[out_dir / f"{kind.name}.{fmt}"] = buffer.getvalue()
    return _write(drawn, overwrite, option)
