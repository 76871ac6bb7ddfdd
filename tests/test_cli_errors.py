"""Every command-line and output-folder mistake gives one line naming the option, the value and
what is allowed, with exit code 2 and no traceback (the CLI/IO cases of issue 10).

Each case fails before simulating, except the full-disk cases, which run the TINY place of
tests/test_cli.py or a 2-replication smoke sweep (a second or two each).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import filelock
import pandas as pd
import pytest

from sim import cli, outdir

from .test_cases import tiny_case
from .test_cli import TINY

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "experiments" / "smoke.toml"


def smoke2(tmp: Path) -> str:
    """The smoke experiment with 2 replications, as a file."""
    path = tmp / "smoke2.toml"
    path.write_text(SMOKE.read_text().replace("replications = 4", "replications = 2"))
    return str(path)


def read_only(folder: Path, monkeypatch) -> None:
    """Make ``folder`` read-only; as root (where chmod does not stop writes) say so via
    os.access, which caresim checks explicitly."""
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # root
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p).resolve()
                            == folder.resolve() and mode & os.W_OK else real(p, mode, **kw))


def full_disk(monkeypatch, after: int) -> None:
    """Parquet writes fail with ENOSPC after ``after`` successful ones."""
    calls, real = [], pd.DataFrame.to_parquet

    def to_parquet(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) > after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)


def locked(out: Path):
    lock = filelock.FileLock(outdir.lock_path(out), timeout=0)
    lock.acquire()
    return lock


# case: (argv with {tmp}, {exp}, {case} and {file} placeholders, setup(tmp, monkeypatch) or
# None (it may return a lock, held during the call), texts the one line must contain)
CASES = {
    "run --replications abc": (["run", "--replications", "abc"], None,
                               [("--replications: expected a whole number from 1 to 1,000, "
                                "got 'abc'")]),
    "run --replications 0": (["run", "--replications", "0"], None, ["--replications", "'0'"]),
    "run --replications 5000": (["run", "--replications", "5000"], None,
                                ["--replications", "to 1,000", "'5000'"]),
    "run --seed -1": (["run", "--seed=-1"], None, ["--seed", "from 0", "'-1'"]),
    "run --replications 1.5": (["run", "--replications", "1.5"], None,
                               ["--replications", "'1.5'"]),
    "run --workers 0": (["run", "--workers", "0"], None, ["--workers", "at least 1", "'0'"]),
    "run --workers -1": (["run", "--workers", "-1"], None, ["--workers", "'-1'"]),
    "compare --workers 0": (["compare", "fragmented", "pooled", "--workers", "0"], None,
                            ["--workers", "'0'"]),
    "sweep --workers -1": (["sweep", "{exp}", "--workers", "-1"], None,
                           ["--workers", "at least 1", "'-1'"]),
    "sweep --workers 0": (["sweep", "{exp}", "--workers", "0"], None, ["--workers", "'0'"]),
    "case --workers 0": (["case", "{case}", "--workers", "0"], None, ["--workers", "'0'"]),
    "case --replications 1": (["case", "{case}", "--replications", "1"], None,
                              ["--replications", "at least 2", "'1'"]),
    "case --replications abc": (["case", "{case}", "--replications", "abc"], None,
                                ["--replications", "'abc'"]),
    **{f"run --years {v}": (["run", f"--years={v}"], None,
                            ["--years", f"'{v}'", "one day", "to 50"])
       for v in ("inf", "-inf", "nan", "0.0001", "1e6", "7000", "0", "-1", "abc")},
    "compare --years inf": (["compare", "fragmented", "pooled", "--years", "inf"], None,
                            ["--years", "'inf'", "to 50"]),
    "run --seed abc": (["run", "--seed", "abc"], None, ["--seed", "'abc'"]),
    "run unknown option": (["run", "--bogus"], None, ["unrecognized arguments: --bogus"]),
    "unknown command": (["frobnicate"], None, ["invalid choice: 'frobnicate'"]),
    "compare without scenario": (["compare", "fragmented"], None, ["CONFIG_B"]),
    "sweep --fresh --resume": (["sweep", "{exp}", "--fresh", "--resume"], None,
                               ["--resume", "--fresh"]),
    "run --out file": (["run", *TINY, "--out", "{file}"], None,
                       ["--out {file}: is a file, not a folder"]),
    "run --out under a file": (["run", *TINY, "--out", "{file}/sub"], None,
                               ["--out {file}/sub", "is a file"]),
    "sweep --out file": (["sweep", "{exp}", "--out", "{file}"], None,
                         ["--out {file}: is a file"]),
    "case --out file": (["case", "{case}", "--out", "{file}"], None,
                        ["--out {file}: is a file"]),
    "sweep --out under a file": (["sweep", "{exp}", "--out", "{file}/S"], None,
                                 ["--out {file}/S", "is a file"]),
    "run --out read-only folder": (["run", *TINY, "--out", "{tmp}/ro/R"],
                                   lambda tmp, mp: read_only(_mkdir(tmp / "ro"), mp),
                                   ["--out {tmp}/ro/R", "read-only"]),
    "sweep --out read-only folder": (["sweep", "{exp}", "--out", "{tmp}/ro"],
                                     lambda tmp, mp: read_only(_mkdir(tmp / "ro"), mp),
                                     ["--out {tmp}/ro", "read-only"]),
    "case --out read-only folder": (["case", "{case}", "--out", "{tmp}/ro/C"],
                                    lambda tmp, mp: read_only(_mkdir(tmp / "ro"), mp),
                                    ["--out {tmp}/ro/C", "read-only"]),
    "run --out current folder": (["run", *TINY, "--out", "."], None,
                                 ["--out .", "contains the current directory"]),
    "run --out user folder": (["run", *TINY, "--out", "{tmp}/mine"],
                              lambda tmp, mp: (_mkdir(tmp / "mine") / "a.txt").write_text("x"),
                              ["--out {tmp}/mine", "not caresim's (a.txt)"]),
    "run --out locked": (["run", *TINY, "--out", "{tmp}/L"], lambda tmp, mp: locked(tmp / "L"),
                         ["--out {tmp}/L", "another caresim process"]),
    "sweep --out locked": (["sweep", "{exp}", "--out", "{tmp}/L"],
                           lambda tmp, mp: locked(tmp / "L"),
                           ["--out {tmp}/L", "another caresim process"]),
    "run on a full disk": (["run", *TINY, "--workers", "1", "--out", "{tmp}/R"],
                           lambda tmp, mp: full_disk(mp, after=2),
                           ["--out {tmp}/R", "cannot write results", "No space left"]),
    "sweep on a full disk": (["sweep", "{exp}", "--workers", "1", "--no-progress", "--out",
                              "{tmp}/S"], lambda tmp, mp: full_disk(mp, after=2),
                             ["--out {tmp}/S", "No space left", "2 finished runs are kept"]),
    "sweep --out another experiment's folder": (
        ["sweep", "{exp}", "--out", "{tmp}/S"],
        lambda tmp, mp: (_mkdir(tmp / "S") / "manifest.json").write_text(
            '{"fingerprint": "0123abcd", "experiment": {}}'),
        ["--out {tmp}/S", "different experiment", "0123abcd", "--fresh"]),
    "analyse a run folder": (["analyse", "{tmp}/R"],
                             lambda tmp, mp: outdir.write_folder(tmp / "R", "run", _fake_run),
                             ["{tmp}/R", "not a sweep output folder"]),
    "analyse a missing folder": (["analyse", "{tmp}/nothing"], None,
                                 ["{tmp}/nothing", "not a sweep output folder"]),
}


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _fake_run(folder: Path) -> None:
    (folder / "summary.json").write_text('{"config": "x", "replications": 2}')
    (folder / "manifest.json").write_text('{"config": {}, "seed": 1}')


@pytest.mark.parametrize("case", list(CASES))
def test_cli_mistake_gives_one_line_naming_the_option(tmp_path, monkeypatch, capsys, case):
    argv, setup, expected = CASES[case]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("a file, not a folder")
    names = {"tmp": str(tmp_path), "exp": smoke2(tmp_path), "file": str(tmp_path / "file")}
    if any("{case}" in a for a in argv):
        names["case"] = str(tiny_case(tmp_path))
    held = setup(tmp_path, monkeypatch) if setup else None
    try:
        code = cli.main([a.format(**names) for a in argv])
    finally:
        if isinstance(held, filelock.BaseFileLock):
            held.release()
        if (tmp_path / "ro").exists():
            (tmp_path / "ro").chmod(0o755)
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.out + captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    for text in expected:
        assert text.format(**names) in lines[0]


def test_full_disk_during_a_sweep_keeps_the_finished_runs(tmp_path, monkeypatch, capsys):
    full_disk(monkeypatch, after=2)
    out = tmp_path / "S"
    assert cli.main(["sweep", smoke2(tmp_path), "--workers", "1", "--no-progress", "--out",
                     str(out)]) == 2
    monkeypatch.undo()
    parts = sorted((out / "runs").iterdir())
    assert len(parts) == 2 and all(len(pd.read_parquet(p)) > 0 for p in parts)  # no temp file
    assert cli.main(["sweep", smoke2(tmp_path), "--workers", "1", "--no-progress", "--out",
                     str(out)]) == 0
    assert "2 runs done (2 already on disk)" in capsys.readouterr().out


def test_full_disk_during_an_overwrite_keeps_the_old_results(tmp_path, monkeypatch, capsys):
    out = tmp_path / "R"
    assert cli.main(["run", "fragmented", *TINY, "--workers", "1", "--out", str(out)]) == 0
    (out / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    full_disk(monkeypatch, after=2)
    assert cli.main(["run", "fragmented", *TINY, "--workers", "1", "--seed", "3", "--out",
                     str(out), "--overwrite"]) == 2
    assert "No space left" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R"]


def test_usage_error_is_one_line_and_help_still_works(capsys):
    assert cli.main(["run", "--replications"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [("caresim run: error: --replications: expected one argument "
                   "(see caresim run --help)")]
    assert cli.main(["run", "--help"]) == 0
    assert "--overwrite" in capsys.readouterr().out
