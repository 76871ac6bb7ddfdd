"""Core-engine benchmark for caresim: wall time, events/second and peak memory by population size.

Usage::

    python benchmarks/bench_core.py                      # sizes 55,200 / 200,000 / 500,000, 5 years
    python benchmarks/bench_core.py --sizes 55200 200000 --years 5
    python benchmarks/bench_core.py --quick              # 55,200 people x 1 year (smoke check)
    python benchmarks/bench_core.py --profile            # cProfile one 55,200 x --years replication

This is a script, not a test. For every size it runs, each in its own fresh subprocess (so each
peak RSS belongs to that run alone):

1. a BARE SIMPY REFERENCE MODEL (see :func:`bare_model`): one superposed crisis stream, one
   ``simpy.Resource`` of acute beds, one ``simpy.Container`` of home-care hours, nothing else;
2. CARESIM, shipped "fragmented" config, its place scaled by N / 55,200 (``sim.scaling``, as
   ``caresim run --scale``; 500,000 people is ``--scale 9.06``).

and prints a table with the targets next to the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import time

DEFAULT_PLACE = 55_200          # 65+ residents of a 300,000 place (config default)
YEAR_DAYS = 365.25
SEED = 1

# targets (printed next to the figures)
TARGET_RATIO = 2.5              # caresim time / bare time at 55,200 x 5 years (issue 12)
TARGET_500K_SECONDS = 40.0      # 500,000 x 5 years, one replication (simulate + collect)
TARGET_MEMORY_SLACK = 1.10      # net MB per 1,000 people may not exceed the smallest size's x1.1

# bare model parameters (mirror the caresim defaults they stand for)
CRISIS_RATE = 0.267             # crises per person-year (crisis.rate_per_person_year)
BEDS_PER_PLACE = 400            # acute.beds at 55,200 people
LOS_MEAN, LOS_SIGMA = 9.0, 1.08  # acute.los_mean_days, acute.los_sigma (lognormal)
HOURS_PER_PLACE = 27_000.0      # home_care.capacity_hours_per_week at 55,200 people
BARE_HOME_CARE_SHARE = 0.10     # share of discharges that take a home-care package
BARE_PACKAGE_HOURS = 12.0       # home_care.hours_per_week_mean
BARE_PACKAGE_DAYS = YEAR_DAYS   # mean package length (exponential)



def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux reports KB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 1024.0 ** 2


# --- 1. bare SimPy reference model -------------------------------------------------------------
def bare_model(n: int, horizon_days: float, seed: int = SEED) -> dict:
    """BARE SIMPY REFERENCE MODEL (not caresim).

    * one process draws exponential inter-arrival times at total rate n x 0.267 per year and
      picks a random person (a crisis for someone already in hospital is ignored);
    * the person's process requests one of round(400 x n / 55,200) beds (``simpy.Resource``),
      stays a lognormal time (mean 9 days, sigma 1.08) and releases it;
    * 10% of discharges then take 12 hours/week from one ``simpy.Container`` of
      27,000 x n / 55,200 home-care hours for an exponential time (mean 1 year), then put them
      back.

    Nothing else: no hazards, states, funding, ledger or occupancy. Events are counted with
    caresim's own ``sim.engine.Engine`` (the same run loop).
    """
    import simpy

    from sim.engine import Engine

    env = Engine()
    rnd = random.Random(seed)
    scale = n / DEFAULT_PLACE
    beds = simpy.Resource(env, capacity=max(1, round(BEDS_PER_PLACE * scale)))
    cap = max(1.0, HOURS_PER_PLACE * scale)
    hours = simpy.Container(env, capacity=cap, init=cap)
    in_hospital = bytearray(n)
    rate_per_day = n * CRISIS_RATE / YEAR_DAYS
    mu = math.log(LOS_MEAN) - LOS_SIGMA ** 2 / 2.0
    counts = {"crises": 0, "admissions": 0, "packages": 0}

    def stay(i):
        with beds.request() as req:
            yield req
            yield env.timeout(rnd.lognormvariate(mu, LOS_SIGMA))
        in_hospital[i] = 0
        if rnd.random() < BARE_HOME_CARE_SHARE:
            counts["packages"] += 1
            yield hours.get(BARE_PACKAGE_HOURS)
            yield env.timeout(rnd.expovariate(1.0 / BARE_PACKAGE_DAYS))
            yield hours.put(BARE_PACKAGE_HOURS)

    def crises():
        while True:
            yield env.timeout(rnd.expovariate(rate_per_day))
            counts["crises"] += 1
            i = rnd.randrange(n)
            if not in_hospital[i]:
                in_hospital[i] = 1
                counts["admissions"] += 1
                env.process(stay(i))

    env.process(crises())
    wall, cpu = time.perf_counter(), time.process_time()
    env.run(until=horizon_days)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"kind": "bare", "n": n, "horizon_days": horizon_days, "wall_s": wall, "cpu_s": cpu,
            "cpu_incl_startup_s": time.process_time(),
            "events_per_cpu_s": env.events_processed / cpu,
            "events": env.events_processed, "events_per_s": env.events_processed / wall,
            **counts}


# --- 2. caresim --------------------------------------------------------------------------------
def caresim_config(n: int, years: float):
    """The shipped fragmented config's place grown to n people (``caresim run --scale``)."""
    from sim.config import load_config
    from sim.scaling import scaled

    return scaled(load_config("fragmented", overrides={"run.years": years}), n / DEFAULT_PLACE)


