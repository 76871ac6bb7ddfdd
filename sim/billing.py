"""Billing: every price and charging rule, in one place.

Journey code says *what happened* (a person was admitted, started a home-care package, moved
into a care home, switched payer); billing decides what it costs and who pays, and writes the
ledger (:mod:`sim.costs`). No journey module reads a ``*_gbp`` field.

Charging rules (DOMAIN.md section 6):

* acute and intermediate-care beds are block contracts (a funded bed costs the same empty or
  full); escalation beds are bought per day; an admission's spell cost and delayed days at the
  excess bed-day cost are *resource use*, not cash;
* reablement is free to the person (one cost per episode); urgent-response and district-nurse
  visits are paid by whoever pays for community nursing;
* home care: the public payer pays net of a client contribution share; a self-funder pays it
  all; an interim discharge-to-assess package is free to the person;
* care homes: a publicly funded resident contributes a weekly amount; a self-funder pays the
  self-funder price (``self_funder_price_ratio`` x the LA rate); the NHS pays Funded Nursing
  Care for every nursing resident and the whole fee under Continuing Healthcare (CHC); an
  interim place is free to the person until the decision;
* enhanced health in care homes is a yearly price per covered bed, paid by the NHS;
* who pays for a publicly funded service is the funding arrangement's business
  (:meth:`sim.funding.FundingRules.payer`): a commissioner, the pool or an integrated provider.

Who pays a package or a placement is carried as a :class:`Fees` value, never as a string with
meaning packed into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import simpy

from .config import Scenario
from .costs import Ledger
from .funding import FundingRules
from .schema_base import YEAR

if TYPE_CHECKING:   # pandas only types the budget table settled after the run
    import pandas as pd

DAYS_PER_WEEK = 7.0
WEEKS_PER_YEAR = YEAR / DAYS_PER_WEEK
BASES = ("means_tested", "self_funded", "chc", "fast_track", "interim")


@dataclass(frozen=True)
class Fees:
    """Who pays a package or a care-home place, and on what basis.

    ``payer`` is the body paying the public share (nhs, la, pool or provider), or ``self``
    for a self-funder. ``basis`` is ``means_tested`` (the person contributes), ``self_funded``,
    ``chc`` (NHS Continuing Healthcare: the full fee, not means-tested), ``fast_track``
    (fast-track CHC for a resident's last phase of life: the same, booked as fast track) or
    ``interim`` (discharge to assess before the decision: free to the person).
    """

    payer: str
    basis: str = "means_tested"

    def __post_init__(self):
        if self.basis not in BASES:
            raise ValueError(f"basis must be one of {BASES}, got {self.basis!r}")

    @property
    def is_self_funded(self) -> bool:
        return self.basis == "self_funded"

    @property
    def is_chc(self) -> bool:
        """Standard or fast-track CHC: the whole fee, paid by whoever pays for CHC."""
        return self.basis in ("chc", "fast_track")


def self_funded() -> Fees:
    """Fees of a self-funder."""
    return Fees("self", "self_funded")


class Billing:
    """Prices and charging rules of one scenario, writing cost episodes to the ledger."""

    def __init__(self, cfg: Scenario, rules: FundingRules, ledger: Ledger,
                 env: simpy.Environment):
        self.cfg, self.rules, self.ledger, self.env = cfg, rules, ledger, env
        self.episodes: dict[int, list[int]] = {}   # open episodes owned by each person
        self.care_home_fees: dict[int, Fees] = {}   # who pays each resident's fees now
        self.chc_eligible: set[int] = set()   # on standard CHC through sim.chc (in care or at home)
        self.fast_track_residents: set[int] = set()   # residents on fast-track CHC (end_of_life)

    # --- episodes owned by a person --------------------------------------------------------
    def _open(self, i: int, service: str, setting: str, payer: str, view: str,
              rate_per_day: float) -> int:
        ep = self.ledger.open(self.env.now, i, service, setting, payer, view, rate_per_day)
        self.episodes.setdefault(i, []).append(ep)
        return ep

    def _charge(self, i: int, service: str, setting: str, payer: str, views: tuple[str, ...],
                amount: float) -> None:
        for view in views:
            self.ledger.charge(self.env.now, i, service, setting, payer, view, amount)

    def stop(self, i: int, services: tuple[str, ...] | None = None) -> None:
        """Stop paying for person i's open episodes (all, or those of ``services``)."""
        if services is not None and "home_care" in services:
            services = (*services, "chc_home")   # a CHC package at home ends with the package
        keep = []
        for ep in self.episodes.pop(i, []):
            if services is None or self.ledger.service_of(ep) in services:
                self.ledger.close(ep, self.env.now)
            else:
                keep.append(ep)
        if keep:
            self.episodes[i] = keep

    # --- hospital ----------------------------------------------------------------------------
    def admission(self, i: int) -> None:
        """An emergency spell's normal stay (resource use, at the spell cost)."""
        self._charge(i, "acute", "acute", self.rules.payer("acute"), ("resource",),
                     self.cfg.costs.emergency_admission_gbp)

    def escalation_bed(self, i: int) -> None:
        """An escalation bed, bought per day while the person occupies it."""
        cost, payer = self.cfg.costs.escalation_bed_day_gbp, self.rules.payer("acute")
        self._open(i, "escalation", "acute", payer, "cash", cost)
        self._open(i, "escalation", "acute", payer, "resource", cost)

    def delayed_days(self, i: int, days: float) -> None:
        """Days from medically fit to leaving, at the excess bed-day cost (resource use)."""
        if days > 0:
            self._charge(i, "acute", "acute", self.rules.payer("acute"), ("resource",),
                         days * self.cfg.costs.excess_bed_day_gbp)

    def assessment(self, i: int, team: str, hours: float) -> None:
        """An assessment's assessor time (resource use: assessors are salaried, so no cash):
        a social worker's for the LA team, an NHS assessor's for the NHS team."""
        c = self.cfg.costs
        rate = c.social_worker_hour_gbp if team == "la" else c.nhs_assessor_hour_gbp
        self._charge(i, "assessment", "community", team, ("resource",), hours * rate)

    def chc_assessment(self, i: int) -> None:
        """A full CHC assessment's nurse and multidisciplinary time (resource use)."""
        cost = self.cfg.chc.full_assessment_hours * self.cfg.costs.nhs_assessor_hour_gbp
        self._charge(i, "assessment", "community", self.rules.payer("chc"), ("resource",), cost)

    def chc_review(self, i: int) -> None:
        """A yearly CHC review's nurse assessor time (resource use)."""
        cost = self.cfg.chc.review_hours * self.cfg.costs.nhs_assessor_hour_gbp
        self._charge(i, "assessment", "community", self.rules.payer("chc"), ("resource",), cost)

    # --- community health ------------------------------------------------------------------
    def urgent_response(self, i: int) -> None:
        """Urgent community response: district-nurse visits over the response days."""
        a = self.cfg.avoidance
        cost = a.visits_per_day * a.urgent_response_days * self.cfg.costs.district_nurse_visit_gbp
        self._charge(i, "community_nursing", "community", self.rules.payer("community_nursing"),
                     ("cash", "resource"), cost)

    def community_nursing_visits(self, i: int) -> None:
        """District-nurse visits after a discharge home with community nursing."""
        cost = self.cfg.pathways.community_nursing_visits * \
            self.cfg.costs.district_nurse_visit_gbp
        self._charge(i, "community_nursing", "community", self.rules.payer("community_nursing"),
                     ("cash", "resource"), cost)

    def reablement_episode(self, i: int) -> None:
        """A reablement episode, free to the person, at the cost per episode."""
        self._charge(i, "reablement", "community", self.rules.payer("reablement"),
                     ("cash", "resource"), self.cfg.reablement.episode_cost_gbp)

    def intermediate_care_stay(self, i: int) -> None:
        """Resource use of an intermediate-care bed while occupied (the cash is the block)."""
        self._open(i, "intermediate_care", "community", self.rules.payer("intermediate_care"),
                   "resource", self.cfg.intermediate_care.bed_day_cost_gbp)

    # --- end of life -----------------------------------------------------------------------
    def fast_track_chc(self, i: int) -> None:
        """Fast-track NHS Continuing Healthcare for a last phase of life: a package at home
        paid in full by whoever pays for CHC, by the week, until the person dies."""
        rate = self.cfg.end_of_life.fast_track_week_gbp / DAYS_PER_WEEK
        payer = self.rules.payer("chc")
        self._open(i, "chc_fast_track", "community", payer, "cash", rate)
        self._open(i, "chc_fast_track", "community", payer, "resource", rate)

    def end_of_life_block(self, slots: int) -> None:
        """The community end-of-life teams' caseload places, a block paid by whoever pays
        for community nursing (cash and resource)."""
        if slots:
            daily = slots * self.cfg.end_of_life.slot_cost_gbp_per_year / YEAR
            payer = self.rules.payer("community_nursing")
            for view in ("cash", "resource"):
                self.ledger.open(self.env.now, -1, "end_of_life", "community", payer, view,
                                 daily)

    # --- home care ---------------------------------------------------------------------------
    def home_care(self, i: int, hours_per_week: float, fees: Fees) -> None:
        """A package's cost episodes: resource use, and cash split between payer and client;
        under CHC the whole package at the CHC price at home, paid by whoever pays CHC."""
        hc = self.cfg.home_care
        if fees.is_chc:
            rate = self.cfg.chc.home_week_gbp / DAYS_PER_WEEK
            self._open(i, "chc_home", "community", fees.payer, "cash", rate)
            self._open(i, "chc_home", "community", fees.payer, "resource", rate)
            return
        daily = hours_per_week * hc.hour_cost_gbp / DAYS_PER_WEEK
        self._open(i, "home_care", "community", self.rules.payer("home_care"), "resource", daily)
        if fees.is_self_funded:
            self._open(i, "home_care", "community", "self", "cash", daily)
        elif fees.basis == "interim":
            self._open(i, "home_care", "community", fees.payer, "cash", daily)
        else:
            share = hc.client_contribution_share
            self._open(i, "home_care", "community", fees.payer, "cash", daily * (1 - share))
            self._open(i, "home_care", "community", "self", "cash", daily * share)

    # --- care homes --------------------------------------------------------------------------
    def care_home(self, i: int, nursing: bool, fees: Fees) -> None:
        """A care-home place's fees: CHC, or the LA rate less FNC with the client's share."""
        ch = self.cfg.care_homes
        self.care_home_fees[i] = fees
        fee = (ch.nursing_week_gbp if nursing else ch.residential_week_gbp) / DAYS_PER_WEEK
        fnc = ch.fnc_week_gbp / DAYS_PER_WEEK if nursing else 0.0
        if fees.is_chc:
            rate = self.cfg.chc.week_gbp / DAYS_PER_WEEK
            service = "chc_fast_track" if fees.basis == "fast_track" else "chc"
            self._open(i, service, "residential", fees.payer, "cash", rate)
            self._open(i, service, "residential", fees.payer, "resource", rate)
            return
        self._open(i, "care_home", "residential", self.rules.payer("care_home"), "resource",
                   fee - fnc)
        if fnc:
            fnc_payer = self.rules.payer("chc")
            self._open(i, "fnc", "residential", fnc_payer, "cash", fnc)
            self._open(i, "fnc", "residential", fnc_payer, "resource", fnc)
        if fees.basis == "interim":
            self._open(i, "care_home", "residential", fees.payer, "cash", fee - fnc)
        elif fees.is_self_funded:
            self._open(i, "care_home", "residential", "self", "cash",
                       fee * ch.self_funder_price_ratio - fnc)
        else:
            contribution = min(ch.client_contribution_week_gbp / DAYS_PER_WEEK, fee - fnc)
            self._open(i, "care_home", "residential", fees.payer, "cash",
                       fee - fnc - contribution)
            self._open(i, "care_home", "residential", "self", "cash", contribution)

    def switch_care_home_fees(self, i: int, nursing: bool, fees: Fees) -> None:
        """The payer of a resident's fees changes (decision, dispute settled, spend-down)."""
        self.stop(i, ("care_home", "chc", "chc_fast_track", "fnc"))
        self.care_home(i, nursing, fees)

    def leave_care_home(self, i: int) -> None:
        """Forget a resident's fees (they have been stopped with the person's episodes)."""
        self.care_home_fees.pop(i, None)

    # --- block contracts and the fund ----------------------------------------------------------
    def acute_block(self, beds: float) -> int:
        """The acute block contract for ``beds`` funded beds from now; returns its episode."""
        return self.ledger.open(self.env.now, -1, "acute", "acute", self.rules.payer("acute"),
                                "cash", beds * self.cfg.costs.acute_bed_day_gbp)

    def end_block(self, episode: int) -> None:
        """Stop paying a block contract (a smaller one replaces it)."""
        self.ledger.close(episode, self.env.now)

    def intermediate_care_block(self, beds: float, payer: str | None = None) -> None:
        """Funded intermediate-care beds, paid as a block occupied or empty."""
        if beds:
            self.ledger.open(self.env.now, -1, "intermediate_care", "community",
                             payer or self.rules.payer("intermediate_care"), "cash",
                             beds * self.cfg.intermediate_care.bed_day_cost_gbp)

    def frailty_unit(self, slots_per_day: int) -> None:
        """The front-door frailty team's daily slots, a block paid by the acute payer."""
        daily = slots_per_day * self.cfg.frailty_unit.cost_per_assessment_gbp
        if daily:
            for view in ("cash", "resource"):
                self.ledger.open(self.env.now, -1, "frailty_unit", "acute",
                                 self.rules.payer("acute"), view, daily)

    def virtual_ward(self, beds: int) -> None:
        """Virtual-ward places, a block paid by the acute payer (the NHS, or a provider that
        holds the acute budget; an alternative to an acute bed, commissioned as such, and so
        outside a pool that was not given money for it), used or not (cash and resource)."""
        daily = beds * self.cfg.virtual_ward.cost_per_bed_day_gbp
        if daily:
            payer = self.rules.payer("acute")
            for view in ("cash", "resource"):
                self.ledger.open(self.env.now, -1, "virtual_ward", "community", payer, view,
                                 daily)

    def case_management(self, places: float, payer: str) -> None:
        """Neighbourhood case-management places, paid as a block (cash and resource)."""
        n = self.cfg.neighbourhood
        daily = places * n.team_cost_gbp_per_year / max(n.caseload_per_team, 1) / YEAR
        for view in ("cash", "resource"):
            self.ledger.open(self.env.now, -1, "case_management", "community", payer, view, daily)

    def care_home_support(self, beds: float) -> None:
        """Enhanced health in care homes for ``beds`` covered beds: a yearly price per bed, paid
        by the NHS as a block (cash and resource; the PCN DES and the MDT's time are NHS
        money outside any pool or capitation)."""
        daily = beds * self.cfg.care_home_support.cost_per_bed_per_year_gbp / YEAR
        for view in ("cash", "resource"):
            self.ledger.open(self.env.now, -1, "care_home_support", "residential", "nhs", view,
                             daily)

    def neighbourhood_teams(self, teams: int) -> None:
        """The zone teams' block contract, paid by whoever pays for community nursing."""
        daily = teams * self.cfg.neighbourhood.team_cost_gbp_per_year / YEAR
        payer = self.rules.payer("community_nursing")
        for view in ("cash", "resource"):
            self.ledger.open(self.env.now, -1, "case_management", "community", payer, view, daily)

    def fund_governance(self) -> None:
        """The running cost of a pooled fund (or a provider's contract), paid from the fund."""
        cost = self.cfg.funding.pool.governance_cost_gbp_per_year
        if cost > 0:
            for view in ("cash", "resource"):
                self.ledger.open(self.env.now, -1, "pool_governance", "governance",
                                 self.rules.fund, view, cost / YEAR)

    def outcome_payment(self, t: float, funder: str, amount: float) -> None:
        """An outcome payment from a funder to the fund holder (a transfer, not spend)."""
        self.ledger.charge(t, -1, "outcome_payment", "governance", funder, "transfer", amount)

    def units_bought(self, amount_gbp_per_year: float, target: str) -> float:
        """Recurrent capacity a yearly amount buys at unit cost: home-care hours a week,
        reablement places, intermediate-care beds or case-management places (whole units)."""
        cfg = self.cfg
        if target == "home_care":
            return amount_gbp_per_year / (cfg.home_care.hour_cost_gbp * WEEKS_PER_YEAR)
        if target == "reablement":
            episodes_per_place = YEAR / cfg.reablement.duration_mean_days
            return float(int(amount_gbp_per_year
                             / (cfg.reablement.episode_cost_gbp * episodes_per_place)))
        if target == "intermediate_care":
            return float(int(amount_gbp_per_year / (cfg.intermediate_care.bed_day_cost_gbp * YEAR)))
        n = cfg.neighbourhood
        per_place = n.team_cost_gbp_per_year / max(n.caseload_per_team, 1)
        return float(int(amount_gbp_per_year / per_place))


# --- the pool's year end -----------------------------------------------------------------------
def risk_share_nhs(rules: FundingRules, year_index: int) -> float:
    """The NHS's share of the pool's over- or underspend in a financial year.

    ``proportional``: what each funder actually contributed that year (an amount or a share of
    its budget, after yearly changes and withheld outcome payments); ``fixed``: the configured
    share; ``host``: all to the host.
    """
    pool = rules.cfg.funding.pool
    if pool.risk_share == "fixed":
        return pool.nhs_fixed_share
    if pool.risk_share == "host":
        return 1.0 if pool.host == "nhs" else 0.0
    nhs, la = (rules.contributed(f, year_index) for f in ("nhs", "la"))
    return nhs / (nhs + la) if nhs + la > 0 else 0.5


def settle_pool_years(table: pd.DataFrame, rules: FundingRules) -> None:
    """At each whole financial year's end, split the pool's balance between the funders.

    ``table`` is the monthly budget table (month, funder, balance_ytd_gbp, year_end ...); the
    funders' ``risk_share_gbp`` is set on the month that closes each financial year: a top-up
    (+) of an overspend or a refund (-) of an underspend. A year the run ends inside is not
    settled: its balance stays open. An integrated provider on a capitated budget keeps its own
    surplus or deficit, so nothing is split.
    """
    if not rules.scope or rules.fund != "pool":
        return
    pool = table[(table["funder"] == "pool") & table["year_end"]]
    for row in pool.itertuples():
        overspend = -float(row.balance_ytd_gbp)
        nhs_share = risk_share_nhs(rules, int(row.year))
        for funder, share in (("nhs", nhs_share), ("la", 1 - nhs_share)):
            sel = (table["funder"] == funder) & (table["month"] == row.month)
            table.loc[sel, "risk_share_gbp"] = overspend * share
