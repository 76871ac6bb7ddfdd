"""``caresim sweep``, ``analyse`` and ``case``: experiments and case studies from a terminal.

Parsers and handlers over :mod:`sim.sweep` and :mod:`sim.cases`. Before a sweep starts,
:func:`announce` says how many runs there are and how long they should take (from one timed
run); Ctrl-C keeps the finished runs and says how to resume; a failed write (disk full,
read-only) is one line. The sweep machinery is imported only when a handler runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import textfmt
from ..config import ConfigError
from .options import add_scale_option, add_sweep_options, whole_number


# --- sweep and analyse ---------------------------------------------------------------------
def add_sweep(sub) -> None:
    """Register ``caresim sweep``."""
    p = sub.add_parser(
        "sweep", help="run an experiment (scenarios x design x replications), resumable",
        description="Run experiments/*.toml on local processes or a Dask cluster. Finished "
        "runs are kept: rerunning the same command into the same --out resumes (the default), "
        "and re-runs any damaged run file; --fresh starts over. Exit 1 if any run failed, 2 on "
        "a config error or an --out that holds something else. Start a cluster with `dask "
        "scheduler` and `dask worker tcp://HOST:8786 --nworkers N --nthreads 1` (workers need "
        "caresim installed, not the repo).")
    p.add_argument("experiment", help="experiment TOML file")
    add_sweep_options(p, "results/sweeps/NAME")
    add_scale_option(p)
    p.add_argument("--dask", default=None, metavar="local|ADDRESS",
                   help="run on a Dask LocalCluster ('local') or scheduler (tcp://host:8786)")
    p.set_defaults(func=cmd_sweep)


def add_analyse(sub) -> None:
    """Register ``caresim analyse``."""
    a = sub.add_parser("analyse", help="recompute analysis.json from a sweep's runs",
                       description="Recompute kpis.parquet and analysis.json of a sweep "
                       "folder from its stored runs, without simulating.")
    a.add_argument("out_dir", help="sweep output folder")
    a.set_defaults(func=cmd_analyse)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run an experiment (or a case file) into its folder; exit 1 if a run failed."""
    from .. import outdir
    from ..cases import experiment_from_file, scale_experiment
    from ..sweep import check_resumable, run_sweep
    from ..sweep_plan import resolve
    spec = experiment_from_file(args.experiment)
    if args.scale != 1:
        spec = scale_experiment(spec, args.experiment, args.scale)
    plan = resolve(spec, args.experiment)
    out = Path(args.out or Path("results") / "sweeps" / spec.name)
    try:
        with outdir.Claim(out, "sweep"):  # refused or locked before the timing run
            if not args.fresh:
                check_resumable(plan, out)
            announce(plan, args.workers, args.dask, out, resume=not args.fresh)
            print(f"output: {out}", flush=True)
            summary = run_sweep(spec, out, workers=args.workers, dask=args.dask,
                                resume=not args.fresh, progress=not args.no_progress,
                                source=args.experiment)
    except KeyboardInterrupt:
        return interrupted(out)
    except OSError as err:
        return write_failed(out, err)
    repaired = summary["runs_repaired"]
    print(f"{summary['runs_done']} runs done ({summary['runs_skipped']} already on disk"
          + (f", {len(repaired)} damaged part(s) re-run" if repaired else "") + "), "
          f"{summary['runs_failed']} failed, {textfmt.seconds(summary['wall_seconds'])}; "
          f"warm-up {summary['warmup_days']:g} days. Results in {out}")
    if summary["runs_failed"]:
        print(f"{summary['runs_failed']} run(s) failed: see {out / 'failures.parquet'}; "
              "rerun the same command to retry them", file=sys.stderr)
        return 1
    return 0


def cmd_analyse(args: argparse.Namespace) -> int:
    """Recompute a sweep folder's analysis and print the first KPIs of each scenario."""
    from ..sweep import analyse
    result = analyse(args.out_dir)
    for name, kpis in result["scenarios"].items():
        print(f"{name}: " + ", ".join(f"{k} {v['mean']:.4g}" for k, v in list(kpis.items())[:4]))
    print(f"analysis written to {Path(args.out_dir) / 'analysis.json'}")
    return 0


