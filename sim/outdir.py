"""Output folders: what one holds, who may write it, and how to replace results without loss.

caresim writes three kinds of results folder: a *run* (:meth:`sim.Results.save`), a *compare*
(one run sub-folder per scenario plus the paired differences) and a *sweep* (parts under
``runs/`` written in place, so that a rerun resumes; a case is a sweep plus ``case.json``).
Each carries a marker file, ``.caresim-files``, naming its kind and (run, compare) every file
caresim wrote into it; folders written before the marker are recognised by their layout.
Anything else in a folder (a user's notes, a report made later) is the user's and is never
deleted or overwritten.

:class:`Claim` is the one way in: it refuses an ``--out`` that holds something else (one
line saying what is there and how to choose), takes a lock next to the folder (``filelock``;
a second writer fails at once) and finishes any replacement a crash interrupted.
:meth:`Claim.write` writes a run or compare folder into a temporary sibling, then swaps it in:
the old folder is renamed aside, the new one renamed into place, the user's files moved
across, and only then are the old results deleted. A crash at any step leaves the old or the
new complete results plus every user file, and the next claim completes or undoes the swap.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import filelock

from .config import ConfigError

MARKER = ".caresim-files"
KINDS = ("run", "compare", "sweep")
#: Files of a run folder (``Results.save``); ``events.parquet`` only with the event log.
RUN_FILES = ("daily.parquet", "monthly_costs.parquet", "monthly_resource_use.parquet",
             "budgets.parquet", "cost_shifting.parquet", "kpis.parquet", "events.parquet",
             "summary.json", "manifest.json")
COMPARE_FILES = ("paired_differences.parquet", "paired_differences.csv")
SWEEP_FILES = ("manifest.json", "kpis.parquet", "design.parquet", "failures.parquet",
               "analysis.json", "warmup.json", "case.json")
#: Stem of a sweep's run part: ``runs/<point>__r<rep>__s<seed>.parquet`` (tables in sub-folders).
SWEEP_PART = re.compile(r"^(?P<point>.+)__r(?P<rep>\d+)__s(?P<seed>\d+)$")
_TEMP = re.compile(r"^\..+\.\d+\.tmp$")  # an unfinished atomic file write (sweep_store)
_NEW, _OLD, _LOCK = ".caresim-new-", ".caresim-old", ".caresim-lock"


class OutputError(ConfigError):
    """An output folder caresim must not or cannot write (reported in one line, exit 2)."""


class FolderBusy(OutputError):
    """Another caresim process holds the folder's lock."""


@dataclass
class Contents:
    """What a folder holds: its kind (None: missing or empty; "foreign": not caresim's)."""

    kind: str | None
    description: str
    own: set[str]          # caresim's files, relative POSIX paths
    foreign: list[str]     # every other file (and empty folder), relative POSIX paths

    @property
    def foreign_names(self) -> list[str]:
        """Top-level names of the files caresim did not write."""
        return sorted({f.split("/")[0] for f in self.foreign})


def _entries(folder: Path) -> list[str]:
    """Files, links and empty folders under ``folder`` (relative POSIX paths)."""
    found = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        found += [(rel / f).as_posix() for f in files]
        found += [(rel / d).as_posix() for d in dirs if Path(root, d).is_symlink()]
        if not dirs and not files and rel != Path("."):
            found.append(rel.as_posix())
    return found


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _is_run(folder: Path) -> bool:
    marker = _read_json(folder / MARKER)
    if marker:
        return marker.get("kind") == "run"
    return (folder / "summary.json").is_file() and (folder / "manifest.json").is_file()


def _layout_kind(out: Path) -> str | None:
    """The kind of a folder written before the marker, from its files."""
    if ("fingerprint" in _read_json(out / "manifest.json") or (out / "design.parquet").is_file()
            or (out / "analysis.json").is_file()):
        return "sweep"
    runs = out / "runs"
    if runs.is_dir() and all(f.startswith("runs/") and _sweep_file(f) for f in _entries(out)):
        return "sweep"  # killed before its first summary file
    if any((out / f).is_file() for f in COMPARE_FILES):
        return "compare"
    return "run" if _is_run(out) else None


