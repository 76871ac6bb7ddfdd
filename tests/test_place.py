"""``caresim place new`` and ``place build``: a place's published figures become a config.

The template names a public source on every line holding a figure; building it unchanged gives
back the default place; a place of half the size gets half the capacities by the one scaling
rule; every contradiction is refused with a line naming the field and its value, all at once;
the observed figures become targets named after registry KPIs; and a built config runs.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from sim import cli
from sim.config import DEFAULT_CONFIG, load_config
from sim.kpis import KPIS
from sim.place import OBSERVED, template_text
from sim.place_build import OBSERVED_KPIS
from sim.scaling import SCALED_FIELDS, scale_overrides, value_at
from sim.schema_base import YEAR


def new_place(tmp_path: Path, name: str = "shire") -> Path:
    """``caresim place new NAME --dir`` in ``tmp_path``; returns the place's folder."""
    folder = tmp_path / name
    assert cli.main(["place", "new", name, "--dir", str(folder)]) == 0
    return folder


def edit(folder: Path, changes: dict[str, str]) -> None:
    """Replace (or, with an empty value, delete) the line of each ``key = `` in place.toml."""
    path = folder / "place.toml"
    text = path.read_text(encoding="utf-8")
    for key, line in changes.items():
        text, found = re.subn(rf"(?m)^{key} = .*$\n?", line + "\n" if line else "", text,
                              count=1)
        assert found, key
    path.write_text(text, encoding="utf-8")


def build(folder: Path, *extra: str) -> int:
    return cli.main(["place", "build", folder.name, "--dir", str(folder), *extra])


