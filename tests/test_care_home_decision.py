"""Where the care-home decision is made (``care_home_decision.*``, issue 14): a share of
would-be care-home placements from an acute bed go to an intermediate-care bed first and are
assessed there; a share of those then go home with a package.

Small places (6,000 people, one year, seed 5) with the care-market mechanisms neutral and a
pathway split heavy in pathway 3, so that each run has over a hundred would-be placements to
count; care-home beds to spare, and intermediate-care beds to spare unless a test takes them
away. Tolerances come from the counts (binomial or Poisson standard deviations).
"""

from __future__ import annotations

import math

import pandas as pd

import sim
from sim.rng import Streams

from .conftest import small
from .test_journeys import ISOLATED

#: Discharge pathways 0-3 by frailty with many more pathway-3 discharges than the default
#: (10-25% against 0.5-5%), so that one small run has enough would-be placements to count.
P3_HEAVY = [[0.60, 0.28, 0.02, 0.10], [0.40, 0.45, 0.05, 0.10], [0.25, 0.50, 0.10, 0.15],
            [0.15, 0.50, 0.10, 0.25]]
AMPLE_IC_BEDS = 400          # never full at this place (peak use ~60)


def _run(share: float, avoided: float = 0.3, ic_beds: int = AMPLE_IC_BEDS, **overrides):
    cfg = small(people=6000, years=1.0, pathways__split_by_frailty=P3_HEAVY,
                care_homes__beds=800, intermediate_care__beds=ic_beds,
                care_home_decision__assess_outside_hospital_share=share,
                care_home_decision__avoided_care_home_share=avoided,
                **{**ISOLATED, **overrides})
    return sim.run(cfg, replications=1, seed=5, progress=False, event_log=True)


def _decisions(events: pd.DataFrame, detail: str) -> pd.DataFrame:
    return events[(events.kind == "care_home_decision") & (events.detail == detail)]


def _care_home_admissions(events: pd.DataFrame, sources=("hospital", "ic", "community")) -> int:
    return int(((events.kind == "care_home_admission") & events.detail.isin(sources)).sum())


def test_no_deployment_draws_nothing_and_leaves_the_model_as_it_was(monkeypatch):
    """Share 0: no draw from the lever's streams, no event, and the effect size moves nothing
    (the backtest, tests/test_backtest.py, holds the model itself)."""
    drawn: set[str] = set()
    uniform = Streams.person_uniform

    def spy(self, name, person):
        drawn.add(name)
        return uniform(self, name, person)

    monkeypatch.setattr(Streams, "person_uniform", spy)
    base = _run(0.0, avoided=0.3)
    assert not {"care_home_decision", "care_home_avoided"} & drawn
    assert "pathway" in drawn                       # the spy saw the run's draws
    assert not (base.events.kind == "care_home_decision").any()
    other = _run(0.0, avoided=0.9)
    pd.testing.assert_frame_equal(base.discharges, other.discharges)
    pd.testing.assert_frame_equal(base.kpis, other.kpis)


def test_deciding_outside_hospital_means_fewer_care_home_admissions_and_more_intermediate_care():
    """Every would-be placement sent to an intermediate-care bed: placements from hospital and
    intermediate care fall by about the number who went home instead (within 4 Poisson sd of
    the two counts), all care-home admissions fall, and intermediate-care discharges rise by
    about the number diverted."""
    none, full = _run(0.0), _run(1.0)
    diverted = len(_decisions(full.events, "diverted"))
    avoided = int((_decisions(full.events, "assessed").service == "home_care").sum())
    assert diverted > 100 and avoided > 20
    placed = [_care_home_admissions(r.events, ("hospital", "ic")) for r in (none, full)]
    fell = placed[0] - placed[1]
    assert fell > 0 and abs(fell - avoided) < 4 * math.sqrt(sum(placed)), (placed, avoided)
    assert _care_home_admissions(full.events) < _care_home_admissions(none.events)
    to_ic = [int(((r.events.kind == "discharge") & (r.events.service == "intermediate_care"))
                 .sum()) for r in (none, full)]
    rose = to_ic[1] - to_ic[0]
    assert abs(rose - diverted) < 4 * math.sqrt(sum(to_ic)), (to_ic, diverted)


def test_the_avoided_share_of_those_assessed_matches_the_effect_size():
    """With beds that never bind, the share of people assessed at the end of the stay who go
    home with a package is within 4 binomial sd of ``avoided_care_home_share``."""
    for avoided in (0.3, 0.7):
        res = _run(1.0, avoided=avoided)
        decided = _decisions(res.events, "assessed")
        n = len(decided)
        home = int((decided.service == "home_care").sum())
        assert n > 80
        assert abs(home / n - avoided) < 4 * math.sqrt(avoided * (1 - avoided) / n), \
            (avoided, home, n)


def test_with_one_intermediate_care_bed_the_diverted_wait_in_hospital():
    """Capacity binds: with a single intermediate-care bed hardly anyone diverted reaches a
    bed; they wait in their acute bed (pathway-2 delays many times longer, more delayed bed
    days) and most decondition onto a care home from hospital, so placements barely fall."""
    ample, one = _run(1.0), _run(1.0, ic_beds=1)
    n_ample = len(_decisions(ample.events, "assessed"))
    n_one = len(_decisions(one.events, "assessed"))
    assert len(_decisions(one.events, "diverted")) > 80
    assert n_one < 0.1 * n_ample, (n_one, n_ample)
    k_ample, k_one = (r.summary.set_index("kpi")["mean"] for r in (ample, one))
    assert k_one["mean_delay_p2_days"] > 5 * k_ample["mean_delay_p2_days"]
    assert k_one["delayed_bed_days"] > 2 * k_ample["delayed_bed_days"]
    from_hospital = [_care_home_admissions(r.events, ("hospital",)) for r in (ample, one)]
    assert from_hospital[1] > from_hospital[0] + 4 * math.sqrt(sum(from_hospital))


def test_the_integrated_provider_decides_more_care_homes_outside_hospital():
    """Deployment is the arrangement's (the effect field is guarded for every config by
    tests/test_evidence.py)."""
    integrated, fragmented = sim.load_config("integrated"), sim.load_config("fragmented")
    assert (integrated.care_home_decision.assess_outside_hospital_share
            > fragmented.care_home_decision.assess_outside_hospital_share)
