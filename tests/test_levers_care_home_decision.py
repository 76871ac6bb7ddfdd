"""Arrangements decide deployment, evidence decides effect (issue 14): no shipped config sets
an effect size of the care-home decision lever differently from the schema's default, while
the integrated provider deploys more of it than the fragmented default."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim

CONFIGS = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "configs")
                 .glob("*.toml"))
#: Effect fields (evidence ranges in their descriptions): never set by an arrangement.
EFFECT_FIELDS = ("care_home_decision.avoided_care_home_share",)


def _value(cfg, path: str):
    for key in path.split("."):
        cfg = getattr(cfg, key)
    return cfg


@pytest.mark.parametrize("name", CONFIGS)
def test_no_shipped_config_sets_an_effect_size(name):
    default = sim.Scenario()
    cfg = sim.load_config(name)
    for path in EFFECT_FIELDS:
        assert _value(cfg, path) == _value(default, path), (name, path)


def test_the_integrated_provider_decides_more_care_homes_outside_hospital():
    share = "care_home_decision.assess_outside_hospital_share"
    assert _value(sim.load_config("integrated"), share) > \
        _value(sim.load_config("fragmented"), share)
