"""The ``caresim`` command line: run, compare and validate scenarios from a terminal.

A thin wrapper over the Python API (:func:`sim.load_config`, :func:`sim.run`,
:func:`sim.compare`) so that everything the command line does can also be done from Jupyter.
User mistakes (a missing file, bad TOML, an unknown or out-of-range field, a malformed
``--set`` or option, an ``--out`` that holds something else) become one line per problem on
stderr and exit code 2, never a traceback; Ctrl-C exits with 130 and leaves no partial results
folder. Results folders are claimed, locked and written through :mod:`sim.outdir`. Each
subcommand is added by one small ``_add_<name>(sub)`` function listed in :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import math
import os
import re
import sys
from pathlib import Path

import sim
from sim import outdir
from sim.config import ConfigError, load_config, parse_override, schema_text
from sim.sweep import whole_number

#: Bounds of ``--years`` (as of ``run.years``): one day to 50 years.
YEARS_MIN, YEARS_MAX = 1 / 365.25, 50.0


class CliError(ConfigError):
    """A user mistake on the command line (reported like a config error, exit code 2)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: ``caresim run: error: ...``."""

    def error(self, message: str):
        message = re.sub(r"^argument ", "", message).replace("\n", " ")
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _years(text: str) -> float:
    """``--years``: a finite number of years from one day to 50."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not YEARS_MIN <= value <= YEARS_MAX:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"expected a number of years from one day (1/365.25 = {YEARS_MIN:.5f}) to "
            f"{YEARS_MAX:g}, got {text!r}")
    return value


def _overrides(args: argparse.Namespace) -> dict:
    """Dotted overrides from ``--set`` and the shortcut flags (flags win over ``--set``)."""
    overrides = dict(parse_override(text) for text in args.set or [])
    for flag, key in (("years", "run.years"), ("replications", "run.replications"),
                      ("seed", "run.seed")):
        if getattr(args, flag, None) is not None:
            overrides[key] = getattr(args, flag)
    return overrides


def _claim(args: argparse.Namespace, name: str, kind: str) -> outdir.Claim:
    """Claim ``--out``, or by default a new ``results/NAME-TIME`` (the next free name if
    another process took it); refuses a folder holding anything else (see :mod:`sim.outdir`)."""
    if args.out:
        return outdir.Claim(Path(args.out), kind, args.overwrite).acquire()
    stem = re.sub(r"[^\w.-]+", "_", name)[:80] + dt.datetime.now().strftime("-%Y%m%d-%H%M%S")
    for n in itertools.count(1):
        out = Path("results") / (stem if n == 1 else f"{stem}-{n}")
        if out.exists():
            continue
        try:
            return outdir.Claim(out, kind, option="").acquire()  # the user gave no --out
        except outdir.FolderBusy:
            continue


def _written(claim: outdir.Claim, kept: list[str]) -> str:
    note = f" (kept files caresim did not write: {', '.join(kept)})" if kept else ""
    return f"results written to {claim.shown}{note}"


def _fmt(kpi: str, x: float, signed: bool = False, ref: float | None = None) -> str:
    """£1,234 for *_gbp, 12.3% (+1.2 pp if signed) for *_share, else decimals by |ref or x|."""
    if not math.isfinite(x):
        return "n/a"
    size = abs(x if ref is None or not math.isfinite(ref) else ref)
    pre = unit = ""
    if kpi.endswith("_share"):
        body, unit = f"{abs(x) * 100:.1f}", " pp" if signed else "%"
    elif kpi.endswith("_gbp"):
        body, pre = f"{abs(x):,.0f}", "£"
    else:
        body = f"{abs(x):,.{0 if size >= 100 else 1 if size >= 10 else 2}f}"
    sign = "" if not body.strip("0.,") else "-" if x < 0 else "+" if signed else ""
    return f"{sign}{pre}{body}{unit}"


def _interval(kpi: str, lo: float, hi: float, ref: float, signed: bool = False) -> str:
    return f"{_fmt(kpi, lo, signed, ref)} – {_fmt(kpi, hi, signed, ref)}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    """Plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths))) for r in [header, *rows]]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


@contextlib.contextmanager
def _writing(claim: outdir.Claim):
    """Report an unwritable results location (permissions, disk full) as a user mistake."""
    try:
        yield
    except OSError as err:
        raise CliError([(f"{claim.label}: cannot write results: {err}; no results "
                         "written, nothing there changed")]) from None


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="run replications of one scenario",
                       description="Run replications of a scenario and save its results.")
    p.add_argument("config", nargs="?", default="default",
                   help="config file or shipped name (default: %(default)s)")
    _add_run_options(p, "run", "results/NAME-TIME")
    p.add_argument("--event-log", action="store_true", help="keep the per-person event log")
    p.set_defaults(func=_cmd_run)


