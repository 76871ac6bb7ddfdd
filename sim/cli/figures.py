"""``caresim plot`` and ``caresim report``: figures and one HTML report of a results folder.

Parsers and handlers over :mod:`sim.report`. The figure kinds and formats are named here so
that building the parser (``caresim --help``) does not import matplotlib; a test checks they
are :data:`sim.plots.KINDS` and :data:`sim.report.FORMATS`.
"""

from __future__ import annotations

import argparse
import sys

#: The figure kinds of :data:`sim.plots.KINDS`, in its order.
FIGURE_KINDS = ("bed_use", "care_settings", "cash_by_service", "resource_use",
                "cumulative_cost_difference", "budget_balance", "cost_shifting", "destinations",
                "delay_survival", "setting_mix", "forest", "tornado", "sobol", "morris",
                "lhs_scatter")
#: The file formats of :data:`sim.report.FORMATS`.
FORMATS = ("png", "svg", "pdf")
RESULTS_DIR_HELP = ("a folder written by caresim run, compare, sweep or case (e.g. "
                    "results/pooled, results/sweeps/smoke, results/cases/torbay)")


def add_plot(sub) -> None:
    """Register ``caresim plot``."""
    p = sub.add_parser("plot", help="write figures of a run, compare or sweep folder",
                       description="Write figures of a results folder (run, compare or "
                       "sweep). Kinds that do not apply are skipped with a note.")
    p.add_argument("results_dir", metavar="RESULTS_DIR", help=RESULTS_DIR_HELP)
    p.add_argument("--kind", action="append", choices=FIGURE_KINDS, metavar="NAME",
                   help=f"figure kind, repeatable (default: all): {', '.join(FIGURE_KINDS)}")
    p.add_argument("--format", choices=FORMATS, default="png", help="file format (png)")
    p.add_argument("--out", metavar="DIR", help="output folder (default RESULTS_DIR/plots; "
                   "caresim's own figures of the same name are replaced)")
    p.add_argument("--overwrite", action="store_true",
                   help="also replace files of the same name that caresim did not write")
    p.set_defaults(func=cmd_plot)


def add_report(sub) -> None:
    """Register ``caresim report``."""
    r = sub.add_parser("report", help="write one self-contained HTML report",
                       description="Write one self-contained HTML report (figures "
                       "embedded, no network needed) of a run, compare or sweep folder.")
    r.add_argument("results_dir", metavar="RESULTS_DIR", help=RESULTS_DIR_HELP)
    r.add_argument("--out", metavar="FILE", help="report path (default RESULTS_DIR/report.html; "
                   "a report caresim wrote there is replaced)")
    r.add_argument("--overwrite", action="store_true",
                   help="also replace an existing file that caresim did not write")
    r.set_defaults(func=cmd_report)


def _fail(message: str) -> int:
    print(f"caresim: error: {message}", file=sys.stderr)
    return 2


def cmd_plot(args: argparse.Namespace) -> int:
    """Write the figures; print their paths, and a note for each kind skipped."""
    from ..plots import ResultsError
    from ..report import write_plots
    notes: list[str] = []
    try:
        paths = write_plots(args.results_dir, args.out, args.kind, args.format, notes,
                            overwrite=args.overwrite)
    except (ResultsError, OSError, ValueError) as exc:
        return _fail(str(exc))
    for path in paths:
        print(path)
    for note in notes:
        print(note, file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report; print its path."""
    from ..plots import ResultsError
    from ..report import write_report
    try:
        path = write_report(args.results_dir, args.out, overwrite=args.overwrite)
    except (ResultsError, OSError) as exc:
        return _fail(str(exc))
    print(path)
    return 0
