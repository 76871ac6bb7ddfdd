"""``caresim calibrate``: history-match a config to a place's observed figures.

Parser and handler over :mod:`sim.calibrate` (the waves) and :mod:`sim.calibrate_spec` (the
targets file). Before the first wave it says how many runs a wave is and how long it should
take (one timed run, :func:`sim.sweep_pilot.time_replication`); each wave then shows the
sweep's progress bar. Ctrl-C keeps the finished runs, and the same command resumes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import textfmt
from .options import add_scale_option, whole_number
from .sweeps import interrupted


def add_calibrate(sub) -> None:
    """Register ``caresim calibrate``."""
    p = sub.add_parser(
        "calibrate", help="history-match a config's uncertain parameters to observed figures",
        description="Find the values of the [params] in TARGETS.toml at which CONFIG "
        "reproduces the [targets] (history matching: waves of runs, a Gaussian-process "
        "emulator per target, implausibility cut-off 3). Writes DIR/calibrated.toml, "
        "DIR/plausible.parquet, DIR/region.parquet, DIR/calibration.json and "
        "DIR/calibration.html. Rerunning the same command resumes; more --waves continues a "
        "finished calibration.")
    p.add_argument("config", help="config file (or shipped name)")
    p.add_argument("--targets", required=True, metavar="TARGETS.toml",
                   help="[params.\"dotted.field\"] low/high and [targets.KPI] value/sd (or "
                   "by_year figures)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (new, empty, "
                   "or a calibration of the same config, targets and settings: resumed)")
    p.add_argument("--waves", type=whole_number(1, maximum=20), default=3, metavar="N",
                   help="waves at most, 1 to 20 (default 3)")
    p.add_argument("--runs-per-wave", type=whole_number(3, maximum=10_000), default=None,
                   metavar="M", help="points per wave (default 10 per parameter)")
    p.add_argument("--replications", type=whole_number(2, " (the model's run-to-run variance "
                                                          "is estimated from them)", 100),
                   default=3, metavar="R", help="replications per point, 2 to 100 (default 3)")
    p.add_argument("--seed", type=whole_number(0, maximum=2**31 - 1), default=1, metavar="S",
                   help="seed of the runs (common to every point) and of the designs")
    p.add_argument("--workers", type=whole_number(1), default=None, metavar="K",
                   help="processes (default: all cores; with --dask local, its workers)")
    p.add_argument("--dask", default=None, metavar="local|ADDRESS",
                   help="run on a Dask LocalCluster ('local') or scheduler (tcp://host:8786)")
    p.add_argument("--holdout-year", type=whole_number(1900, maximum=2200), default=None,
                   metavar="Y", help="backcast: calibrate on the [targets.KPI.by_year] figures "
                   "of the other years and report how well the model predicts year Y")
    add_scale_option(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run the calibration; print the plausible ranges and where the outputs are."""
    from ..calibrate import calibrate
    from ..calibrate_spec import load_spec
    from ..sweep_pilot import time_replication
    spec = load_spec(args.config, args.targets, args.scale, args.holdout_year)
    runs_per_wave = args.runs_per_wave or 10 * len(spec.params)
    per_run = time_replication(spec.run_config())
    slots = args.workers or os.cpu_count() or 1
    wave_cpu = runs_per_wave * args.replications * per_run
    print(f"{len(spec.params)} parameter(s), {len(spec.targets)} target(s); a wave is "
          f"{runs_per_wave} points x {args.replications} replication(s); ~{per_run:.1f} s per "
          f"run (timed) -> ~{textfmt.seconds(wave_cpu / slots)} a wave on {slots} "
          f"process(es), at most {args.waves} wave(s)"
          + (" (divide by the cluster's workers)" if args.dask and args.dask != "local" else ""),
          flush=True)
    out = Path(args.out)
    try:
        result = calibrate(spec, out, args.waves, runs_per_wave, args.replications,
                           args.workers, args.dask, not args.no_progress, args.seed)
    except KeyboardInterrupt:
        return interrupted(out)
    except RuntimeError as err:
        print(str(err), file=sys.stderr)
        return 1
    print(f"stopped: {result['stopped']}; {result['nroy_share']:.1%} of the box plausible")
    for name, p in result["params"].items():
        rng = "none" if p["low"] is None else f"{p['low']:.4g} to {p['high']:.4g}"
        print(f"  {name}: estimate {p['estimate']:.4g}, plausible {rng} (prior "
              f"{p['prior_low']:g} to {p['prior_high']:g})")
    if "holdout" in result:
        h = result["holdout"]
        print(f"held-out year {h['year']}: {h['coverage']:.0%} of its "
              f"{len(h['targets'])} target(s) within the calibrated model's 95% range (+- 2 sd)")
        for key, t in h["targets"].items():
            print(f"  {key}: observed {t['observed']:.4g} (sd {t['sd']:.3g}), predicted "
                  f"{t['model_low']:.4g} to {t['model_high']:.4g}"
                  + ("" if t["covered"] else ": missed"))
    print(f"wrote {out / 'calibrated.toml'}, plausible.parquet, calibration.json and "
          "calibration.html")
    return 0
