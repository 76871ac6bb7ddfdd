"""``caresim init``, ``run``, ``compare`` and ``validate``: scenarios from a terminal.

Each subcommand is one ``add_<name>(sub)`` function (its parser) and one ``cmd_<name>(args)``
handler over the Python API (:mod:`sim.experiments`, :mod:`sim.init_config`). The handlers
import the simulation (and pandas) only when they run, so ``caresim --help`` and a mistyped
option answer at once. Results folders are claimed, locked and written through :mod:`sim.outdir`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import re
import sys
from pathlib import Path

from .. import textfmt
from ..config import DEFAULT_CONFIG, ConfigError, load_config, schema_text, shipped_config_names
from ..scaling import scaled
from .options import CliError, add_scenario_options, overrides


# --- init ----------------------------------------------------------------------------------
def add_init(sub) -> None:
    """Register ``caresim init``."""
    p = sub.add_parser(
        "init", help="start a config of your own from a shipped arrangement",
        description="Write NAME.toml: a shipped arrangement's own lines plus, commented out, "
        "every field a place usually changes (population, capacities, budgets, process times, "
        "prices) with its description, unit and default. Refuses to replace an existing file.")
    p.add_argument("name", metavar="NAME", help="name of the config; writes NAME.toml")
    p.add_argument("--from", dest="arrangement", default=DEFAULT_CONFIG, metavar="ARRANGEMENT",
                   help=f"shipped config to start from (default {DEFAULT_CONFIG}; one of "
                   f"{', '.join(shipped_config_names())})")
    p.add_argument("--out", default=".", metavar="DIR",
                   help="folder to write NAME.toml in (default: the current folder; created "
                   "if missing)")
    p.add_argument("--force", action="store_true", help="replace an existing NAME.toml")
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    """Write the file and print the next steps."""
    from ..init_config import offered_fields, write_config
    path = write_config(args.name, args.arrangement, args.out, args.force)
    count = len(offered_fields(args.arrangement))
    print(f"wrote {path}: the {args.arrangement} arrangement, with {count} fields a place "
          "usually changes commented out")
    print("next: uncomment and edit the lines you change, then")
    print(f"  caresim validate {path}")
    print(f"  caresim run {path}")
    return 0


# --- run -----------------------------------------------------------------------------------
def add_run(sub) -> None:
    """Register ``caresim run``."""
    p = sub.add_parser("run", help="run replications of one scenario",
                       description="Run replications of a scenario and save its results.")
    p.add_argument("config", nargs="?", default="default",
                   help="config file or shipped name (default: %(default)s)")
    add_scenario_options(p, "run", "results/NAME-TIME")
    p.add_argument("--event-log", action="store_true", help="keep the per-person event log")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario, print its KPI table and save its results folder."""
    from .. import experiments
    cfg = scaled(load_config(args.config, overrides=overrides(args)), args.scale)
    with claim(args, cfg.name, "run") as folder:  # locked until the results are written
        res = experiments.run(cfg, cfg.run.replications, cfg.run.seed,
                              progress=not args.quiet, workers=args.workers,
                              event_log=args.event_log)
        print(f"{cfg.name}: {res.replications} replications, seed {res.seed}, "
              f"{cfg.run.years:g} years after a {cfg.run.warmup_days:g}-day warm-up")
        rows = [[r.kpi, textfmt.number(r.kpi, r.mean),
                 textfmt.interval(r.kpi, r.ci_low, r.ci_high, r.mean)]
                for r in res.summary.itertuples()]
        print(textfmt.table(["kpi", "mean", "95% interval"], rows))
        with writing(folder):
            kept = folder.write(res.write_files)
    print(written(folder, kept))
    return 0


def claim(args: argparse.Namespace, name: str, kind: str):
    """Claim ``--out``, or by default a new ``results/NAME-TIME`` (the next free name if
    another process took it); refuses a folder holding anything else (see :mod:`sim.outdir`)."""
    from .. import outdir
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


def written(folder, kept: list[str]) -> str:
    """The closing line: where the results are, and which of the user's files were kept."""
    note = f" (kept files caresim did not write: {', '.join(kept)})" if kept else ""
    return f"results written to {folder.shown}{note}"


@contextlib.contextmanager
def writing(folder):
    """Report an unwritable results location (permissions, disk full) as a user mistake."""
    try:
        yield
    except OSError as err:
        raise CliError([(f"{folder.label}: cannot write results: {err}; no results "
                         "written, nothing there changed")]) from None


# --- compare -------------------------------------------------------------------------------
def add_compare(sub) -> None:
    """Register ``caresim compare``."""
    p = sub.add_parser("compare", help="compare scenarios with common random numbers",
                       description="Run scenarios with common random numbers, print paired "
                       "differences of every KPI against the first, and save every run and "
                       "the differences (by default in results/compare-A-B-TIME).")
    p.add_argument("base", metavar="CONFIG_A", help="the base scenario")
    p.add_argument("scenarios", nargs="+", metavar="CONFIG_B", help="scenarios to compare")
    add_scenario_options(p, "compare", "results/compare-A-B-TIME, A and B the scenario names")
    p.add_argument("--kpis", metavar="K1,K2", type=_kpi_list,
                   help="print only these KPIs (comma-separated; default: all); with several "
                   "scenarios an overview of their changes follows the tables")
    p.set_defaults(func=cmd_compare)


