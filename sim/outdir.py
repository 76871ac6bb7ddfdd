"""Output folders: who may write one, and how to replace results without losing anything.

What a folder holds (its kind, caresim's files, the user's) is read by :mod:`sim.marker`.
Anything caresim did not write (a user's notes, a report of their own) is the user's and is
never deleted or overwritten: :func:`check_replace` refuses to replace such a file unless asked.

:class:`Claim` is the one way into a results folder: it refuses an ``--out`` that holds
something else (one line saying what is there and how to choose), takes a lock next to the
folder (``filelock``; a second writer fails at once) and finishes any replacement a crash
interrupted. :meth:`Claim.write` writes a run or compare folder into a temporary sibling, then
swaps it in: the old folder is renamed aside, the new one renamed into place, the user's files
moved across, and only then are the old results deleted. A crash at any step leaves the old or
the new complete results plus every user file, and the next claim completes or undoes the swap.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Self

import filelock

from .config import ConfigError
from .marker import Contents, caresim_wrote, inspect, mark

_NEW, _OLD, _LOCK = ".caresim-new-", ".caresim-old", ".caresim-lock"


class OutputError(ConfigError):
    """An output folder caresim must not or cannot write (reported in one line, exit 2)."""


class FolderBusy(OutputError):
    """Another caresim process holds the folder's lock."""


def check_replace(path: str | Path, overwrite: bool = False, option: str = "--out") -> None:
    """Refuse (OutputError, one line) to replace an existing file caresim did not write,
    unless ``overwrite``; a folder in the way is always refused."""
    path = Path(path)
    label = f"{option} {path}" if option else str(path)
    if path.is_dir():
        raise OutputError([f"{label}: is a folder, not a file; choose another --out"])
    if path.exists() and not overwrite and not caresim_wrote(path):
        raise OutputError([(f"{label}: exists and caresim did not write it; add --overwrite "
                            "to replace it, or choose another --out")])


def lock_path(out: str | Path) -> Path:
    """The lock file of an output folder: a hidden sibling, removed when the lock is released."""
    out = Path(os.path.abspath(out))
    return out.parent / f".{out.name}{_LOCK}"


def hold(out: str | Path) -> filelock.BaseFileLock:
    """The lock of ``out``, taken for this process for a long job (calibrate, stress), which
    releases it when done; FolderBusy (one line) if another process holds it."""
    lock = filelock.FileLock(lock_path(out))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        raise FolderBusy([f"--out {out}: another caresim process is writing it; wait for it "
                          "to finish"]) from None
    return lock


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _check_place(out: Path, label: str) -> None:
    """Refuse a path that is a file, holds the cwd, or lies in a folder we cannot write."""
    resolved, cwd = out.resolve(), Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise OutputError([f"{label}: contains the current directory; choose another one"])
    if out.exists() and not out.is_dir():
        raise OutputError([f"{label}: is a file, not a folder; choose another --out"])
    parent = next(p for p in resolved.parents if p.exists())
    if not parent.is_dir():
        raise OutputError([f"{label}: cannot create it: {parent} is a file, not a folder"])
    for folder in (parent, out, out / "runs"):
        if folder.is_dir() and not _writable(folder):
            raise OutputError([f"{label}: cannot write results: {folder} is read-only"])


def _refusal(contents: Contents, kind: str, overwrite: bool, label: str) -> str | None:
    """Why ``kind`` results may not go into a folder with ``contents`` (None: they may)."""
    if contents.kind is None:
        return None
    there = f"{label}: is {contents.description}"
    if contents.kind == "foreign":
        return (f"{there}; caresim writes only into a new or empty folder or one of its own "
                "results folders: choose another --out")
    if contents.kind != kind and kind == "sweep":
        return (f"{there}; a sweep needs a new or empty folder, or one of the same sweep to "
                "resume: choose another --out")
    if contents.kind != kind:
        return (f"{there}; a {kind} needs a new or empty folder: choose another --out "
                f"(--overwrite replaces only a {kind} results folder)")
    if kind == "sweep" or overwrite:
        return None
    return (f"{there}; add --overwrite to replace its results (files caresim did not write "
            "are kept) or choose another --out")