def caresim_once(n: int, years: float) -> dict:
    """One caresim replication; simulate (construction + run) and collect timed separately."""
    from sim.model import Model
    from sim.results import collect

    cfg = caresim_config(n, years)
    baseline = peak_rss_mb()          # interpreter + imports, before any person exists
    wall, cpu = time.perf_counter(), time.process_time()
    model = Model(cfg, SEED, 0)
    model.run()
    sim_wall, sim_cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_sim = peak_rss_mb()
    wall = time.perf_counter()
    result = collect(model, 0, SEED)
    collect_wall = time.perf_counter() - wall
    peak = peak_rss_mb()
    events = model.env.events_processed
    return {"kind": "caresim", "n": n, "years": years, "horizon_days": model.horizon,
            "sim_wall_s": sim_wall, "sim_cpu_s": sim_cpu, "collect_wall_s": collect_wall,
            "startup_cpu_s": cpu, "collect_cpu_s": time.process_time() - cpu - sim_cpu,
            "cpu_incl_startup_s": cpu + sim_cpu, "events_per_cpu_s": events / sim_cpu,
            "events": events, "events_per_s": events / sim_wall, "people_ever": int(model.pop.n),
            "baseline_mb": baseline, "peak_after_sim_mb": peak_sim, "peak_mb": peak,
            "admissions": len(model.log.of("admission")), "deaths": len(model.log.of("death")),
            "kpi_emergency_admissions": result.kpis.get("emergency_admissions")}


THEORY_CONFIG = "configs/theory/mmc_acute.toml"
THEORY_PEOPLE, THEORY_ADMISSIONS_PER_DAY, THEORY_BEDS = 200_000, 40.0, 400


def theory_overrides(years: float) -> dict:
    """The acute-only theory config at 200,000 people, 40 admissions a day and 400 beds."""
    return {"population.size": THEORY_PEOPLE, "acute.beds": THEORY_BEDS, "run.years": years,
            "crisis.rate_per_person_year": THEORY_ADMISSIONS_PER_DAY * YEAR_DAYS / THEORY_PEOPLE}


def theory_once(years: float) -> dict:
    """One replication of the acute-only theory config; CPU seconds include start-up."""
    from sim.config import load_config
    from sim.model import Model
    from sim.results import collect

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cfg = load_config(os.path.join(root, THEORY_CONFIG), overrides=theory_overrides(years))
    startup = time.process_time()
    model = Model(cfg, SEED, 0).run()
    sim_cpu = time.process_time() - startup
    collect(model, 0, SEED)
    total = time.process_time()
    return {"kind": "theory", "n": THEORY_PEOPLE, "years": years, "startup_cpu_s": startup,
            "sim_cpu_s": sim_cpu, "collect_cpu_s": total - startup - sim_cpu,
            "cpu_total_s": total, "cpu_per_replication_year": total / years,
            "events": model.env.events_processed,
            "admissions": len(model.log.of("admission"))}


def run_child(kind: str, n: int, years: float, timeout: float | None) -> dict:
    """Run one measurement in a fresh interpreter (hidden --one flag) and parse its JSON line."""
    cmd = [sys.executable, os.path.abspath(__file__), "--one", str(n), "--kind", kind,
           "--years", repr(years)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"kind": kind, "n": n, "error": f"timed out after {timeout:.0f} s"}
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"kind": kind, "n": n, "error": (out.stderr.strip().splitlines() or ["no output"])[-1]}


# --- reporting ---------------------------------------------------------------------------------
def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    import simpy
    return (f"machine: {platform.platform()} | {cpu} | cpu count {os.cpu_count()} | "
            f"python {platform.python_version()} | simpy {simpy.__version__}")