def _kpi_list(text: str) -> list[str]:
    from ..kpis import KPIS  # here: the registry loads pandas, which --help need not
    names = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in names if k not in KPIS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown KPI {', '.join(unknown) or repr(text)}; known: {', '.join(KPIS)}")
    return names


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare scenarios against the first; save every run and the paired differences."""
    found = overrides(args)
    configs, names = [], set()
    for path in [args.base, *args.scenarios]:
        cfg = scaled(load_config(path, overrides=found), args.scale)
        name, n = cfg.name, 2
        while name in names:  # comparing a config with itself: keep folders apart
            name, n = f"{cfg.name}-{n}", n + 1
        names.add(name)
        configs.append(cfg.model_copy(update={"name": name}))
    with claim(args, "-".join(["compare", *(c.name for c in configs)]), "compare") as folder:
        runs, diffs = _compare(args, configs)
        with writing(folder):
            kept = folder.write(lambda tmp: _write_compare(tmp, runs, diffs))
    print(f"\n{written(folder, kept)}")
    return 0


def _write_compare(folder: Path, runs: list, diffs) -> None:
    """A compare folder: one run folder per scenario, and the paired differences."""
    from ..marker import mark
    for res in runs:
        (folder / res.config.name).mkdir()
        res.write_files(folder / res.config.name)
        mark(folder / res.config.name, "run")
    diffs.to_parquet(folder / "paired_differences.parquet", index=False)
    diffs.to_csv(folder / "paired_differences.csv", index=False)


def _compare(args: argparse.Namespace, configs: list) -> tuple[list, object]:
    """Run the scenarios with common random numbers and print their paired differences."""
    from .. import experiments
    base = configs[0].run  # one seed and replication count for all: common random numbers
    runs, diffs = experiments.compare(configs, base.replications, base.seed,
                                      progress=not args.quiet, workers=args.workers)
    order = {kpi: i for i, kpi in enumerate(runs[0].summary["kpi"])}  # as in `caresim run`
    per = len(diffs) // (len(runs) - 1)
    for i, res in enumerate(runs[1:]):
        block = diffs.iloc[i * per:(i + 1) * per].sort_values("kpi", key=lambda k: k.map(order))
        if args.kpis:
            block = block[block["kpi"].isin(args.kpis)]
        print(f"\n{res.config.name} vs {runs[0].config.name}: paired differences over "
              f"{res.replications} replications (seed {res.seed}, common random numbers)")
        rows = [[r.kpi, textfmt.number(r.kpi, r.base_mean),
                 textfmt.number(r.kpi, r.scenario_mean),
                 textfmt.number(r.kpi, r.difference, True, r.base_mean),
                 textfmt.interval(r.kpi, r.ci_low, r.ci_high, r.base_mean, signed=True),
                 textfmt.percent(r.percent_change)]
                for r in block.itertuples()]
        print(textfmt.table(["kpi", "base mean", "scenario mean", "difference",
                             "95% CI of difference", "change"], rows))
    if args.kpis and len(runs) > 2:
        print(overview(diffs, runs, args.kpis))
    return runs, diffs


def overview(diffs, runs, kpis: list[str]) -> str:
    """KPIs x scenarios: each scenario's % change against the base with its 95% interval
    (Fieller's, which stays in range: never below -100% for a quantity that cannot be
    negative); the absolute difference and its interval where no % interval exists."""
    base = runs[0].config.name
    names = [res.config.name for res in runs[1:]]
    rows = []
    for k in kpis:
        chosen = diffs[diffs["kpi"] == k].set_index("scenario")
        row = [k, textfmt.compact(k, float(chosen["base_mean"].iloc[0]))]
        for name in names:
            d = chosen.loc[name]
            span = textfmt.percent_interval(d.percent_low, d.percent_high)
            if span != "n/a":
                row.append(f"{textfmt.percent(d.percent_change)} ({span})")
            else:
                row.append(f"{textfmt.compact(k, d.difference, signed=True)} "
                           f"({textfmt.compact(k, d.ci_low, True)} – "
                           f"{textfmt.compact(k, d.ci_high, True)})")
        rows.append(row)
    return (f"\nchange against {base}: % of {base}'s mean (95% interval of the change); "
            f"the absolute difference (its 95% interval) where the % has no interval\n"
            + textfmt.table(["kpi", base, *names], rows))


# --- validate ------------------------------------------------------------------------------
def add_validate(sub) -> None:
    """Register ``caresim validate``."""
    p = sub.add_parser("validate", help="check config files without running them",
                       description="Check config files; print 'ok: FILE' or one line per "
                       "problem. --schema lists every field with its default and description.")
    p.add_argument("configs", nargs="*", metavar="CONFIG", help="config files or shipped names")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a field before validating (repeatable)")
    p.add_argument("--schema", action="store_true", help="print every field and exit")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each config; exit 2 if any is invalid."""
    if args.schema:
        print(schema_text())
    elif not args.configs:
        raise CliError(["validate: give one or more CONFIG files, or --schema"])
    found = overrides(args)
    status = 0
    for path in args.configs:
        try:
            load_config(path, overrides=found)
            print(f"ok: {path}")
        except ConfigError as err:
            print("\n".join(err.lines), file=sys.stderr)
            status = 2
    return status
