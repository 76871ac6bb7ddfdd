"""What a new user is pointed to ships with the project, and ``caresim init`` starts a config.

docs/PARAMETERS.md documents every schema field with the default caresim runs with; every file
the README, the schema's descriptions and the shipped configs point to exists; ``caresim init``
writes a config that reproduces its arrangement, whose commented lines each work when
uncommented, and that never replaces a file unless asked.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
from pathlib import Path

import pytest

from sim import cli, init_config
from sim.config import ConfigError, leaf_fields, load_config, shipped_config_names, toml_value

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "PARAMETERS.md"
SKIP_DIRS = {".git", ".venv", "__pycache__", "results", ".pytest_cache", ".ruff_cache"}
#: Files the README tells users to make themselves, with the words that tell them how.
USER_FILES = {"my_place.toml": "caresim init my_place", "my_case.toml": "a case file of your own"}
#: A path-like reference: a file ending .md/.toml/.py, or anything under a repository folder.
REFERENCE = re.compile(
    r"(?<![\w/.<-])(?:[\w.*<>/-]*[\w*>]\.(?:md|toml|py)\b"
    r"|(?:configs|docs|experiments|sim|tests|benchmarks|\.ci)/[\w.*<>/-]*[\w*>])")


def _make_parameters():
    spec = importlib.util.spec_from_file_location("make_parameters", ROOT / "docs" /
                                                  "make_parameters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _repo_files() -> list[str]:
    out = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        rel = Path(folder).relative_to(ROOT)
        out += [(rel / f).as_posix() for f in files]
        out += [(rel / d).as_posix() for d in dirs]
    return out


def missing_references(text: str) -> list[str]:
    """References in ``text`` to files or folders that the repository does not hold.

    A reference resolves from the repository root or from any folder in it (``fragmented.toml``
    is ``configs/fragmented.toml``); ``NAME``, ``<...>`` and ``*`` are placeholders. A file a
    user makes counts only if the text says how (see :data:`USER_FILES`).
    """
    files = _repo_files()
    missing = []
    for ref in dict.fromkeys(REFERENCE.findall(text)):
        if ref in USER_FILES and USER_FILES[ref] in text:
            continue
        pattern = re.sub(r"\bNAME\b|<[^>]*>", "*", ref.rstrip("/"))
        if pattern.startswith("/") or not any(
                fnmatch.fnmatch(f, pattern) or fnmatch.fnmatch(f, "*/" + pattern)
                for f in files):
            missing.append(ref)
    return missing


# --- docs/PARAMETERS.md -----------------------------------------------------------------------
def test_every_schema_field_is_in_the_parameters_document():
    text = DOC.read_text(encoding="utf-8")
    undocumented = [path for path, _ in leaf_fields() if f"`{path}`" not in text]
    assert not undocumented, (f"fields missing from docs/PARAMETERS.md: {undocumented}; "
                              "run python docs/make_parameters.py (and add a row if the field "
                              "is a measured quantity)")


def test_parameter_tables_show_the_schema_defaults():
    text = DOC.read_text(encoding="utf-8")
    assert _make_parameters().render(text) == text, (
        "docs/PARAMETERS.md is out of date with the schema: run python docs/make_parameters.py")


def test_every_parameter_row_cites_a_source_or_marks_an_estimate():
    rows = [row for rows in _make_parameters().ROWS.values() for row in rows]
    untagged = [row.parameter for row in rows if not re.search(r"\[(f|m|e)\b", row.source)]
    assert rows and not untagged


def test_the_generator_refuses_a_row_naming_a_field_the_schema_lacks(monkeypatch):
    module = _make_parameters()
    monkeypatch.setitem(module.ROWS, "people",
                        [module.Row("ghost", ("population.ghost",), "", "[e]")])
    with pytest.raises(SystemExit, match="population.ghost"):
        module.generated_blocks()


# --- files users are pointed to ---------------------------------------------------------------
def test_reference_finder_flags_files_that_are_not_shipped():
    text = ("see DOMAIN_PARAMETERS.md and configs/my_place.toml, `configs/pooled.toml`, "
            "`experiments/cases/NAME.toml`, theory/mmc_acute.toml, .ci/run and my_place.toml")
    assert missing_references(text) == ["DOMAIN_PARAMETERS.md", "configs/my_place.toml",
                                        "my_place.toml"]
    assert missing_references(text + "; caresim init my_place writes it") == [
        "DOMAIN_PARAMETERS.md", "configs/my_place.toml"]


def test_files_the_readme_points_to_exist():
    assert missing_references((ROOT / "README.md").read_text(encoding="utf-8")) == []


def test_files_the_schema_descriptions_point_to_exist():
    text = "\n".join(f"{path}: {info.description}" for path, info in leaf_fields())
    assert missing_references(text) == []


@pytest.mark.parametrize(("folder", "files"), [("configs", "*.toml"), ("experiments", "*.toml"),
                                              ("docs", "*.md")])
def test_files_the_shipped_configs_and_docs_point_to_exist(folder, files):
    problems = {path.relative_to(ROOT).as_posix(): missing
                for path in sorted((ROOT / folder).rglob(files))
                if (missing := missing_references(path.read_text(encoding="utf-8")))}
    assert problems == {}


# --- caresim init -----------------------------------------------------------------------------
def _uncomment(text: str, path: str, value) -> str:
    """``text`` with the commented line of field ``path`` set to ``value``, in its own table."""
    table, _, key = path.rpartition(".")
    lines = text.splitlines()
    start = lines.index(f"[{table}]")
    for i in range(start + 1, len(lines)):
        assert not lines[i].startswith("["), f"{path} is not offered under [{table}]"
        if re.match(rf"# {key} = ", lines[i]):
            lines[i] = f"{key} = {toml_value(value)}"
            return "\n".join(lines) + "\n"
    raise AssertionError(f"{path} is not offered")


def _dump(cfg) -> dict:
    return cfg.model_dump(mode="python", exclude={"name"})


@pytest.mark.parametrize("arrangement", shipped_config_names())
def test_init_file_reproduces_its_arrangement(tmp_path, arrangement):
    path = init_config.write_config("my_place", arrangement, tmp_path)
    cfg = load_config(path)
    assert path == tmp_path / "my_place.toml" and cfg.name == "my_place"
    assert _dump(cfg) == _dump(load_config(arrangement))


@pytest.mark.parametrize("arrangement", ["fragmented", "lead_commissioning", "integrated",
                                         "theory/mmc_acute"])
def test_every_offered_line_is_valid_toml_in_its_own_table(tmp_path, arrangement):
    text = init_config.config_text("my_place", arrangement)
    line = re.compile(r"^# (\w+ = .*  # unit: .*)$", flags=re.MULTILINE)
    assert len(line.findall(text)) == len(init_config.offered_fields(arrangement)) > 0
    opened = line.sub(r"\1", text)
    (tmp_path / "all.toml").write_text(opened, encoding="utf-8")
    assert _dump(load_config(tmp_path / "all.toml")) == _dump(load_config(arrangement))


def test_init_offers_every_place_field_the_arrangement_leaves_to_the_schema():
    infos = dict(leaf_fields())
    assert set(init_config.PLACE_FIELDS) <= set(infos)
    text = init_config.config_text("my_place", "lead_commissioning")
    offered = init_config.offered_fields("lead_commissioning")
    assert "budgets.nhs_gbp_per_year" not in offered       # the arrangement sets it
    assert set(offered) == set(init_config.PLACE_FIELDS) - {"budgets.nhs_gbp_per_year",
                                                            "budgets.la_gbp_per_year"}
    for path in offered:
        unit = init_config.PLACE_FIELDS[path]
        assert f"unit: {unit}" in text and infos[path].description.split()[0] in text


@pytest.mark.parametrize(("arrangement", "path", "value"), [
    ("fragmented", "acute.beds", 380),
    ("fragmented", "assessment.la_social_workers", 9),
    ("pooled", "population.band_shares", [0.5, 0.35, 0.15]),
    ("lead_commissioning", "budgets.la_yearly_change", -0.05),   # a table the arrangement has
])
def test_uncommenting_a_line_changes_that_field(tmp_path, arrangement, path, value):
    text = _uncomment(init_config.config_text("my_place", arrangement), path, value)
    (tmp_path / "my_place.toml").write_text(text, encoding="utf-8")
    cfg, base = load_config(tmp_path / "my_place.toml"), load_config(arrangement)
    changed = {k for k, v in _flat(_dump(cfg)).items() if _flat(_dump(base))[k] != v}
    assert changed == {path}
    assert _flat(_dump(cfg))[path] == value


def _flat(data: dict, prefix: str = "") -> dict:
    leaves = {p for p, _ in leaf_fields()}
    out = {}
    for key, value in data.items():
        if prefix + key not in leaves and isinstance(value, dict):
            out |= _flat(value, prefix + key + ".")
        else:
            out[prefix + key] = value
    return out


def test_existing_file_is_refused_and_left_untouched(tmp_path):
    path = init_config.write_config("my_place", out=tmp_path)
    path.write_text("# my own edits\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        init_config.write_config("my_place", "pooled", tmp_path)
    assert len(err.value.lines) == 1
    assert str(path) in err.value.lines[0] and "--force" in err.value.lines[0]
    assert path.read_text(encoding="utf-8") == "# my own edits\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_place.toml"]   # no temp file left
    init_config.write_config("my_place", "pooled", tmp_path, force=True)
    assert load_config(path).funding.arrangement == "pooled"


def test_unknown_arrangement_names_the_value_and_the_choices(tmp_path):
    with pytest.raises(ConfigError) as err:
        init_config.write_config("my_place", "pooledd", tmp_path)
    (line,) = err.value.lines
    assert "--from 'pooledd'" in line
    assert all(name in line for name in shipped_config_names())
    assert not (tmp_path / "my_place.toml").exists()


@pytest.mark.parametrize("name", ["../elsewhere", "a/b", "", ".hidden", "my place"])
def test_name_that_is_not_a_plain_file_name_is_refused(tmp_path, name):
    with pytest.raises(ConfigError) as err:
        init_config.write_config(name, out=tmp_path)
    assert len(err.value.lines) == 1 and repr(name) in err.value.lines[0]
    assert list(tmp_path.iterdir()) == []


def test_out_onto_a_file_is_refused_and_a_new_folder_is_made(tmp_path):
    (tmp_path / "f").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        init_config.write_config("my_place", out=tmp_path / "f")
    assert len(err.value.lines) == 1 and "--out" in err.value.lines[0]
    path = init_config.write_config("my_place.toml", out=tmp_path / "new" / "place")
    assert path == tmp_path / "new" / "place" / "my_place.toml" and load_config(path)


def test_init_command_writes_the_file_and_prints_the_next_steps(tmp_path, capsys):
    assert cli.main(["init", "my_place", "--from", "aligned", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "my_place.toml"
    assert f"caresim validate {path}" in out and f"caresim run {path}" in out
    assert load_config(path).funding.arrangement == "aligned"