def announce(plan, workers: int | None = None, dask: str | None = None,
             out: Path | None = None, resume: bool = True) -> None:
    """Print the number of runs and the expected run time (from a timed 1-year replication)
    of the runs still to do; a resumed sweep with every run on disk skips the timing run."""
    from ..config import Scenario
    from ..sweep import same_fingerprint
    from ..sweep_pilot import time_replication
    from ..sweep_plan import replication_plan
    from ..sweep_store import run_key, scan_parts, stored_tables
    spec = plan.spec
    lo, hi = replication_plan(spec)
    n_points = len(plan.points)
    runs = f"{n_points * lo}" if lo == hi else f"{n_points * lo}-{n_points * hi}"
    workers = workers or os.cpu_count() or 1
    print(f"{spec.name}: {len(spec.scenario_names)} scenario(s) x "
          f"{len(plan.design)} design point(s) x {lo if lo == hi else f'{lo}-{hi}'} "
          f"replication(s) = {runs} runs"
          + (f" + {spec.pilot_replications} pilot" if spec.warmup == "auto" else ""),
          flush=True)
    on_disk, damaged = scan_parts(Path(out), stored_tables(spec)) \
        if out is not None and resume and same_fingerprint(plan, out) else ({}, {})
    done = sum(run_key(point, rep) in on_disk for point in plan.points for rep in range(hi))
    if done:
        print(f"{done} of them already in {out}", flush=True)
    for path, problem in damaged.items():
        print(f"damaged, will re-run: {path} ({problem})", flush=True)
    if done >= n_points * hi:
        return
    per_run = time_replication(Scenario.model_validate(plan.config(plan.points[0])))
    cpu = (n_points * hi - done) * per_run
    bound = "" if lo == hi else "at most "
    text = (f"~{per_run:.1f} s per run (timed on a 1-year run) -> {bound}"
            f"{textfmt.seconds(cpu)} of CPU")
    if dask and dask != "local":
        print(f"{text}: divide by the worker processes of the Dask cluster at {dask}")
    else:
        where = "a Dask LocalCluster of" if dask else "on"
        print(f"{text}: expected {bound}{textfmt.seconds(cpu / workers)} {where} {workers} "
              f"process(es) if they scale linearly, "
              f"{textfmt.seconds(cpu / max(1.0, .55 * workers))} at 55% (a busy 2-core "
              "machine)", flush=True)


def interrupted(out: Path) -> int:
    """Report Ctrl-C during a sweep (finished runs are kept); return the exit code 130."""
    print(f"\ninterrupted: finished runs are kept in {out}; run the same command again to "
          "resume", file=sys.stderr)
    return 130


def write_failed(out: Path, err: OSError) -> int:
    """Report a failed write during a sweep (disk full, permissions) in one line; exit 2."""
    from ..sweep_store import scan_parts
    try:
        kept = f"the {len(scan_parts(out)[0])} finished runs are kept; "
    except OSError:
        kept = ""
    print(f"--out {out}: cannot write results: {err}; {kept}fix that and rerun the same "
          "command to resume", file=sys.stderr)
    return 2


# --- case ----------------------------------------------------------------------------------
def add_case(sub) -> None:
    """Register ``caresim case``."""
    p = sub.add_parser(
        "case", help="re-run a published case study and judge the model against it",
        description="Run a case study (experiments/cases/NAME.toml) through the sweep "
        "machinery (resumable) and print the published figure, the model's paired difference "
        "with its 95% interval, and whether the published direction is reproduced.")
    p.add_argument("name", nargs="?", metavar="NAME", help="shipped case (see --list) or a "
                   "case .toml file")
    p.add_argument("--list", action="store_true", help="list the shipped cases and exit")
    p.add_argument("--replications", type=whole_number(2, " (a 95% interval needs two)"),
                   metavar="N",
                   help="replications per scenario (default: the case file's)")
    add_sweep_options(p, "results/cases/NAME")
    p.set_defaults(func=cmd_case)


def cmd_case(args: argparse.Namespace) -> int:
    """Run a case study, print the published figure, the model's answer and the verdict."""
    from ..case_verdict import format_result
    from ..cases import CaseStudy, case_names, find_case
    from ..outdir import Claim
    from ..sweep import check_resumable, run_case
    from ..sweep_plan import resolve
    from ..sweep_spec import Experiment
    if args.list:
        names = case_names()
        width = max(map(len, names), default=0)
        for name in names:
            print(f"{name.ljust(width)}  {find_case(name).case.title}")
        return 0
    if not args.name:
        raise ConfigError([(f"case: give a NAME (shipped cases: {', '.join(case_names())}) "
                            "or --list")])
    study = find_case(args.name)
    if args.replications:
        spec = Experiment.model_validate({**study.experiment.model_dump(),
                                          "replications": args.replications})
        study = CaseStudy(study.name, study.source, study.case, spec)
    out = Path(args.out or Path("results") / "cases" / study.name)
    print(f"case {study.name}: {study.case.title}", flush=True)
    try:
        with Claim(out, "sweep"):  # refused or locked before the timing run
            plan = resolve(study.experiment, study.source)
            if not args.fresh:
                check_resumable(plan, out)
            announce(plan, args.workers, out=out, resume=not args.fresh)
            print(f"output: {out}", flush=True)
            result = run_case(study, out, args.workers, not args.fresh, not args.no_progress)
    except KeyboardInterrupt:
        return interrupted(out)
    except OSError as err:
        return write_failed(out, err)
    except RuntimeError as err:
        print(str(err), file=sys.stderr)
        return 1
    print()
    print(format_result(result))
    print(f"case.json written to {out / 'case.json'}")
    return 0