def fmt(x, spec=",.1f"):
    return "-" if x is None else format(x, spec)


def print_tables(rows: list[tuple[dict, dict]], years: float) -> None:
    head = (f"| {'people':>9} | {'bare s':>7} | {'bare ev/s':>10} | {'caresim sim s':>13} | "
            f"{'collect s':>9} | {'events':>12} | {'ev/s':>9} | {'ratio':>6} | target")
    print(head)
    print("|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|--------")
    for bare, care in rows:
        n = care.get("n") or bare.get("n")
        if "error" in care or "error" in bare:
            print(f"| {n:>9,} | error: {bare.get('error', '')} {care.get('error', '')}")
            continue
        ratio = care["sim_wall_s"] / bare["wall_s"]
        total = care["sim_wall_s"] + care["collect_wall_s"]
        target = ""
        if n == DEFAULT_PLACE and years == 5:
            ok = ratio <= TARGET_RATIO
            target = f"ratio <= {TARGET_RATIO:g}: {'PASS' if ok else 'FAIL'}"
        elif n == DEFAULT_PLACE:
            target = f"(ratio target {TARGET_RATIO:g}x is for 5 years)"
        if n == 500_000:
            ok = years == 5 and total <= TARGET_500K_SECONDS
            target = (f"sim+collect {total:.1f} s <= {TARGET_500K_SECONDS:g} s: "
                      f"{'PASS' if ok else 'FAIL'}" if years == 5 else "(90 s target is 5 y)")
        print(f"| {n:>9,} | {bare['wall_s']:>7.1f} | {bare['events_per_s']:>10,.0f} | "
              f"{care['sim_wall_s']:>13.1f} | {care['collect_wall_s']:>9.1f} | "
              f"{care['events']:>12,} | {care['events_per_s']:>9,.0f} | {ratio:>5.2f}x | {target}")
    print()
    head = (f"| {'people':>9} | {'ever':>9} | {'base MB':>7} | {'peak MB':>7} | {'net MB':>7} | "
            f"{'MB/1k peak':>10} | {'MB/1k net':>9} | {'B/person':>8} | target")
    print(head)
    print("|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|--------")
    first = None
    for _, care in rows:
        if "error" in care:
            continue
        n = care["n"]
        net = care["peak_mb"] - care["baseline_mb"]
        per_k = net / (n / 1000)
        first = per_k if first is None else first
        ok = per_k <= first * TARGET_MEMORY_SLACK
        print(f"| {n:>9,} | {care['people_ever']:>9,} | {care['baseline_mb']:>7.0f} | "
              f"{care['peak_mb']:>7.0f} | {net:>7.0f} | {care['peak_mb'] / (n / 1000):>10.2f} | "
              f"{per_k:>9.2f} | {net * 2 ** 20 / n:>8,.0f} | "
              f"net MB/1k <= {TARGET_MEMORY_SLACK:g} x smallest size's: "
              f"{'PASS' if ok else 'FAIL'}")
    print()
    print("columns: 'bare s' = bare SimPy reference model wall seconds; 'caresim sim s' = model "
          "construction + run; 'collect s' = sim.results.collect; 'ratio' = caresim sim s / bare "
          "s; 'base MB' = peak RSS after imports, before the model; 'net' = peak - base; "
          "'ever' = people ever simulated (start + entrants); B/person = net bytes per person at "
          "the start.")


