"""What a results folder holds, and the marker file that says so.

caresim writes three kinds of results folder: a *run* (:meth:`sim.Results.save`), a *compare*
(one run sub-folder per scenario plus the paired differences) and a *sweep* (parts under
``runs/`` written in place, so that a rerun resumes; a case is a sweep plus ``case.json``).
Each carries a marker file, ``.caresim-files``, naming its kind and (run, compare) every file
caresim wrote into it (:func:`mark`); folders written before the marker are recognised by
their layout. A report or figure caresim writes into a results folder later is added to the
marker (:func:`register`), so that the next ``caresim report`` or ``plot`` may replace it.
:func:`inspect` says what a folder holds: its kind, caresim's files and everything else, which
is the user's. :mod:`sim.outdir` decides from that what may be written and replaced.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import atomic

MARKER = ".caresim-files"
KINDS = ("run", "compare", "sweep")
#: Files of a run folder (``Results.save``); ``events.parquet`` only with the event log.
RUN_FILES = ("daily.parquet", "monthly_costs.parquet", "monthly_resource_use.parquet",
             "budgets.parquet", "cost_shifting.parquet", "discharges.parquet", "kpis.parquet",
             "events.parquet", "summary.json", "manifest.json")
COMPARE_FILES = ("paired_differences.parquet", "paired_differences.csv")
SWEEP_FILES = ("manifest.json", "kpis.parquet", "design.parquet", "failures.parquet",
               "analysis.json", "warmup.json", "case.json")
#: Stem of a sweep's run part: ``runs/<point>__r<rep>__s<seed>.parquet`` (tables in sub-folders).
SWEEP_PART = re.compile(r"^(?P<point>.+)__r(?P<rep>\d+)__s(?P<seed>\d+)$")
_TEMP = re.compile(r"^\..+\.\d+\.tmp$")  # an unfinished write: atomic.temporary()


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
        return {f for f in files if _sweep_file(f)} | set(_listed(marker)) | {MARKER}
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


def _listed(marker: dict) -> list[str]:
    files = marker.get("files")
    return [str(f) for f in files] if isinstance(files, list) else []


def mark(folder: Path, kind: str) -> None:
    """Write the marker: ``kind`` and (run, compare) every file now under ``folder``.

    A sweep's run parts are known by their names; its marker lists only the reports and
    figures registered in it that still exist.
    """
    data: dict = {"kind": kind}
    if kind != "sweep":
        data["files"] = sorted(f for f in _entries(folder) if f != MARKER)
    else:
        kept = [f for f in _listed(_read_json(folder / MARKER)) if (folder / f).is_file()]
        if kept:
            data["files"] = sorted(kept)
    _write_marker(folder, data)


def _write_marker(folder: Path, data: dict) -> None:
    atomic.write_text(folder / MARKER, json.dumps(data, indent=1) + "\n")


def holder(path: str | Path) -> Path | None:
    """The results folder a file lies in (the nearest folder above it with a marker), or
    None outside every results folder."""
    for folder in Path(os.path.abspath(path)).parents:
        if _read_json(folder / MARKER).get("kind") in KINDS:
            return folder
    return None


def register(path: str | Path) -> bool:
    """Record a file caresim has just written (a report, a figure) in the marker of the
    results folder holding it, so a later command may replace it; False outside one."""
    path = Path(os.path.abspath(path))
    folder = holder(path)
    if folder is None:
        return False
    marker = _read_json(folder / MARKER)
    rel = path.relative_to(folder).as_posix()
    if marker["kind"] == "sweep":
        files = set(_listed(marker))
    else:
        files = inspect(folder).own - {MARKER}
    _write_marker(folder, {"kind": marker["kind"], "files": sorted(files | {rel})})
    return True


def caresim_wrote(path: str | Path) -> bool:
    """Whether ``path`` is a file caresim wrote into a results folder (listed in its
    marker, or one of the files of its kind)."""
    folder = holder(path)
    if folder is None:
        return False
    rel = Path(os.path.abspath(path)).relative_to(folder).as_posix()
    return rel in inspect(folder).own
