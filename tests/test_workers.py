"""Worker processes (sim.workers): they exit when their parent is killed, and they report
simulated time while a replication runs, without changing its results."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.experiments import run_replication
from sim.workers import Pool

from .conftest import small
from .test_cli import TINY

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "experiments" / "smoke.toml"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads the process table from /proc")


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state, ppid, ...), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and (_stat(int(p.name)) or ["", "0"])[1] == str(pid)]


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def _kill_parent_and_count_survivors(args: list[str], workers: int = 2) -> int:
    """Start ``python -m sim.cli ARGS`` in its own session, wait until its ``workers`` worker
    processes have run for a while, kill -9 the parent only, and return how many workers are
    still alive 10 s later (any survivor is then killed, so a failure leaves nothing behind)."""
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    kids: list[int] = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(kids) < workers and proc.poll() is None:
            time.sleep(0.2)
            kids = _children(proc.pid)
        assert len(kids) >= workers, (f"the command started {len(kids)} worker(s); "
                                      f"exit {proc.poll()}, stderr: {proc.stderr.read()[-500:]}"
                                      if proc.poll() is not None else "")
        time.sleep(2)  # the workers are now simulating a long horizon
        assert proc.poll() is None, "the command ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.2)
        return sum(_alive(k) for k in kids)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for k in kids:
            if _alive(k):
                os.kill(k, signal.SIGKILL)


@linux_only
def test_run_workers_exit_when_run_is_killed(tmp_path):
    args = ["run", "fragmented", *TINY, "--set", "run.years=30", "--workers", "2",
            "--out", str(tmp_path / "out")]
    assert _kill_parent_and_count_survivors(args) == 0


@linux_only
def test_sweep_workers_exit_when_sweep_is_killed(tmp_path):
    experiment = tmp_path / "long.toml"
    experiment.write_text(SMOKE.read_text().replace('"run.years" = 0.5', '"run.years" = 30'))
    args = ["sweep", str(experiment), "--workers", "2", "--no-progress",
            "--out", str(tmp_path / "out")]
    assert _kill_parent_and_count_survivors(args) == 0


def _worker_script(body: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(body)], check=False,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_worker_whose_parent_is_already_gone_exits_at_once():
    # the parent may die before the initializer runs: pid 1 is never this process's parent
    done = _worker_script("""
        from sim.workers import init_worker
        init_worker(1)
        print("still running")
    """)
    assert done.returncode == 1 and "still running" not in done.stdout


@linux_only
def test_watch_thread_exits_worker_when_parent_dies():
    # the fallback of platforms without prctl: turn prctl off and kill the worker's parent
    done = _worker_script("""
        import os, sys, time
        import sim.workers as w
        w._kill_me_with_parent = lambda: False
        parent = os.getpid()  # as a pool does: the parent's pid, taken before the fork (the
        child = os.fork()     # parent may be gone before the child could ask for it)
        if child == 0:
            w.init_worker(parent)
            time.sleep(60)
            os._exit(0)
        print(child, flush=True)
        os._exit(0)  # the parent dies at once; the child is reparented
    """)
    child = int(done.stdout.split()[0])
    try:
        deadline = time.time() + 5
        while time.time() < deadline and _alive(child):
            time.sleep(0.1)
        assert not _alive(child)
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)


def test_workers_report_simulated_days_before_a_replication_ends():
    cfg = small(people=2000, years=3.0, warmup_days=10.0)
    horizon = cfg.run.warmup_days + cfg.run.years * 365.25
    reports: list[tuple[int, float]] = []
    with Pool(2) as pool:
        futures = [pool.submit(run_replication, cfg, 1, rep, False, pool.reporter(rep))
                   for rep in range(2)]
        first = next(pool.as_completed(futures, lambda key, days: reports.append((key, days))))
        assert first.result().replication in (0, 1)
    totals = {0: 0.0, 1: 0.0}
    partial = 0
    for key, days in reports:  # reports received before the first replication ended
        totals[key] += days
        partial += totals[key] < horizon
    assert partial >= 5
    assert all(days <= 30.0 + 1e-9 for _, days in reports)


def test_progress_and_workers_leave_results_unchanged():
    cfg = small(people=2000, years=0.3, warmup_days=10.0)
    other = small(people=2000, years=0.3, warmup_days=10.0, acute__beds=40)
    kpis = [sim.run(cfg, 2, 5, progress=p, workers=w).kpis
            for p, w in ((False, 1), (True, 1), (True, 2), (False, 2))]
    for frame in kpis[1:]:
        pd.testing.assert_frame_equal(frame, kpis[0])
    runs, _ = sim.compare([cfg, other], 2, 5, progress=True, workers=2)
    pd.testing.assert_frame_equal(runs[0].kpis, kpis[0])
    pd.testing.assert_frame_equal(runs[1].kpis, sim.run(other, 2, 5, progress=False).kpis)