# --- place new -----------------------------------------------------------------------------
def test_place_new_writes_the_template_and_refuses_a_non_empty_folder(tmp_path, monkeypatch,
                                                                      capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["place", "new", "shire"]) == 0
    written = tmp_path / "places" / "shire" / "place.toml"
    assert written.read_text(encoding="utf-8") == template_text("shire")
    assert tomllib.loads(written.read_text(encoding="utf-8"))["name"] == "shire"
    capsys.readouterr()
    assert cli.main(["place", "new", "shire"]) == 2          # its own folder, now not empty
    own = tmp_path / "notes"
    own.mkdir()
    (own / "mine.txt").write_text("a user's file")
    assert cli.main(["place", "new", "notes", "--dir", str(own)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("is not empty" in line for line in err)
    assert sorted(p.name for p in own.iterdir()) == ["mine.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["place", "new", "vale", "--dir", str(empty)]) == 0


def test_every_figure_line_of_the_template_names_its_source():
    text = template_text("shire")
    figures = [line for line in text.splitlines()
               if re.match(r"^\w+ = ", line) and not line.startswith("name = ")]
    unsourced = [line for line in figures
                 if "#" not in line or "source: " not in line.split("#", 1)[1]]
    assert not unsourced
    data = tomllib.loads(text)
    leaves = sum(len(v) for v in data.values() if isinstance(v, dict))
    assert len(figures) == leaves          # one line, one figure: none hides on a shared line
    assert list(data["observed"]) == list(OBSERVED)
    assert all(set(obs) == {"value", "sd"} for obs in data["observed"].values())


# --- place build ---------------------------------------------------------------------------
def test_the_untouched_template_builds_the_default_place(tmp_path, capsys):
    folder = new_place(tmp_path)
    assert build(folder) == 0
    config = load_config(folder / "shire.toml")
    assert cli.main(["validate", str(folder / "shire.toml")]) == 0
    default = load_config(DEFAULT_CONFIG)
    for path in SCALED_FIELDS:
        assert value_at(config, path) == value_at(default, path), path
    for path in ("population.band_shares", "population.lives_alone_by_band"):
        assert value_at(config, path) == pytest.approx(value_at(default, path), abs=1e-4)
    same = config.model_dump(exclude={"name", "description", "population"})
    assert same == default.model_dump(exclude={"name", "description", "population"})
    assert "fragmented, 55,200 people aged 65+" in capsys.readouterr().out


def test_a_place_of_half_the_size_gets_half_the_capacities(tmp_path):
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "place.toml").write_text('name = "half"\n[population]\naged_65_plus = 27_600\n')
    assert build(folder) == 0
    config = load_config(folder / "half.toml")
    default = load_config(DEFAULT_CONFIG)
    for path, value in scale_overrides(default, 0.5).items():
        assert value_at(config, path) == value, path
    assert (config.acute.beds, config.care_homes.beds, config.budgets.la_gbp_per_year) == (
        186, 1075, 36_075_000.0)


def test_a_place_s_own_figures_replace_the_scaled_ones(tmp_path):
    folder = new_place(tmp_path)
    edit(folder, {"general_acute_beds": "general_acute_beds = 500  # G&A; source: KH03",
                  "share_of_bed_days_65_plus": "share_of_bed_days_65_plus = 0.5  # source: HES",
                  "beds": "beds = 80  # source: NAIC"})     # the first `beds`: intermediate care
    assert build(folder) == 0
    config = load_config(folder / "shire.toml")
    assert (config.acute.beds, config.acute.escalation_beds, config.intermediate_care.beds) == (
        250, 21, 80)


@pytest.mark.parametrize("joint", [False, True])
def test_a_section_75_schedule_pools_its_services(tmp_path, joint):
    folder = new_place(tmp_path)
    edit(folder, {"scope": 'scope = ["reablement", "home_care"]  # source: schedule',
                  "la_contribution_gbp_per_year": "la_contribution_gbp_per_year = 20e6",
                  "joint_assessment": f"joint_assessment = {str(joint).lower()}"})
    assert build(folder) == 0
    config = load_config(folder / "shire.toml")
    assert config.funding.pool.scope == ["reablement", "home_care"]
    assert config.funding.pool.la_contribution_gbp_per_year == 20e6
    assert config.funding.joint_scope == (["reablement", "home_care"] if joint else [])
    assert config.funding.arrangement == ("pooled" if joint else "pooled_money_only")


def test_the_shipped_example_place_builds_as_shipped(tmp_path):
    shipped = Path(__file__).resolve().parents[1] / "experiments" / "places" / "eastmoor"
    folder = tmp_path / "eastmoor"
    folder.mkdir()
    (folder / "place.toml").write_bytes((shipped / "place.toml").read_bytes())
    assert build(folder) == 0
    assert load_config(folder / "eastmoor.toml") == load_config(shipped / "eastmoor.toml")
    assert (tomllib.loads((folder / "targets.toml").read_text(encoding="utf-8")) ==
            tomllib.loads((shipped / "targets.toml").read_text(encoding="utf-8")))


def test_the_targets_name_only_registry_kpis(tmp_path):
    folder = new_place(tmp_path)
    assert build(folder) == 0
    targets = tomllib.loads((folder / "targets.toml").read_text(encoding="utf-8"))["targets"]
    assert targets and set(targets) <= set(KPIS)
    assert all(set(t) == {"value", "sd"} and t["sd"] > 0 for t in targets.values())
    assert targets["delayed_bed_days"] == {"value": 54 * YEAR, "sd": 6 * YEAR}
    mapped = {kpi for kpi, _, _ in OBSERVED_KPIS.values() if kpi}
    assert set(OBSERVED_KPIS) == set(OBSERVED) and mapped <= set(KPIS)
    assert set(targets) == mapped
    skipped = (folder / "targets.toml").read_text(encoding="utf-8").split("skipped", 1)[1]
    assert all(f"observed.{name} =" in skipped
               for name, (kpi, _, _) in OBSERVED_KPIS.items() if kpi is None)


def test_a_rebuild_replaces_its_own_files_but_never_a_user_s(tmp_path, capsys):
    folder = new_place(tmp_path)
    assert build(folder) == 0 and build(folder) == 0
    mine = tmp_path / "mine.toml"
    mine.write_text("# my own config\n")
    assert build(folder, "--out", str(mine)) == 2
    assert "did not write it" in capsys.readouterr().err
    assert mine.read_text() == "# my own config\n"


# --- refusals ------------------------------------------------------------------------------
REFUSALS = {
    "bands do not sum to the 65+ total": (
        {"aged_65_74": "aged_65_74 = 39_698"},
        "population.aged_65_74 + aged_75_84 + aged_85_plus = 65,200 but "
        "population.aged_65_plus = 55,200: the age bands must sum to the 65+ total within 1%"),
    "only some bands": ({"aged_85_plus": ""}, "give all three age bands"),
    "more aged 65+ than residents": (
        {"residents_all_ages": "residents_all_ages = 50_000"},
        "population.aged_65_plus = 55,200 is more than population.residents_all_ages = 50,000"),
    "more living alone than in the band": (
        {"living_alone_85_plus": "living_alone_85_plus = 8_000"},
        "population.living_alone_85_plus = 8,000 is more than population.aged_85_plus = 7,176"),
    "acute occupancy above 100%": (
        {"acute_occupancy": "acute_occupancy = { value = 1.08, sd = 0.02 }"},
        "observed.acute_occupancy.value = 1.08: an occupancy is a share of beds, 0 to 1"),
    "care-home occupancy above 100%": (
        {"care_home_occupancy": "care_home_occupancy = { value = 1.2, sd = 0.02 }"},
        "observed.care_home_occupancy.value = 1.2: an occupancy"),
    "more care-home residents than beds": (
        {"care_home_residents": "care_home_residents = { value = 2_900, sd = 100 }"},
        "observed.care_home_residents.value = 2,900 is more than the care-home beds (2,150"),
    "contribution above the partner's budget": (
        {"scope": 'scope = ["home_care"]',
         "la_contribution_gbp_per_year": "la_contribution_gbp_per_year = 99e6"},
        "pool.la_contribution_gbp_per_year = 99,000,000 is more than the LA budget "
        "(budgets.la_gbp_per_year = 72,150,000) plus 3% headroom"),
    "contribution to a pool without services": (
        {"nhs_contribution_gbp_per_year": "nhs_contribution_gbp_per_year = 1e6"},
        "pool.nhs_contribution_gbp_per_year = 1,000,000 but pool.scope is empty"),
    "a service the model does not have": (
        {"scope": 'scope = ["home_care", "hospice"]'},
        "pool.scope[1] = 'hospice': not a service the model has; services: acute,"),
    "a negative figure": (
        {"hours_per_week": "hours_per_week = -30"},
        "home_care.hours_per_week = -30: Input should be greater than or equal to 0"),
    "a missing required figure": (
        {"aged_65_plus": ""}, "population.aged_65_plus: required figure is missing"),
    "a misspelt figure": (
        {"nhs_assessors": "nhs_asessors = 10"}, "assessment.nhs_asessors = 10: unknown figure"),
    "beds without the 65+ share": (
        {"share_of_bed_days_65_plus": ""}, "need share_of_bed_days_65_plus"),
    "an observed figure without its uncertainty": (
        {"home_care_clients": "home_care_clients = { value = 1_870 }"},
        "observed.home_care_clients.sd: required figure is missing"),
    "an observed figure as a bare number": (
        {"acute_occupancy": "acute_occupancy = 0.9"},
        "observed.acute_occupancy = 0.9: expected { value = ..., sd = ... }"),
    "an unknown observed figure": (
        {"spend_la_gbp": "spend_la_gbpx = { value = 1, sd = 1 }"},
        "observed.spend_la_gbpx: unknown observed figure"),
    "a figure of the wrong kind": (
        {"beds": 'beds = "sixty"'}, "intermediate_care.beds = 'sixty': Input should be a valid"),
}


@pytest.mark.parametrize("rule", REFUSALS)
def test_each_contradiction_is_refused_in_one_line(tmp_path, capsys, rule):
    changes, expected = REFUSALS[rule]
    folder = new_place(tmp_path)
    capsys.readouterr()
    edit(folder, changes)
    assert build(folder) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and expected in err[0], err
    assert err[0].startswith(str(folder / "place.toml"))
    assert sorted(p.name for p in folder.iterdir()) == ["place.toml"]   # nothing written


def test_several_problems_are_all_reported_at_once(tmp_path, capsys):
    chosen = ["bands do not sum to the 65+ total", "acute occupancy above 100%",
              "a negative figure", "a service the model does not have", "a misspelt figure"]
    folder = new_place(tmp_path)
    capsys.readouterr()
    for rule in chosen:
        edit(folder, REFUSALS[rule][0])
    assert build(folder) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == len(chosen)
    assert all(REFUSALS[rule][1] in err for rule in chosen)


# --- a built config runs -------------------------------------------------------------------
def test_a_built_config_runs(tmp_path):
    folder = tmp_path / "hamlet"
    folder.mkdir()
    (folder / "place.toml").write_text('name = "hamlet"\n[population]\naged_65_plus = 1_500\n')
    assert build(folder) == 0
    out = tmp_path / "run"
    assert cli.main(["run", str(folder / "hamlet.toml"), "--replications", "2", "--quiet",
                     "--set", "run.years=0.1", "--set", "run.warmup_days=5",
                     "--out", str(out)]) == 0
    assert (out / "kpis.parquet").exists()
