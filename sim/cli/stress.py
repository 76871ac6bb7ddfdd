"""``caresim stress``: a probabilistic stress test of a pooled budget agreement.

Parser and handler over :func:`sim.stress.stress`. Before the runs it says how many there are
and how long they should take (one timed run, :func:`sim.sweep_pilot.time_replication`); the
sweep then shows its progress bar. Ctrl-C keeps the finished runs, and the same command resumes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import textfmt
from .options import add_scale_option, whole_number
from .sweeps import interrupted


def add_stress(sub) -> None:
    """Register ``caresim stress``."""
    p = sub.add_parser(
        "stress", help="stress-test a pooled budget agreement over a calibration's "
        "plausible region",
        description="Draw --draws points from the plausible region of a calibration "
        "(DIR/region.parquet of `caresim calibrate`) and run POOL_CONFIG and its baseline "
        "(today's fragmented funding of the same place, or --baseline) at each, with common "
        "random numbers. Reports per partner (NHS, LA) P10/P50/P90 of year-end risk-share "
        "top-ups or refunds and of what it pays, the probability the agreement costs it more "
        "than the baseline, statutory-risk days, rationed decisions, the change in delayed bed "
        "days and the cost per QALY. Writes OUT/stress.parquet, OUT/stress.json and "
        "OUT/stress.html. Rerunning the same command resumes.")
    p.add_argument("config", metavar="POOL_CONFIG", help="the agreement: a config with a "
                   "[funding.pool] (file or shipped name)")
    p.add_argument("--plausible", required=True, metavar="DIR",
                   help="the --out folder of `caresim calibrate` (region.parquet, "
                   "calibration.json); its parameters must be fields of POOL_CONFIG")
    p.add_argument("--baseline", default=None, metavar="CONFIG",
                   help="what the agreement is compared with (default: POOL_CONFIG with "
                   "[funding] and the arrangement levers of configs/fragmented.toml)")
    p.add_argument("--draws", type=whole_number(1, maximum=100_000), default=100, metavar="N",
                   help="points drawn from the plausible region, 1 to 100,000 (default 100)")
    p.add_argument("--replications", type=whole_number(1, maximum=100), default=1,
                   metavar="R", help="replications per draw and arm, 1 to 100 (default 1)")
    p.add_argument("--seed", type=whole_number(0, maximum=2**31 - 1), default=1, metavar="S",
                   help="seed of the draws and of the runs (common to both arms)")
    p.add_argument("--out", default="results/stress", metavar="OUT",
                   help="output folder (default results/stress): new, empty, or a stress "
                   "test of the same inputs and settings (resumed)")
    p.add_argument("--workers", type=whole_number(1), default=None, metavar="K",
                   help="processes (default: all cores; with --dask local, its workers)")
    p.add_argument("--dask", default=None, metavar="local|ADDRESS",
                   help="run on a Dask LocalCluster ('local') or scheduler (tcp://host:8786)")
    add_scale_option(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_stress)


def cmd_stress(args: argparse.Namespace) -> int:
    """Run the stress test; print the per-partner answer and where the outputs are."""
    from ..scaling import scaled
    from ..stress import check_params, load_arms, read_region, stress
    from ..sweep_pilot import time_replication
    params, _ = read_region(args.plausible)        # every input error before the timing run
    arms = load_arms(args.config, args.baseline)
    check_params(params, args.config, args.plausible)
    per_run = time_replication(scaled(arms["arrangement"], args.scale))
    runs = args.draws * args.replications * 2
    slots = args.workers or os.cpu_count() or 1
    print(f"{args.draws} draw(s) x {args.replications} replication(s) x 2 arms = {runs} runs; "
          f"~{per_run:.1f} s per run (timed) -> ~{textfmt.seconds(runs * per_run / slots)} on "
          f"{slots} process(es)"
          + (" (divide by the cluster's workers)" if args.dask and args.dask != "local" else ""),
          flush=True)
    out = Path(args.out)
    try:
        result = stress(args.config, args.plausible, out, args.baseline, args.draws,
                        args.replications, args.workers, args.dask, args.scale, args.seed,
                        not args.no_progress)
    except KeyboardInterrupt:
        return interrupted(out)
    except RuntimeError as err:
        print(str(err), file=sys.stderr)
        return 1
    for p in result["partners"].values():
        c = p["paid_change_gbp"]
        print(f"{p['name']}: the agreement costs it more than the baseline in "
              f"{p['p_pays_more']:.0%} of draws; pays {c['p50']:+,.0f} GBP a year (P50; P10 "
              f"{c['p10']:+,.0f}, P90 {c['p90']:+,.0f}); year-end top-up P50 "
              f"{p['top_up_gbp']['p50']:+,.0f}")
    d = result["delayed_bed_days_change"]
    print(f"delayed bed days a year: {d['p50']:+,.0f} (P10 {d['p10']:+,.0f}, P90 "
          f"{d['p90']:+,.0f}); cost per QALY: {result['cost_per_qaly']['statement']}")
    print(f"wrote {out / 'stress.parquet'}, stress.json and stress.html")
    return 0
