"""Sweep benchmark (not a test): parallel speed-up, machinery overhead, and Dask vs processes.

Reports, in one run:

1. the machine's own scaling: the same pure-CPU Python loop in two processes vs one;
2. a 16-run sweep (the default place, 1 simulated year, ~5 s a run) serial in-process, on a
   2-process pool and on a 2-worker Dask LocalCluster (the sweep's own settings), run as
   interleaved blocks in rotating order with a machine-scaling probe in each block, so that
   load from other users of a shared machine falls on every variant alike: speed-ups, and
   each as a share of the machine's own scaling;
3. the sweep machinery's cost (spawn, transfer, write, analysis) as % of run time, for the
   16-run sweep and for 4 runs of the full default place (5 years + 180-day warm-up);
4. why a replication can run slower under Dask: the same two runs, two at a time, on a
   process pool and on LocalClusters with one setting changed at a time (worker threads in
   one process, dask's defaults, profiler off, no MALLOC_TRIM_THRESHOLD_ from the nanny,
   the sweep's DASK_CONFIG), interleaved round-robin; then an external `dask scheduler` /
   `dask worker --no-nanny` cluster used by address, and the size of a full result vs the
   KPIs the sweep sends back. Wall and CPU time are measured inside the worker.

Usage: ``python benchmarks/bench_sweep.py [--runs 16] [--years 1] [--blocks 4] [--rounds 4]
[--skip-default] [--only-dask]``. Figures go to stdout; benchmarks/README_sweep.md quotes them.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sim.config import load_config
from sim.sweep import run_sweep
from sim.sweep_backends import DASK_CONFIG, execute
from sim.sweep_spec import Experiment


def cpu_loop(n: int = 12_000_000) -> float:
    """Pure-Python CPU work; returns its own wall time."""
    start = time.perf_counter()
    acc = 0
    for i in range(n):
        acc += i * i % 7
    return time.perf_counter() - start


def machine_scaling(repeats: int = 3) -> dict:
    """Throughput of two concurrent processes over one (1.0 = no gain, 2.0 = perfect)."""
    ratios, singles = [], []
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(cpu_loop, [1000, 1000]))  # start both workers
        for _ in range(repeats):
            start = time.perf_counter()
            pool.submit(cpu_loop).result()
            one = time.perf_counter() - start
            start = time.perf_counter()
            list(pool.map(cpu_loop, [12_000_000] * 2))
            two = time.perf_counter() - start
            singles.append(one)
            ratios.append(2 * one / two)
    return {"one_process_s": statistics.median(singles), "scaling": statistics.median(ratios),
            "all": ratios}


def spec(runs: int, years: float, warmup: float = 30.0) -> Experiment:
    """One scenario of the default place, ``runs`` replications."""
    return Experiment.model_validate({
        "name": "bench", "base": "fragmented", "replications": runs,
        "set": {"run.years": years, "run.warmup_days": warmup}})


def timed_sweep(experiment: Experiment, **kw) -> dict:
    """Wall time of a sweep and the run times measured inside the workers."""
    out = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    try:
        start = time.perf_counter()
        summary = run_sweep(experiment, out, progress=False, resume=False, **kw)
        wall = time.perf_counter() - start
        assert summary["runs_failed"] == 0, summary
        runs = [r["wall_seconds"] for r in json.loads((out / "manifest.json").read_text())["runs"]]
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"wall": wall, "runs": runs, "mean_run": statistics.mean(runs), "sum": sum(runs)}


def tasks(experiment: Experiment, n: int) -> list[dict]:
    """Tasks as the sweep sends them (resolved config dict, no path)."""
    from sim.sweep_plan import resolve
    plan = resolve(experiment, "benchmarks/bench.toml")
    point = plan.points[0]
    return [{"key": f"b{r}", "point": point.id, "scenario": point.scenario, "replication": r,
             "seed": point.seed, "config": plan.config(point), "store": ["kpis"]}
            for r in range(n)]


class PoolRunner:
    """A 2-process pool running the sweep's task function (the reference for per-run time)."""

    label = "process pool, 2 processes"

    def __init__(self):
        import multiprocessing
        self.pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))
        list(self.pool.map(cpu_loop, [10, 10]))

    def batch(self, batch: list[dict]) -> list[dict]:
        return list(self.pool.map(execute, batch))

    def close(self):
        self.pool.shutdown()


