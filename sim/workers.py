"""Local worker processes: they die with their parent and report simulated time as they go.

A process pool's workers wait for work on a pipe. When the parent is killed (``kill -9``, the
out-of-memory killer) nothing tells them to stop, so each would linger holding a model's memory
(~260 MB at the default size). :func:`init_worker` is the initializer of every local pool
caresim starts (the replications of ``run`` and ``compare`` here, the sweep pool in
:mod:`sim.sweep`): on Linux the kernel kills the worker when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread checks every second that the parent is
still there.

It also installs a progress queue. A :class:`Reporter` given as a replication's ``progress``
callback (``Model.run`` calls it every 30 simulated days) puts ``(key, days)`` on the queue, and
:meth:`Pool.as_completed` hands those to the parent while it waits for results, so a progress
bar moves with simulated time rather than only when a whole replication ends.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from queue import Empty
from typing import Self

#: The queue a worker's reporters write to (set by :func:`init_worker`; None: no reporting).
_queue = None

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def context():
    """Fork where the platform has it (fast start; scripts need no ``__main__`` guard), spawn
    elsewhere (fork is unsafe on macOS). Either way the pool's owner is each worker's parent."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context(
        "fork" if "fork" in methods and sys.platform != "darwin" else "spawn")


def init_worker(parent: int, queue=None) -> None:
    """Pool initializer: exit when process ``parent`` dies; report progress to ``queue``.

    ``parent`` is the pid of the process that starts the pool (pass ``os.getpid()``). It is
    checked once more after the death signal is armed, since the parent may already be gone.
    """
    global _queue
    _queue = queue
    if queue is not None:
        queue.cancel_join_thread()  # exiting never waits on a parent that stopped reading
    if not _kill_me_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                         name="caresim-parent-watch").start()
    if _parent_gone(parent):
        os._exit(1)


def _kill_me_with_parent() -> bool:
    """Linux: ask for SIGKILL when the parent dies. True if the kernel accepted.

    SIGKILL rather than SIGTERM: a worker holds nothing worth saving (the parent writes every
    result), and no handler a library installs can keep it alive. The signal follows the death
    of the parent *thread* that forked the worker; caresim submits work from the thread that
    then waits for it, so that thread outlives the pool.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _parent_gone(parent: int) -> bool:
    """True once ``parent`` has died: POSIX re-parents an orphan; on Windows (spawn) the
    parent's process handle, which multiprocessing keeps as a sentinel, is signalled."""
    if os.getppid() != parent:
        return True
    process = multiprocessing.parent_process()
    return process is not None and process.pid == parent and not process.is_alive()


def _watch_parent(parent: int, every: float = 1.0) -> None:
    while not _parent_gone(parent):
        time.sleep(every)
    os._exit(1)


class Reporter:
    """A replication's ``progress`` callback inside a worker: sends ``(key, days)`` to the
    parent. Picklable, so it can travel with the task; a no-op without a queue."""

    def __init__(self, key):
        self.key = key

    def __call__(self, days: float) -> None:
        if _queue is not None:
            _queue.put((self.key, days))


class Pool:
    """A local process pool whose workers exit with this process and report progress.

    Use as a context manager; submit tasks with :meth:`submit`, give each a
    :meth:`reporter`, and collect them with :meth:`as_completed`.
    """

    def __init__(self, workers: int, progress: bool = True):
        ctx = context()
        self._queue = ctx.Queue() if progress else None
        self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                            initializer=init_worker,
                                            initargs=(os.getpid(), self._queue))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind, *_) -> None:
        self.executor.shutdown(wait=True, cancel_futures=kind is not None)
        if self._queue is not None:
            self._queue.close()

    def submit(self, fn, *args, **kwargs):
        """Run ``fn(*args, **kwargs)`` in a worker; return its Future."""
        return self.executor.submit(fn, *args, **kwargs)

    def reporter(self, key) -> Reporter | None:
        """A progress callback for the task ``key`` (None when progress is off)."""
        return Reporter(key) if self._queue is not None else None

    def as_completed(self, futures, on_progress=None, poll: float = 0.25):
        """Yield futures as they finish; meanwhile pass every ``(key, days)`` report to
        ``on_progress``. Reports of a task may still arrive after its future is done."""
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=poll, return_when=FIRST_COMPLETED)
            self._drain(on_progress)
            yield from done

    def _drain(self, on_progress) -> None:
        if self._queue is None:
            return
        while True:
            try:
                key, days = self._queue.get_nowait()
            except Empty:
                return
            if on_progress is not None:
                on_progress(key, days)
