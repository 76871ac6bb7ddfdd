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
import io
import os
import sys
import tempfile
from pathlib import Path

from .plots import KINDS, ResultsError, figures, load_folder
from .plots.data import Folder
from .report_sections import (
    case_of,
    case_section,
    configs_section,
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


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


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
                     f"src=\"data:image/png;base64,{_png(fig)}\"><figcaption><b>"
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
                ("figures", "Figures", _figures(folder)),
                ("kpis", "KPI tables", kpi_tables(folder)),
                ("cost-shifting", "Cost-shifting account", shifting_table(folder)),
                ("configs", "Resolved configs", configs_section(folder)),
                ("stress", "Appendix: STRESS-DES report", stress_section(folder))]
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