class DaskRunner:
    """A LocalCluster started with some settings; reports what the workers really run with."""

    def __init__(self, label: str, config: dict, unset_malloc: bool = False, **cluster):
        import logging

        import dask
        from distributed import Client, LocalCluster
        self.label = label
        if unset_malloc:  # the nanny writes it into this process's environment too
            os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        with dask.config.set(config):
            self.cluster = LocalCluster(dashboard_address=None, silence_logs=logging.ERROR,
                                        **cluster)
            self.client = Client(self.cluster)
        self.client.submit(sum, [1]).result()
        self.profiler = any(self.client.run(
            lambda dask_worker: "profile" in dask_worker.periodic_callbacks).values())
        self.malloc = sorted({str(v) for v in self.client.run(
            lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()})

    def batch(self, batch: list[dict]) -> list[dict]:
        return self.client.gather([self.client.submit(execute, t, pure=False) for t in batch])

    def close(self):
        self.client.close()
        self.cluster.close()


def per_run_round_robin(experiment: Experiment, rounds: int) -> list[dict]:
    """Per-run time of the same 2 runs (2 at a time) on each backend, interleaved in rounds
    so that load from other users of the machine hits every backend alike."""
    batch = tasks(experiment, 2)
    quiet = {"distributed.worker.profile.enabled": False}
    runners = [
        PoolRunner(),
        DaskRunner("  + profiler off, no MALLOC_TRIM_THRESHOLD_",
                   {**quiet, "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None},
                   unset_malloc=True, n_workers=2, threads_per_worker=1),
        DaskRunner("dask: 1 worker x 2 threads (processes=False)", {}, processes=False,
                   n_workers=1, threads_per_worker=2),
        DaskRunner("dask: 2 processes x 1 thread, dask defaults", {}, n_workers=2,
                   threads_per_worker=1),
        DaskRunner("  + profiler off", quiet, n_workers=2, threads_per_worker=1),
        DaskRunner("  + caresim DASK_CONFIG (sweep's LocalCluster)", DASK_CONFIG, n_workers=2,
                   threads_per_worker=1),
    ]
    times: dict[str, list[float]] = {r.label: [] for r in runners}
    cpu: dict[str, list[float]] = {r.label: [] for r in runners}
    try:
        for _ in range(rounds):
            for r in runners:
                out = r.batch(batch)
                times[r.label].append(statistics.mean(x["wall_seconds"] for x in out))
                cpu[r.label].append(statistics.mean(x["cpu_seconds"] for x in out))
    finally:
        for r in runners:
            r.close()
    return [{"label": r.label, "mean_run": statistics.median(times[r.label]),
             "cpu_run": statistics.median(cpu[r.label]),
             "all": times[r.label], "profiler_on": getattr(r, "profiler", False),
             "malloc_trim": getattr(r, "malloc", ["(fork of this process)"])} for r in runners]


def external_cluster(experiment: Experiment) -> dict:
    """`dask scheduler` + `dask worker --no-nanny --nthreads 1` processes, used by address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)  # set here by earlier LocalCluster nannies
    bindir = Path(sys.executable).parent
    procs = [subprocess.Popen([str(bindir / "dask"), "scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    time.sleep(3)
    for _ in range(2):
        procs.append(subprocess.Popen([str(bindir / "dask"), "worker", address, "--nthreads",
                                       "1", "--no-nanny", "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        from distributed import Client
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        result = timed_sweep(experiment, dask=address)
    finally:
        for p in procs[::-1]:
            p.terminate()
            p.wait()
    return result


def sizes(years: float) -> dict:
    """Bytes of a full ReplicationResult vs the KPI dict the sweep returns."""
    from sim.experiments import run_replication
    cfg = load_config("fragmented", {"run.years": years, "run.warmup_days": 30.0})
    res = run_replication(cfg, 1, 0)
    start = time.perf_counter()
    blob = pickle.dumps(res)
    pickle.loads(blob)
    full_s = time.perf_counter() - start
    return {"full_result_bytes": len(blob), "full_result_pickle_s": full_s,
            "kpis_bytes": len(pickle.dumps(res.kpis))}


def sweep_blocks(runs: int, years: float, blocks: int) -> dict:
    """The sweep serial, on 2 processes and on a 2-worker LocalCluster, split into blocks
    run in rotating order with a machine-scaling probe in each, so that load from other
    users of the machine falls on every variant alike. One LocalCluster (started with the
    sweep's own settings) serves every Dask block; its start-up is counted once."""
    import logging

    import dask
    from distributed import Client, LocalCluster
    per_block = runs // blocks
    start = time.perf_counter()
    with dask.config.set(DASK_CONFIG):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    Client(cluster).close()
    dask_start = time.perf_counter() - start
    kinds = {"serial": {"workers": 1}, "pool x2": {"workers": 2},
             "dask x2": {"dask": cluster.scheduler_address}}
    found: dict[str, list[dict]] = {k: [] for k in kinds}
    scalings = []
    try:
        for b in range(blocks):
            order = list(kinds)[b % 3:] + list(kinds)[: b % 3]
            for kind in order:
                e = Experiment.model_validate({**spec(per_block, years).model_dump(),
                                               "seed": b + 1})
                found[kind].append(timed_sweep(e, **kinds[kind]))
            scalings.append(machine_scaling(repeats=1)["scaling"])
            print(f"  block {b + 1}: " + ", ".join(f"{k} {v[-1]['wall']:.1f} s"
                                                   for k, v in found.items())
                  + f"; machine scaling {scalings[-1]:.2f}", flush=True)
    finally:
        start = time.perf_counter()
        cluster.close()
        dask_start += time.perf_counter() - start
    out = {k: {"wall": sum(x["wall"] for x in v),
               "mean_run": statistics.mean(r for x in v for r in x["runs"]),
               "sum": sum(x["sum"] for x in v)} for k, v in found.items()}
    out["dask x2"]["wall"] += dask_start
    out["dask_start"] = dask_start
    out["scaling"] = scalings
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--years", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=4, help="interleaved blocks of the sweep")
    parser.add_argument("--skip-default", action="store_true")
    parser.add_argument("--only-dask", action="store_true", help="only the Dask per-run study")
    args = parser.parse_args()
    import logging
    logging.getLogger("distributed").setLevel(logging.ERROR)
    print(f"load average at start: {os.getloadavg()}; cpus: {os.cpu_count()}", flush=True)
    e = spec(args.runs, args.years)
    if args.only_dask:
        dask_study(e, args)
        return
    blocks = sweep_blocks(args.runs, args.years, args.blocks)
    scaling = statistics.median(blocks["scaling"])
    print(f"machine scaling (same CPU loop, 2 processes vs 1): {scaling:.2f}x median "
          f"(per block: {', '.join(f'{x:.2f}' for x in blocks['scaling'])})")
    serial, pool, dask_local = blocks["serial"], blocks["pool x2"], blocks["dask x2"]
    print(f"{args.runs}-run sweep (default place, {args.years:g} y a run) as {args.blocks} "
          f"interleaved blocks of {args.runs // args.blocks} runs:")
    print(f"  serial : {serial['wall']:.1f} s wall, {serial['mean_run']:.2f} s/run, machinery "
          f"{100 * (serial['wall'] / serial['sum'] - 1):.1f}% of run time")
    for name in ("pool x2", "dask x2"):
        x = blocks[name]
        speed = serial["wall"] / x["wall"]
        print(f"  {name}: {x['wall']:.1f} s wall, {x['mean_run']:.2f} s/run, speed-up "
              f"{speed:.2f}x = {100 * speed / scaling:.0f}% of the machine's scaling; machinery "
              f"{100 * (2 * x['wall'] / x['sum'] - 1):.1f}% of run time", flush=True)
    print(f"  dask x2 includes starting and closing the LocalCluster once: "
          f"{blocks['dask_start']:.1f} s")
    print(f"  dask / pool: wall {dask_local['wall'] / pool['wall']:.3f}, per run "
          f"{dask_local['mean_run'] / pool['mean_run']:.3f}", flush=True)
    dask_study(e, args)
    if not args.skip_default:
        d = spec(4, 5.0, 180.0)
        full = timed_sweep(d, workers=2)
        print(f"default place (5 y + 180 d), 4 runs on 2 processes: {full['wall']:.1f} s wall, "
              f"{full['mean_run']:.1f} s/run; machinery overhead "
              f"{100 * (2 * full['wall'] / full['sum'] - 1):.1f}% of run time", flush=True)
    print(f"load average at end: {os.getloadavg()}")


def dask_study(e: Experiment, args) -> None:
    """Why a replication can run slower under Dask: one setting at a time."""
    variants = per_run_round_robin(e, args.rounds)
    ref = variants[0]["mean_run"]
    print(f"per-run time, the same 2 runs 2 at a time, median of {args.rounds} interleaved rounds:")
    for v in variants:
        print(f"  {v['label']:<48} {v['mean_run']:.2f} s/run ({v['mean_run'] / ref:.2f}x pool), "
              f"CPU {v['cpu_run']:.2f} s ({v['cpu_run'] / variants[0]['cpu_run']:.2f}x); "
              f"profiler {'on' if v['profiler_on'] else 'off'}; MALLOC_TRIM_THRESHOLD_="
              f"{v['malloc_trim']}; rounds {', '.join(f'{t:.2f}' for t in v['all'])}",
              flush=True)
    ext = external_cluster(spec(4, args.years))
    print(f"  {'dask scheduler + 2 x dask worker --no-nanny':<48} {ext['mean_run']:.2f} s/run "
          f"(4 runs via run_sweep(dask=ADDRESS), not interleaved)", flush=True)
    s = sizes(args.years)
    print(f"result sent back: full ReplicationResult {s['full_result_bytes'] / 1e6:.1f} MB "
          f"(pickle+unpickle {s['full_result_pickle_s'] * 1000:.0f} ms) vs KPIs "
          f"{s['kpis_bytes']} bytes", flush=True)


if __name__ == "__main__":
    main()