def _sweep_file(rel: str) -> bool:
    """Whether a relative path is one a sweep writes (summary file, run part, temporary)."""
    name = rel.rsplit("/", 1)[-1]
    if rel in SWEEP_FILES or _TEMP.match(name):
        return True
    return rel.startswith("runs/") and name.endswith(".parquet") and bool(
        SWEEP_PART.match(name[:-len(".parquet")]))


def _own(out: Path, kind: str, marker: dict, files: list[str]) -> set[str]:
    """caresim's files in a folder of ``kind``: the marker's list, else known names."""
    if kind == "sweep":
        return {f for f in files if _sweep_file(f)} | {MARKER}
    if isinstance(marker.get("files"), list):
        return {str(f) for f in marker["files"]} | {MARKER}
    own = {f for f in files if f in RUN_FILES or (kind == "compare" and f in COMPARE_FILES)}
    if kind == "compare":
        own |= {f for f in files if f.count("/") == 1 and f.split("/")[1] in RUN_FILES + (MARKER,)
                and _is_run(out / f.split("/")[0])}
    return own | {MARKER}


def _describe(out: Path, kind: str) -> str:
    if kind == "run":
        summary = _read_json(out / "summary.json")
        return (f"a run results folder ({summary.get('config', '?')}, "
                f"{summary.get('replications', '?')} replications)")
    if kind == "compare":
        names = sorted(p.name for p in out.iterdir() if p.is_dir() and _is_run(p))
        return f"a compare results folder ({', '.join(names) or 'no scenarios'})"
    runs = out / "runs"
    parts = [p for p in runs.glob("*.parquet") if SWEEP_PART.match(p.stem)] \
        if runs.is_dir() else []
    name = _read_json(out / "manifest.json").get("experiment", {}).get("spec", {}).get("name")
    what = "case" if (out / "case.json").is_file() else "sweep"
    return f"a {what} results folder ({name or '?'}) with {len(parts)} finished runs"


def _names(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def inspect(out: str | Path) -> Contents:
    """Say what ``out`` holds: which kind of results, caresim's files and the user's."""
    out = Path(out)
    if not out.is_dir() or not any(out.iterdir()):
        return Contents(None, "nothing", set(), [])
    files = _entries(out)
    marker = _read_json(out / MARKER)
    kind = marker.get("kind") if marker.get("kind") in KINDS else _layout_kind(out)
    if kind is None:
        names = sorted(p.name for p in out.iterdir())
        results = [p.name for p in out.iterdir()
                   if p.is_dir() and ((p / MARKER).is_file() or _is_run(p))]
        what = (f"a folder of other results folders ({_names(sorted(results))})" if results
                else f"a folder that is not caresim's ({_names(names)})")
        return Contents("foreign", what, set(), files)
    own = _own(out, kind, marker, files)
    foreign = sorted(f for f in files if f not in own)
    text = _describe(out, kind)
    if foreign:
        names = sorted({f.split("/")[0] for f in foreign})
        text += f" with {len(foreign)} file(s) caresim did not write ({_names(names)})"
    return Contents(kind, text, own, foreign)


def mark(folder: Path, kind: str) -> None:
    """Write the marker: ``kind`` and (run, compare) every file now under ``folder``."""
    data: dict = {"kind": kind}
    if kind != "sweep":
        data["files"] = sorted(f for f in _entries(folder) if f != MARKER)
    tmp = folder / f".{MARKER}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, folder / MARKER)


def lock_path(out: str | Path) -> Path:
    """The lock file of an output folder: a hidden sibling, removed when the lock is released."""
    out = Path(os.path.abspath(out))
    return out.parent / f".{out.name}{_LOCK}"


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