class Claim:
    """An output folder checked and locked for this process (re-entrant within it).

    Use as a context manager, or :meth:`acquire` then :meth:`release`. ``overwrite`` allows
    replacing a run or compare folder of the same kind; a sweep folder is always resumed.
    Messages name the folder as ``option`` (the command-line option that gave it) and path.
    """

    def __init__(self, out: str | Path, kind: str, overwrite: bool = False,
                 option: str = "--out"):
        self.shown = str(out)
        self.label = f"{option} {out}" if option else str(out)  # how messages name it
        self.path = Path(os.path.abspath(out))
        self.kind, self.overwrite = kind, overwrite
        self._lock: filelock.BaseFileLock | None = None

    def acquire(self) -> Claim:
        """Check the folder, lock it, finish an interrupted swap; raise OutputError if not ours."""
        _check_place(self.path, self.label)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = filelock.FileLock(lock_path(self.path), timeout=0, is_singleton=True)
            lock.acquire()
        except filelock.Timeout:
            raise FolderBusy([(f"{self.label}: another caresim process is writing this "
                               "folder; wait for it to finish or choose another --out")]) from None
        except OSError as err:
            raise OutputError([f"{self.label}: cannot write results: {err}"]) from None
        self._lock = lock
        try:
            if lock.lock_counter == 1:
                recover(self.path)
            self.check()
        except BaseException:
            self.release()
            raise
        return self

    def check(self) -> Contents:
        """What the folder holds now; raise OutputError when this claim may not write it."""
        contents = inspect(self.path)
        refusal = _refusal(contents, self.kind, self.overwrite, self.label)
        if refusal:
            raise OutputError([refusal])
        return contents

    def release(self) -> None:
        """Unlock (removing the lock file once this process no longer holds it)."""
        lock, self._lock = self._lock, None
        if lock is None:
            return
        if lock.lock_counter == 1:
            Path(lock.lock_file).unlink(missing_ok=True)  # filelock copes with unlinked locks
        lock.release()

    def __enter__(self) -> Self:
        return self if self._lock is not None else self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def write(self, write) -> list[str]:
        """Write a run or compare folder through ``write(tmp)``, then swap it in atomically.

        Returns the top-level names of the files caresim did not write that were kept.
        """
        out = self.path
        new = Path(tempfile.mkdtemp(prefix=f".{out.name}{_NEW}", dir=out.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(new, 0o777 & ~umask)  # mkdtemp alone makes it private; results are shared
        try:
            write(new)
            mark(new, self.kind)
            contents = self.check()  # again: the folder may have changed while we simulated
            clash = [f for f in contents.foreign if _blocked(new, f)]
            if clash:
                raise OutputError([(f"{self.label}: {clash[0]} is not caresim's but the "
                                    "new results have that name; move it and run again")])
            if contents.kind is None:
                os.replace(new, out)  # onto nothing or an empty folder
                return []
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            raise
        try:
            os.replace(out, _old(out))
            os.replace(new, out)
            _settle(_old(out), out)
        except BaseException:
            recover(out)
            raise
        return contents.foreign_names


def _blocked(folder: Path, rel: str) -> bool:
    """Whether a user's file ``rel`` cannot move into ``folder`` (the name, or a folder on its
    path, is taken by a new result file)."""
    parts = rel.split("/")
    if os.path.lexists(folder / rel):
        return True
    return any(os.path.lexists(p) and not p.is_dir()
               for p in (folder.joinpath(*parts[:i]) for i in range(1, len(parts))))


def _old(out: Path) -> Path:
    return out.parent / f".{out.name}{_OLD}"


def _settle(old: Path, out: Path) -> None:
    """Move the user's files from ``old`` into ``out``; delete old's caresim files only."""
    own = inspect(old).own
    _move_foreign(old, out, own, Path("."))
    for rel in own:
        (old / rel).unlink(missing_ok=True)
    for root, _, _ in sorted(os.walk(old), key=lambda w: -len(w[0])):
        if not os.listdir(root):
            os.rmdir(root)


def _move_foreign(src: Path, dst: Path, own: set[str], rel: Path) -> None:
    for entry in os.scandir(src / rel):
        key = (rel / entry.name).as_posix()
        target = dst / rel / entry.name
        if entry.is_dir(follow_symlinks=False) and (
                target.is_dir() or any(o.startswith(key + "/") for o in own)):
            target.mkdir(exist_ok=True)
            _move_foreign(src, dst, own, rel / entry.name)
        elif key not in own:
            n = 1
            while os.path.lexists(target):  # never overwrite (checked before the swap)
                target, n = dst / rel / f"{entry.name}.kept-{n}", n + 1
            os.replace(entry.path, target)


def recover(out: str | Path) -> None:
    """Finish or undo a swap a crash interrupted; delete unfinished new folders (ours only)."""
    out = Path(os.path.abspath(out))
    old = _old(out)
    if old.is_dir():
        if out.exists():
            _settle(old, out)          # the new results were in place: move the user's files
        else:
            os.replace(old, out)       # they were not: put the old ones back
    if out.parent.is_dir():
        for entry in os.scandir(out.parent):
            if entry.name.startswith(f".{out.name}{_NEW}") and entry.is_dir():
                shutil.rmtree(entry.path, ignore_errors=True)


def discard_sweep(out: Path) -> int:
    """Delete a sweep folder's caresim files (``--fresh``); keep every other file."""
    contents = inspect(out)
    if contents.kind != "sweep":
        return 0
    for rel in contents.own:
        (out / rel).unlink(missing_ok=True)
    runs = out / "runs"
    for root, _, _ in sorted(os.walk(runs), key=lambda w: -len(w[0])):
        if not os.listdir(root):
            os.rmdir(root)
    return len(contents.own)


def write_folder(out: str | Path, kind: str, write, overwrite: bool = False) -> list[str]:
    """Claim ``out`` and write it through ``write(tmp)`` (see :meth:`Claim.write`)."""
    with Claim(out, kind, overwrite) as claim:
        return claim.write(write)
