"""Every config field changes behaviour: a parametrised test over the schema.

For each leaf field the schema gives a probe value (and, where the field only acts under other
settings, those settings). The test runs a small place with the default and with the probe, in
the shipped config where the field is active, and requires some output to differ. Fields marked
as labels (names, descriptions) are reporting only and are listed explicitly. Most fields share
their base run (the same config), which is simulated once (:func:`tests.conftest.run_once`).
"""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.config import leaf_fields
from sim.schema_base import MOVES

from .conftest import DEFAULT_PEOPLE, place_overrides, run_once, small

PEOPLE = 3000
LABELS = {"name", "description", "funding.arrangement"}


def _extra(info) -> dict:
    return info.json_schema_extra or {}


FIELDS = [(path, info) for path, info in leaf_fields() if not _extra(info).get("label")]


def _hash(frame: pd.DataFrame) -> int:
    return int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0


#: KPIs of the accounts: money moved between funders or planned, not spent on care.
#: Who is on CHC is a funding status (who pays), not a journey: nobody moves when it changes.
ACCOUNT_KPIS = {"risk_share_nhs_gbp", "risk_share_la_gbp", "outcome_payment_gbp",
                "reinvested_gbp", "statutory_risk_days", "chc_eligible_per_50k",
                "chc_fast_track_per_50k"}


def _signature(res) -> dict[str, tuple]:
    """What a run's outputs say, by kind (sim.schema_base.MOVES): people's journeys (states,
    admissions, delays and their reasons), spending (cash and resource use) and the accounts
    (budget plans and balances, risk shares, outcome payments, funded capacity, the body
    answerable for each delay)."""
    daily, kpis = res.daily, res.kpis
    funded = daily["series"].str.startswith("funded:")
    money = kpis["kpi"].str.endswith("_gbp")
    books = kpis["kpi"].isin(ACCOUNT_KPIS)
    shifting = res.cost_shifting
    # delayed days by reason are journeys; which body is answerable for them (caused_by, who
    # commissions the service) is attribution, in the accounts. Rounded to a millionth of a
    # day: a payer change splits the same days into other rows, and summing them in another
    # order moves the last bits of the total (1e-13 days) without moving anyone
    delays = (shifting.groupby("reason", sort=True)["delayed_bed_days"].sum().round(6)
              .reset_index() if len(shifting) else shifting)
    answerable = (shifting[["reason", "caused_by", "bed_payer", "delayed_bed_days"]]
                  if len(shifting) else shifting)
    return {"journeys": (_hash(daily[~funded]), _hash(kpis[~money & ~books]), _hash(delays)),
            "spending": (_hash(res.monthly_costs), _hash(res.monthly_resource),
                         _hash(kpis[money & ~books])),
            "accounts": (_hash(res.budgets), _hash(daily[funded]), _hash(kpis[books]),
                         _hash(answerable))}


def _scaled(path: str, value):
    """Money and capacity values are scaled like the small place itself."""
    if path.endswith("_gbp_per_year"):
        return value * PEOPLE / DEFAULT_PEOPLE
    scaled = place_overrides(PEOPLE)
    if path in scaled and path != "population.size" and not path.startswith("run."):
        default = sim.load_config("fragmented")
        for key in path.split("."):
            default = getattr(default, key)
        # a capacity off by default (0) is scaled like the place itself
        value = (scaled[path] * value / default if default else value * PEOPLE / DEFAULT_PEOPLE)
        return max(1 if value else 0, round(value)) if isinstance(default, int) else value
    return value


def test_labels_are_the_only_fields_without_a_probe():
    labelled = {path for path, info in leaf_fields() if _extra(info).get("label")}
    assert labelled == LABELS
    missing = [path for path, info in FIELDS if "probe" not in _extra(info)]
    assert missing == []


@pytest.mark.parametrize("path,info", FIELDS, ids=[p for p, _ in FIELDS])
def test_every_field_moves_the_output_it_names(path, info):
    """Each field's probe moves the kind of output the schema says it moves (``moves``):
    journeys for most; spending only for prices and payers; the accounts only for fields that
    move a budget plan, a risk-share split or capacity nobody needed."""
    extra = _extra(info)
    config = {"all": "fragmented", "fragmented": "fragmented", "pooled": "pooled",
              "integrated": "integrated"}[
        extra.get("active_in", "all")]
    settings = {k.replace(".", "__"): _scaled(k, v)
                for k, v in extra.get("probe_with", {}).items()}
    if extra["moves"] != "journeys":
        # a price, payer or plan moves no journey only where no budget binds: give the LA a
        # budget the small place never rations at, unless the probe sets one (3,000 people
        # spend a little more per head than the default place, whose budget has ~6% room, so
        # the panel rations now and then and a price would move journeys through it)
        settings.setdefault("budgets__la_gbp_per_year", _scaled("budgets.la_gbp_per_year", 90e6))
    settings.setdefault("run__replications", 1)
    settings.setdefault("run__years", 0.6)
    base = small(config, people=PEOPLE, warmup_days=30.0, **settings)
    probe = _scaled(path, extra["probe"])
    changed = sim.with_overrides(base, {path: probe})
    assert changed != base, f"probe {probe!r} equals the value already set for {path}"
    before, after = _signature(run_once(base)), _signature(sim.run(changed, progress=False))
    moves = extra["moves"]
    moved = [kind for kind in MOVES if before[kind] != after[kind]]
    assert moves in moved, f"{path} = {probe!r} must move {moves}; it moved {moved or 'nothing'}"
    if moves != "journeys":      # a price, a payer or a plan: nobody's journey changes
        assert "journeys" not in moved, f"{path} = {probe!r} moved journeys: mark it so"


def test_place_scaling_covers_the_default_size():
    assert place_overrides(DEFAULT_PEOPLE)["acute.beds"] == sim.load_config("default").acute.beds