def _add_run_options(p: argparse.ArgumentParser, kind: str, default_out: str) -> None:
    p.add_argument("--replications", type=whole_number(1, maximum=1000), metavar="N",
                   help="replications, 1 to 1,000 (default: the config's run.replications)")
    p.add_argument("--seed", type=whole_number(0, maximum=2**63 - 1), metavar="S",
                   help="master seed, a whole number from 0 (default: run.seed)")
    p.add_argument("--years", type=_years, metavar="Y",
                   help="simulated years after the warm-up, from one day (1/365.25) to 50 "
                   "(default: the config's run.years)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a field, e.g. --set acute.beds=400 (repeatable)")
    p.add_argument("--out", metavar="DIR",
                   help=f"results folder (default: {default_out}); must be new or empty, or "
                   f"a {kind} results folder with --overwrite")
    p.add_argument("--overwrite", action="store_true",
                   help=f"replace the results in --out if it holds a {kind}'s results (files "
                   "caresim did not write, e.g. your notes, are kept)")
    p.add_argument("--workers", type=whole_number(1), default=os.cpu_count() or 1, metavar="W",
                   help="processes to use (default: every core; 1 = serial)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario, print its KPI table and save its results folder."""
    cfg = load_config(args.config, overrides=_overrides(args))
    with _claim(args, cfg.name, "run") as claim:  # locked until the results are written
        res = sim.run(cfg, cfg.run.replications, cfg.run.seed, progress=not args.quiet,
                      workers=args.workers, event_log=args.event_log)
        print(f"{cfg.name}: {res.replications} replications, seed {res.seed}, "
              f"{cfg.run.years:g} years after a {cfg.run.warmup_days:g}-day warm-up")
        rows = [[r.kpi, _fmt(r.kpi, r.mean), _interval(r.kpi, r.ci_low, r.ci_high, r.mean)]
                for r in res.summary.itertuples()]
        print(_table(["kpi", "mean", "95% interval"], rows))
        with _writing(claim):
            kept = claim.write(res.write_files)
    print(_written(claim, kept))
    return 0


def _add_compare(sub) -> None:
    p = sub.add_parser("compare", help="compare scenarios with common random numbers",
                       description="Run scenarios with common random numbers, print paired "
                       "differences of every KPI against the first, and save every run and "
                       "the differences (by default in results/compare-A-B-TIME).")
    p.add_argument("base", metavar="CONFIG_A", help="the base scenario")
    p.add_argument("scenarios", nargs="+", metavar="CONFIG_B", help="scenarios to compare")
    _add_run_options(p, "compare", "results/compare-A-B-TIME, A and B the scenario names")
    p.add_argument("--kpis", metavar="K1,K2", type=_kpi_list,
                   help="print only these KPIs (comma-separated; default: all); with several "
                   "scenarios an overview of their changes follows the tables")
    p.set_defaults(func=_cmd_compare)


def _kpi_list(text: str) -> list[str]:
    from .results import KPI_DESCRIPTIONS
    names = [k.strip() for k in text.split(",") if k.strip()]
    known = set(KPI_DESCRIPTIONS) | {f"deaths_{b}" for b in ("65-74", "75-84", "85+")}
    unknown = [k for k in names if k not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown KPI {', '.join(unknown) or repr(text)}; known: {', '.join(KPI_DESCRIPTIONS)}")
    return names


def _cmd_compare(args: argparse.Namespace) -> int:
    """Compare scenarios against the first; save every run and the paired differences."""
    overrides = _overrides(args)
    configs, names = [], set()
    for path in [args.base, *args.scenarios]:
        cfg = load_config(path, overrides=overrides)
        name, n = cfg.name, 2
        while name in names:  # comparing a config with itself: keep folders apart
            name, n = f"{cfg.name}-{n}", n + 1
        names.add(name)
        configs.append(cfg.model_copy(update={"name": name}))
    with _claim(args, "-".join(["compare", *(c.name for c in configs)]), "compare") as claim:
        runs, diffs = _compare(args, configs)
        with _writing(claim):
            kept = claim.write(lambda tmp: _write_compare(tmp, runs, diffs))
    print(f"\n{_written(claim, kept)}")
    return 0


def _write_compare(folder: Path, runs: list, diffs) -> None:
    """A compare folder: one run folder per scenario, and the paired differences."""
    for res in runs:
        (folder / res.config.name).mkdir()
        res.write_files(folder / res.config.name)
        outdir.mark(folder / res.config.name, "run")
    diffs.to_parquet(folder / "paired_differences.parquet", index=False)
    diffs.to_csv(folder / "paired_differences.csv", index=False)


def _compare(args: argparse.Namespace, configs: list) -> tuple[list, object]:
    """Run the scenarios with common random numbers and print their paired differences."""
    base = configs[0].run  # one seed and replication count for all: common random numbers
    runs, diffs = sim.compare(configs, base.replications, base.seed, progress=not args.quiet,
                              workers=args.workers)
    order = {kpi: i for i, kpi in enumerate(runs[0].summary["kpi"])}  # as in `caresim run`
    per = len(diffs) // (len(runs) - 1)
    for i, res in enumerate(runs[1:]):
        block = diffs.iloc[i * per:(i + 1) * per].sort_values("kpi", key=lambda k: k.map(order))
        if args.kpis:
            block = block[block["kpi"].isin(args.kpis)]
        print(f"\n{res.config.name} vs {runs[0].config.name}: paired differences over "
              f"{res.replications} replications (seed {res.seed}, common random numbers)")
        rows = [[r.kpi, _fmt(r.kpi, r.base_mean), _fmt(r.kpi, r.scenario_mean),
                 _fmt(r.kpi, r.difference, True, r.base_mean),
                 _interval(r.kpi, r.ci_low, r.ci_high, r.base_mean, signed=True),
                 f"{r.percent_change:+.1f}%" if math.isfinite(r.percent_change) else "n/a"]
                for r in block.itertuples()]
        print(_table(["kpi", "base mean", "scenario mean", "difference",
                      "95% CI of difference", "change"], rows))
    if args.kpis and len(runs) > 2:
        print(_overview(diffs, runs, args.kpis))
    return runs, diffs


def _overview(diffs, runs, kpis: list[str]) -> str:
    """KPIs x scenarios: each scenario's change against the base, +- half the 95% CI."""
    base = runs[0].config.name
    names = [res.config.name for res in runs[1:]]
    rows = []
    for k in kpis:
        chosen = diffs[diffs["kpi"] == k].set_index("scenario")
        base_mean = float(chosen["base_mean"].iloc[0])
        row = [k, _compact(k, base_mean)]
        for name in names:
            d = chosen.loc[name]
            half = (d.ci_high - d.ci_low) / 2
            if base_mean:
                row.append(f"{100 * d.difference / base_mean:+.1f}% ±{100 * half / base_mean:.1f}")
            else:
                row.append(f"{_compact(k, d.difference, signed=True)} ±{_compact(k, half)}")
        rows.append(row)
    return (f"\nchange against {base} (% of {base}'s mean, ± half the 95% CI of the paired "
            f"difference; absolute where {base}'s mean is 0)\n"
            + _table(["kpi", base, *names], rows))


def _compact(kpi: str, x: float, signed: bool = False) -> str:
    """Short numbers for the overview: £83.1m, 14,503, 1.32, 13.6%."""
    if kpi.endswith("_gbp") and abs(x) >= 1e5:
        sign = "-" if x < 0 else "+" if signed else ""
        return f"{sign}£{abs(x) / 1e6:,.1f}m"
    return _fmt(kpi, x, signed)


def _add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check config files without running them",
                       description="Check config files; print 'ok: FILE' or one line per "
                       "problem. --schema lists every field with its default and description.")
    p.add_argument("configs", nargs="*", metavar="CONFIG", help="config files or shipped names")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a field before validating (repeatable)")
    p.add_argument("--schema", action="store_true", help="print every field and exit")
    p.set_defaults(func=_cmd_validate)


def _cmd_validate(args: argparse.Namespace) -> int:
    """Validate each config; exit 2 if any is invalid."""
    if args.schema:
        print(schema_text())
    elif not args.configs:
        raise CliError(["validate: give one or more CONFIG files, or --schema"])
    overrides = _overrides(args)
    status = 0
    for path in args.configs:
        try:
            load_config(path, overrides=overrides)
            print(f"ok: {path}")
        except ConfigError as err:
            print("\n".join(err.lines), file=sys.stderr)
            status = 2
    return status


def _add_plot_and_report(sub) -> None:
    from . import report
    report.add_subcommands(sub)


def _add_sweep_and_analyse(sub) -> None:
    from . import sweep
    sweep.add_subcommands(sub)


def _add_case(sub) -> None:
    from . import cases
    cases.add_subcommand(sub)


def _add_init(sub) -> None:
    from . import init_config
    init_config.add_subcommand(sub)


#: Functions adding one subcommand each; add yours here.
SUBCOMMANDS = (_add_init, _add_run, _add_compare, _add_validate, _add_plot_and_report,
               _add_sweep_and_analyse, _add_case)


def build_parser() -> argparse.ArgumentParser:
    """The ``caresim`` argument parser with every subcommand in :data:`SUBCOMMANDS`."""
    parser = Parser(
        prog="caresim", description="Simulate older people's health and social care flows "
        "under fragmented and pooled funding.")
    parser.add_argument("--version", action="version", version=f"caresim {sim.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (2: user mistake, 130: interrupted).

    Parameters
    ----------
    argv : arguments without the program name (default: ``sys.argv[1:]``).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and argparse usage errors
        return exc.code if isinstance(exc.code, int) else 0
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ConfigError as err:
        print("\n".join(err.lines), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; no results written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
