"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file caresim writes goes through :func:`write_bytes` (or its text, JSON and Parquet
forms): the content is written to a hidden temporary sibling ``.NAME.PID.tmp`` and renamed over
the target with ``os.replace``. A crash leaves at most that temporary file, which the sweep
scan and :mod:`sim.outdir` recognise and remove. With ``replace=False`` an existing file is
never replaced (the rename is a hard link that fails if the name was taken meanwhile). Files
get the umask's permissions: results are for sharing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def temporary(path: Path) -> Path:
    """The hidden temporary sibling a write of ``path`` goes through."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _commit(tmp: Path, path: Path, replace: bool) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    if replace:
        os.replace(tmp, path)
    else:
        os.link(tmp, path)      # FileExistsError if the name is taken
        tmp.unlink()


def write_bytes(path: str | Path, data: bytes, replace: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (creating its folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(path)
    try:
        tmp.write_bytes(data)
        _commit(tmp, path, replace)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str, replace: bool = True) -> Path:
    """Write UTF-8 text atomically."""
    return write_bytes(path, text.encode("utf-8"), replace)


def write_json(path: str | Path, data: dict) -> Path:
    """Write a JSON document atomically (values JSON cannot hold are written as text)."""
    return write_text(path, json.dumps(data, indent=2, default=str))


def write_parquet(frame: "pd.DataFrame", path: str | Path) -> Path:
    """Write a DataFrame as Parquet atomically (without its index)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(path)
    try:
        frame.to_parquet(tmp, index=False)
        _commit(tmp, path, replace=True)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
