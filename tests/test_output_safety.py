"""caresim never loses a user's work: --out refusals, --overwrite keeping the user's files, the
folder lock, crash-safe replacement, compare saving by default, damaged sweep parts re-run,
reports and figures that replace only caresim's own files (sim.outdir, sim.marker, sim.cli,
sim.sweep). Runs use the TINY place of tests/test_cli.py (~1 s each)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import filelock
import pandas as pd
import pytest

from sim import cli, marker, outdir
from sim.sweep import run_sweep

from .test_cases import tiny_case
from .test_cli import TINY

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "experiments" / "smoke.toml"
USER_FILES = {"notes.txt": b"my notes", "report.html": b"<html>my report</html>",
              "drafts/idea.md": b"# idea"}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> content)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def add_user_files(folder: Path) -> None:
    for rel, content in USER_FILES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content)


def assert_user_files_kept(folder: Path) -> None:
    files = snapshot(folder)
    assert {rel: files.get(rel) for rel in USER_FILES} == USER_FILES


def one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def no_stray_siblings(folder: Path) -> bool:
    """No lock file, temporary or set-aside folder is left next to ``folder``."""
    return not [p for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    """The smoke experiment with 2 replications (4 runs of ~0.3 s)."""
    path = tmp_path_factory.mktemp("exp") / "smoke2.toml"
    path.write_text(SMOKE.read_text().replace("replications = 4", "replications = 2"))
    return path


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory, experiment) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "S"
    run_sweep(experiment, out, workers=1, progress=False)
    return out


@pytest.fixture
def sweep_copy(sweep_folder, tmp_path) -> Path:
    out = tmp_path / "S"
    shutil.copytree(sweep_folder, out)
    return out


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "R"
    assert cli.main(["run", "fragmented", *TINY, "--workers", "1", "--out", str(out)]) == 0
    return out


@pytest.fixture
def run_copy(run_folder, tmp_path) -> Path:
    out = tmp_path / "R"
    shutil.copytree(run_folder, out)
    return out


# --- refusals ---------------------------------------------------------------------------------
@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_run_onto_a_sweep_folder_is_refused_and_nothing_deleted(sweep_copy, capsys, overwrite):
    before = snapshot(sweep_copy)
    code = cli.main(["run", "fragmented", *TINY, "--out", str(sweep_copy), *overwrite])
    line = one_line_error(capsys)
    assert code == 2
    assert f"--out {sweep_copy}: is a sweep results folder (smoke) with 4 finished runs" in line
    assert "choose another --out" in line
    assert snapshot(sweep_copy) == before and no_stray_siblings(sweep_copy)


def test_run_folder_with_user_files_is_refused_without_overwrite(run_copy, capsys):
    add_user_files(run_copy)
    before = snapshot(run_copy)
    assert cli.main(["run", "fragmented", *TINY, "--out", str(run_copy)]) == 2
    line = one_line_error(capsys)
    assert "is a run results folder (fragmented, 2 replications)" in line
    assert "caresim did not write (drafts, notes.txt, report.html)" in line
    assert "--overwrite" in line and "choose another --out" in line
    assert snapshot(run_copy) == before


def test_overwrite_replaces_run_results_and_keeps_user_files(run_copy, capsys):
    add_user_files(run_copy)
    old = snapshot(run_copy)
    assert cli.main(["run", "fragmented", *TINY, "--seed", "9", "--out", str(run_copy),
                     "--overwrite"]) == 0
    assert "kept files caresim did not write: drafts, notes.txt, report.html" in \
        capsys.readouterr().out
    assert_user_files_kept(run_copy)
    assert json.loads((run_copy / "manifest.json").read_text())["seed"] == 9
    assert snapshot(run_copy)["kpis.parquet"] != old["kpis.parquet"]
    assert set(snapshot(run_copy)) == set(old)  # same files: results replaced, nothing lost
    assert no_stray_siblings(run_copy)


def test_compare_onto_a_compare_folder_needs_overwrite_and_keeps_user_files(tmp_path, capsys):
    out = tmp_path / "C"
    args = ["compare", "fragmented", "pooled", *TINY, "--workers", "1", "--out", str(out)]
    assert cli.main(args) == 0
    add_user_files(out)
    (out / "pooled" / "my_figure.png").write_bytes(b"png")
    before = snapshot(out)
    capsys.readouterr()
    assert cli.main(args) == 2
    assert "is a compare results folder (fragmented, pooled)" in one_line_error(capsys)
    assert snapshot(out) == before
    assert cli.main([*args, "--seed", "5", "--overwrite"]) == 0
    assert_user_files_kept(out)
    assert (out / "pooled" / "my_figure.png").read_bytes() == b"png"
    assert json.loads((out / "pooled" / "manifest.json").read_text())["seed"] == 5
    assert cli.main(["run", "fragmented", *TINY, "--out", str(out), "--overwrite"]) == 2
    assert "a run needs a new or empty folder" in one_line_error(capsys)


@pytest.mark.parametrize("command", ["sweep", "case"])
def test_sweep_onto_a_run_or_user_folder_is_refused(run_copy, tmp_path, experiment, capsys,
                                                   command):
    user = tmp_path / "mine"
    user.mkdir()
    add_user_files(user)
    source = experiment if command == "sweep" else tiny_case(tmp_path)
    for folder, what in ((run_copy, "is a run results folder"),
                         (user, "is a folder that is not caresim's (drafts, notes.txt")):
        before = snapshot(folder)
        code = cli.main([command, str(source), "--out", str(folder), "--no-progress"])
        assert code == 2 and what in one_line_error(capsys)
        assert snapshot(folder) == before


def test_save_from_python_refuses_an_earlier_run_unless_overwrite(run_copy):
    import sim
    from tests.conftest import small
    res = sim.run(small(people=2000, years=0.2, warmup_days=10), 2, 4, progress=False)
    add_user_files(run_copy)
    with pytest.raises(outdir.OutputError, match="add --overwrite"):
        res.save(run_copy)
    res.save(run_copy, overwrite=True)
    assert json.loads((run_copy / "manifest.json").read_text())["seed"] == 4
    assert_user_files_kept(run_copy)


# --- the lock ---------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_second_writer_of_a_folder_is_refused_at_once(tmp_path, experiment, capsys, command):
    out = tmp_path / "busy"
    args = (["run", "fragmented", *TINY] if command == "run"
            else ["sweep", str(experiment), "--no-progress"])
    with filelock.FileLock(outdir.lock_path(out), timeout=0):  # another process writing
        assert cli.main([*args, "--out", str(out)]) == 2
    line = one_line_error(capsys)
    assert f"--out {out}: another caresim process is writing this folder" in line
    assert not out.exists()


def test_no_lock_file_is_left_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "fragmented", *TINY, "--out", "R"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R"]
    assert not [p for p in (tmp_path / "R").iterdir() if "lock" in p.name]


# --- compare saves by default -----------------------------------------------------------------
def test_compare_without_out_saves_to_results_compare_names_time(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["compare", "fragmented", "pooled", *TINY, "--workers", "1"]) == 0
    [out] = list((tmp_path / "results").iterdir())
    assert out.name.startswith("compare-fragmented-pooled-")
    assert f"results written to {out.relative_to(tmp_path)}" in capsys.readouterr().out
    assert {"fragmented", "pooled", "paired_differences.csv"} <= {p.name for p in out.iterdir()}
    assert cli.main(["compare", "--help"]) == 0
    assert "results/compare-A-B-TIME" in " ".join(capsys.readouterr().out.split())


# --- damaged sweep parts ----------------------------------------------------------------------
def damage(out: Path) -> list[Path]:
    """Truncate one KPI part and overwrite another with garbage."""
    truncated, garbage = sorted((out / "runs").glob("*.parquet"))[:2]
    truncated.write_bytes(truncated.read_bytes()[:100])
    garbage.write_bytes(b"not parquet at all" * 20)
    return [truncated, garbage]


def test_damaged_parts_are_rerun_on_resume_and_named(sweep_copy, sweep_folder, experiment,
                                                     capsys):
    bad = damage(sweep_copy)
    code = cli.main(["sweep", str(experiment), "--out", str(sweep_copy), "--workers", "1",
                     "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    for path in bad:
        assert f"damaged, will re-run: {path} (not a readable Parquet file" in printed
    assert "2 runs done (2 already on disk, 2 damaged part(s) re-run)" in printed
    pd.testing.assert_frame_equal(pd.read_parquet(sweep_copy / "kpis.parquet"),
                                  pd.read_parquet(sweep_folder / "kpis.parquet"))
    for path in bad:  # repaired: the same numbers as the undamaged sweep
        clean = pd.read_parquet(sweep_folder / "runs" / path.name)
        pd.testing.assert_frame_equal(pd.read_parquet(path)[["kpi", "value"]],
                                      clean[["kpi", "value"]])


def test_analyse_of_a_damaged_part_names_it_in_one_line(sweep_copy, capsys):
    bad = damage(sweep_copy)
    before = snapshot(sweep_copy)
    assert cli.main(["analyse", str(sweep_copy)]) == 2
    line = one_line_error(capsys)
    assert line.startswith(f"{bad[0]}: damaged run part (not a readable Parquet file")
    assert "and 1 other damaged part(s)" in line and "rerun the sweep" in line
    assert snapshot(sweep_copy) == before


def test_fresh_discards_only_caresims_files(sweep_copy, experiment):
    add_user_files(sweep_copy)
    (sweep_copy / "runs" / "README.txt").write_text("what these are")
    summary = run_sweep(experiment, sweep_copy, workers=1, progress=False, resume=False)
    assert summary["runs_done"] == 4 and summary["runs_skipped"] == 0
    assert_user_files_kept(sweep_copy)
    assert (sweep_copy / "runs" / "README.txt").read_text() == "what these are"


# --- a crash at any point of a replacement ----------------------------------------------------
def write_results(tag: str):
    def write(folder: Path) -> None:
        (folder / "summary.json").write_text(json.dumps({"config": tag, "replications": 2}))
        (folder / "manifest.json").write_text(json.dumps({"config": {}, "tag": tag}))
        (folder / "kpis.parquet").write_text(tag)
    return write


class Crash(BaseException):
    """Stands for kill -9: no clean-up code runs after it."""


@pytest.mark.parametrize("step", range(7))
def test_a_crash_at_any_step_of_a_replacement_loses_nothing(tmp_path, monkeypatch, step):
    out = tmp_path / "R"
    outdir.write_folder(out, "run", write_results("old"))
    add_user_files(out)
    calls = []
    real_replace = outdir.os.replace

    def replace(src, dst):  # the marker, old set aside, new into place, three user entries
        calls.append(1)
        if len(calls) == step + 1:
            raise Crash
        return real_replace(src, dst)

    monkeypatch.setattr(outdir.os, "replace", replace)
    monkeypatch.setattr(outdir, "recover", lambda out: None)  # a killed process cleans nothing
    monkeypatch.setattr(outdir.shutil, "rmtree", lambda *args, **kwargs: None)
    try:
        outdir.write_folder(out, "run", write_results("new"), overwrite=True)
        crashed = False
    except Crash:
        crashed = True
    monkeypatch.undo()
    assert crashed == (step < 6) and len(calls) == min(step + 1, 6)
    outdir.Claim(out, "run", overwrite=True).acquire().release()  # the next command recovers
    tag = json.loads((out / "manifest.json").read_text())["tag"]
    assert tag in ("old", "new") and (out / "kpis.parquet").read_text() == tag
    assert_user_files_kept(out)
    assert set(snapshot(out)) == {".caresim-files", "summary.json", "manifest.json",
                                  "kpis.parquet", *USER_FILES}
    assert no_stray_siblings(out)


# --- reports and figures never replace a user's file --------------------------------------------
def test_rerunning_report_replaces_caresims_report_and_registers_it(run_copy, capsys):
    assert cli.main(["report", str(run_copy)]) == 0
    first = (run_copy / "report.html").read_bytes()
    assert marker.inspect(run_copy).foreign == []      # caresim's own: not listed as the user's
    assert cli.main(["report", str(run_copy)]) == 0     # replaced without --overwrite
    assert (run_copy / "report.html").read_bytes().startswith(first[:15])
    capsys.readouterr()
    assert cli.main(["run", "fragmented", *TINY, "--out", str(run_copy)]) == 2
    line = one_line_error(capsys)
    assert "is a run results folder" in line and "report.html" not in line


def test_report_refuses_a_users_report_unless_overwrite(run_copy, capsys):
    add_user_files(run_copy)
    before = snapshot(run_copy)
    assert cli.main(["report", str(run_copy)]) == 2
    line = one_line_error(capsys)
    assert line.startswith(f"{run_copy / 'report.html'}: exists and caresim did not write it")
    assert "--overwrite" in line and snapshot(run_copy) == before
    assert cli.main(["report", str(run_copy), "--overwrite"]) == 0
    assert (run_copy / "report.html").read_bytes() != USER_FILES["report.html"]
    assert (run_copy / "notes.txt").read_bytes() == USER_FILES["notes.txt"]


def test_report_and_plot_out_onto_a_foreign_file_are_refused(run_copy, tmp_path, capsys):
    mine = tmp_path / "mine.html"
    mine.write_text("my own page")
    assert cli.main(["report", str(run_copy), "--out", str(mine)]) == 2
    assert f"--out {mine}: exists and caresim did not write it" in one_line_error(capsys)
    assert mine.read_text() == "my own page"
    figs = tmp_path / "figs"
    figs.mkdir()
    (figs / "bed_use.png").write_bytes(b"my figure")
    assert cli.main(["plot", str(run_copy), "--kind", "bed_use", "--out", str(figs)]) == 2
    assert f"--out {figs / 'bed_use.png'}: exists and caresim did not write it" in \
        one_line_error(capsys)
    assert (figs / "bed_use.png").read_bytes() == b"my figure"
    assert cli.main(["plot", str(run_copy), "--kind", "bed_use", "--out", str(figs),
                     "--overwrite"]) == 0
    assert (figs / "bed_use.png").read_bytes().startswith(b"\x89PNG")


def test_plot_replaces_caresims_figures_but_not_a_users(run_copy, capsys):
    assert cli.main(["plot", str(run_copy), "--kind", "bed_use"]) == 0
    assert cli.main(["plot", str(run_copy), "--kind", "bed_use"]) == 0   # its own: replaced
    (run_copy / "plots" / "care_settings.png").write_bytes(b"my figure")
    capsys.readouterr()
    assert cli.main(["plot", str(run_copy), "--kind", "bed_use", "--kind", "care_settings"]) == 2
    assert "plots/care_settings.png: exists and caresim did not write it" in \
        one_line_error(capsys)
    assert (run_copy / "plots" / "care_settings.png").read_bytes() == b"my figure"


def test_a_sweeps_registered_report_survives_a_resume(sweep_copy, experiment, capsys):
    assert cli.main(["report", str(sweep_copy)]) == 0
    run_sweep(experiment, sweep_copy, workers=1, progress=False)   # resumes, rewrites the marker
    assert marker.inspect(sweep_copy).foreign == []
    assert cli.main(["report", str(sweep_copy)]) == 0
    assert run_sweep(experiment, sweep_copy, workers=1, progress=False,
                     resume=False)["runs_done"] == 4            # --fresh: caresim's files go
    assert not (sweep_copy / "report.html").exists()