def print_cpu_summary(rows: list[tuple[dict, dict]], theory: dict | None) -> None:
    """CPU seconds (not wall: the machine is shared), the figures issue 12 sets targets for."""
    print("CPU seconds (process_time; start-up = interpreter, imports and config before the "
          "model is built):")
    head = (f"| {'people':>9} | {'start-up':>8} | {'sim':>7} | {'start+sim':>9} | "
            f"{'collect':>7} | {'ev/CPU s':>9} | {'bare sim':>8} | {'bare+start':>10} | "
            f"{'ratio':>6} | {'B/person':>8}")
    print("ratio = caresim start+sim / bare sim (the bare model's own start-up is left out)")
    print(head)
    print("|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|")
    for bare, care in rows:
        if "error" in care or "error" in bare:
            continue
        n = care["n"]
        net = (care["peak_mb"] - care["baseline_mb"]) * 2 ** 20 / n
        ratio = care["cpu_incl_startup_s"] / bare["cpu_s"]
        print(f"| {n:>9,} | {care['startup_cpu_s']:>8.2f} | {care['sim_cpu_s']:>7.2f} | "
              f"{care['cpu_incl_startup_s']:>9.2f} | {care['collect_cpu_s']:>7.2f} | "
              f"{care['events_per_cpu_s']:>9,.0f} | {bare['cpu_s']:>8.2f} | "
              f"{bare['cpu_incl_startup_s']:>10.2f} | {ratio:>5.2f}x | {net:>8,.0f}")
    if theory is not None and "error" not in theory:
        print(f"acute-only theory config ({THEORY_PEOPLE:,} people, {THEORY_ADMISSIONS_PER_DAY:g} "
              f"admissions/day, {THEORY_BEDS} beds, {theory['years']:g} y + warm-up): "
              f"{theory['cpu_total_s']:.2f} CPU s incl. start-up and collect "
              f"(start-up {theory['startup_cpu_s']:.2f}, sim {theory['sim_cpu_s']:.2f}) = "
              f"{theory['cpu_per_replication_year']:.2f} CPU s per replication-year "
              f"(target <= 1.5)")
    elif theory is not None:
        print(f"acute-only theory config: error {theory['error']}")


def profile(n: int, years: float, top: int = 10) -> None:
    import cProfile
    import pstats

    from sim.model import Model

    cfg = caresim_config(n, years)
    prof = cProfile.Profile()
    prof.enable()
    Model(cfg, SEED, 0).run()
    prof.disable()
    stats = pstats.Stats(prof).strip_dirs().sort_stats("tottime")
    print(f"cProfile of one caresim replication, {n:,} people x {years:g} years "
          f"(construction + run, no collect); top {top} by tottime")
    stats.print_stats(top)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[DEFAULT_PLACE, 200_000, 500_000],
                    help="population sizes (default: 55200 200000 500000)")
    ap.add_argument("--years", type=float, default=5.0, help="simulated years (default 5)")
    ap.add_argument("--quick", action="store_true", help="only 55,200 people x 1 year")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds allowed per measurement subprocess (default: none)")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile one caresim replication of the first size x --years and exit")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--theory-years", type=float, default=3.0,
                    help="years of the acute-only theory run (0: skip it; default 3)")
    ap.add_argument("--kind", choices=["bare", "caresim", "theory"], default="caresim",
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if args.one is not None:  # child: one measurement, one JSON line
        if args.kind == "bare":
            from sim.config import load_config
            horizon = load_config("fragmented").run.warmup_days + args.years * YEAR_DAYS
            print(json.dumps(bare_model(args.one, horizon)))
        elif args.kind == "theory":
            print(json.dumps(theory_once(args.years)))
        else:
            print(json.dumps(caresim_once(args.one, args.years)))
        return

    sizes, years = args.sizes, args.years
    if args.quick:
        sizes, years = [DEFAULT_PLACE], 1.0
    if args.profile:
        profile(sizes[0], years)
        return

    from sim.config import load_config
    warmup = load_config("fragmented").run.warmup_days
    print(f"caresim core benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}")
    print(machine_line())
    print(f"config 'fragmented', capacities, entrants and budgets x N/{DEFAULT_PLACE:,}; "
          f"{years:g} years + {warmup:g} d warm-up simulated (bare model: the same span); "
          f"seed {SEED}, replication 0; one fresh subprocess per measurement")
    print(f"targets: {DEFAULT_PLACE:,} x 5 y caresim <= {TARGET_RATIO:g}x bare time; 500,000 x 5 y "
          f"<= {TARGET_500K_SECONDS:g} s; memory per person not growing with N")
    print()
    rows = []
    for n in sizes:
        bare = run_child("bare", n, years, args.timeout)
        care = run_child("caresim", n, years, args.timeout)
        rows.append((bare, care))
        print(f"  done {n:,}: bare {bare.get('wall_s', float('nan')):.1f} s, caresim "
              f"{care.get('sim_wall_s', float('nan')):.1f} + "
              f"{care.get('collect_wall_s', float('nan')):.1f} s  "
              f"{care.get('error', '') or bare.get('error', '')}", flush=True)
    theory = (run_child("theory", THEORY_PEOPLE, args.theory_years, args.timeout)
              if args.theory_years > 0 else None)
    print()
    print_tables(rows, years)
    print()
    print_cpu_summary(rows, theory)
    print()
    print("raw:")
    for bare, care in rows:
        print(json.dumps(bare))
        print(json.dumps(care))
    if theory is not None:
        print(json.dumps(theory))


if __name__ == "__main__":
    main()
