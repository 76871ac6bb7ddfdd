"""Per-person hazards: crises, deaths, frailty changes and new care needs, per day.

Published rates are population averages within each age band, so the multipliers (frailty,
living alone, readmission window, unmet need) are normalised within each band at the start,
and channels with their own rates (care-home residents, in-hospital deaths) are taken out of
the band total before the community rate is set. The residents' rates taken out are the
configured ones, without enhanced health in care homes: the support (:mod:`sim.care_home_support`)
then cuts a covered resident's own rate, so it removes crises rather than moving them to people
at home. The extra crises of a last phase of life (:mod:`sim.end_of_life`: a raised hazard in
the phase and a terminal crisis) are inside the published totals too, so their expected number
is taken out before the rates are set: out of each band's community total for the community's
phases, out of the residents' own rate for theirs (``Hazards._resident_phase_factor``).
:class:`Hazards` turns a person's columns into their four rates; :mod:`sim.hazard_clocks` turns
rates into events.
"""

from __future__ import annotations

import math

import numpy as np

from .config import Scenario
from .population import (
    COMMUNITY_AT_HOME,
    DEAD,
    HOME,
    HOME_CARE,
    HOME_WAITING_CARE,
    NURSING,
    REABLEMENT,
    RESIDENTIAL,
    Population,
    State,
    weibull_shape_scale,
)
from .schema_base import YEAR


def per_day_table(norm: np.ndarray, frailty_ratio: np.ndarray) -> list[list[float]]:
    """Plain-list [band][frailty] rates per day from a band's normaliser (per year) and the
    frailty hazard ratios: the hot path's lookup table."""
    return [[float(norm[b] * frailty_ratio[f] / YEAR) for f in range(4)] for b in range(3)]


class Hazards:
    """Per-person hazards (per day), normalised within age bands at the start of the run."""

    def __init__(self, cfg: Scenario, pop: Population):
        self.cfg = cfg
        c, m = cfg.crisis, cfg.mortality
        n = pop.n
        band = pop.column("band")
        frailty = pop.column("frailty")
        state = pop.column("state")
        shares = np.bincount(band, minlength=3) / max(n, 1)
        rel = np.array(c.band_relative_rate)
        self.crisis_frailty = np.array(c.frailty_hazard_ratio)
        self.death_frailty = np.array(m.frailty_hazard_ratio)
        # crises per person-year in each band: the published rates, fixed at the start
        self.band_crisis = c.rate_per_person_year * rel / max(float(shares @ rel), 1e-12)
        ch_k, ch_lam = weibull_shape_scale(m.care_home_los_median_days, m.care_home_los_mean_days)
        self.care_home_shape, self.care_home_scale = ch_k, ch_lam
        avoid = cfg.avoidance.share if cfg.avoidance.direct_access else 0.0
        self.resident_phase_factor = {RESIDENTIAL: self._resident_phase_factor(False, avoid),
                                      NURSING: self._resident_phase_factor(True, avoid)}
        self.crisis_norm, self.death_norm = self._band_norms(pop, frailty,
                                                             np.ones(n, dtype=bool))
        self.onset = np.array(cfg.frailty.onset_per_1000_py_by_band) / 1000 / YEAR
        referral = cfg.home_care.community_referral_per_year_by_frailty
        self.referral = np.array(referral) / YEAR
        ch_ratio = np.array(cfg.home_care.to_care_home_frailty_ratio)
        hc_frailty = frailty[state == State.HOME_CARE]
        mean_ratio = ch_ratio[hc_frailty].mean() if hc_frailty.size else 1.0
        self.to_care_home = cfg.home_care.to_care_home_per_year / YEAR * ch_ratio / mean_ratio
        # a new care need is likelier with age; normalised over who is exposed at the start
        band_ratio = np.array(cfg.home_care.need_band_ratio)
        at_home, on_care = state == State.HOME, state == State.HOME_CARE
        self.referral_band = band_ratio / (band_ratio[band[at_home]].mean()
                                           if at_home.any() else 1.0)
        self.to_care_home_band = band_ratio / (band_ratio[band[on_care]].mean()
                                               if on_care.any() else 1.0)
        self.los_norm = self._length_of_stay_norm(pop)
        self._tables()

    def _band_norms(self, pop: Population, frailty: np.ndarray,
                    alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(crisis, death) normalisers per band: each band's crises and deaths at its
        published rate, given who is alive, where they are and ``frailty`` (the weights)."""
        cfg, c, m = self.cfg, self.cfg.crisis, self.cfg.mortality
        band, state = pop.column("band"), pop.column("state")
        avoid = cfg.avoidance.share if cfg.avoidance.direct_access else 0.0
        band_crisis = self.band_crisis
        in_home = np.isin(state, [s.value for s in COMMUNITY_AT_HOME])
        nursing = state == State.NURSING
        residential = state == State.RESIDENTIAL
        ch_crisis = (c.residential_rate_per_year * residential
                     + c.nursing_rate_per_year * nursing) / (1 - avoid)
        mean_ch_los = m.care_home_los_mean_days
        ch_deaths = YEAR / mean_ch_los * (residential + nursing / m.nursing_los_ratio)
        readmit_share = band_crisis * c.readmission_window_days / YEAR
        eol = cfg.end_of_life
        crisis_norm, death_norm = np.zeros(3), np.zeros(3)
        for b in range(3):
            sel = alive & (band == b)
            nb = sel.sum()
            if nb == 0:
                continue
            home = sel & in_home
            deaths = m.band_rate_per_1000[b] / 1000 * nb
            hospital_deaths = band_crisis[b] * (1 - avoid) * nb * \
                m.in_hospital_death_share_by_band[b]
            community_deaths = deaths - ch_deaths[sel].sum() - hospital_deaths
            community_deaths = max(community_deaths, 0.1 * deaths)
            d_weights = self.death_frailty[frailty[home]]
            death_norm[b] = community_deaths / max(d_weights.sum(), 1e-12)
            weights = self.crisis_frailty[frailty[home]] * np.where(
                pop.column("alone")[home], c.lives_alone_ratio, 1.0)
            readmit_factor = 1 + readmit_share[b] * (c.readmission_ratio - 1)
            # a phase begins at a death-clock ring (share recognised_share), so among people
            # whose phase begins the crisis weights are death-hazard weighted; its crises are
            # all admissions (none avoided), so they count 1 / (1 - avoid) crises each
            phases = eol.recognised_share * community_deaths
            dying_weight = float(d_weights @ weights) / max(d_weights.sum(), 1e-12)
            raised = phases * (eol.crisis_hazard_ratio - 1) * eol.phase_mean_days / YEAR
            community_crises = (band_crisis[b] * nb - ch_crisis[sel].sum()
                                - phases * eol.terminal_crisis_share / (1 - avoid))
            denominator = max((weights.sum() + raised * dying_weight / (1 - avoid))
                              * readmit_factor, 1e-12)
            crisis_norm[b] = max(community_crises, 0.1 * band_crisis[b] * nb) / denominator
        return crisis_norm, death_norm

    def _resident_phase_factor(self, nursing: bool, avoid: float) -> float:
        """Share of a resident's configured crisis rate left outside a last phase of life.

        A resident's phase (:func:`sim.end_of_life.care_home_stay`) is the last
        ``min(phase, stay)`` days of a Weibull stay that ends in death, with the crisis hazard
        raised by ``crisis_hazard_ratio`` and a terminal crisis at share
        ``care_home_terminal_crisis_share``. The configured rate (admissions per resident-year)
        holds those crises too, so the rate outside the phase is scaled by this factor f:
        ``f c + q s ((r - 1) f c E / (YEAR (1 - a)) + t) = c``, with q deaths per resident-year
        (one per mean stay), s the recognised share, r the ratio, E the mean phase in days, t
        the terminal share and a the avoided share of ordinary crises (the phase's are not
        avoided, and the rates are raised by 1 / (1 - a) for the avoided ones).
        """
        eol, m, c = self.cfg.end_of_life, self.cfg.mortality, self.cfg.crisis
        rate = c.nursing_rate_per_year if nursing else c.residential_rate_per_year
        share = eol.care_home_recognised_share
        if share <= 0 or rate <= 0:
            return 1.0
        ratio = m.nursing_los_ratio if nursing else 1.0
        deaths_per_year = YEAR / (m.care_home_los_mean_days * ratio)
        scale = self.care_home_scale * ratio
        grid = np.linspace(0.0, 20 * max(scale, eol.phase_mean_days), 20_001)
        mean_phase = float(np.trapezoid(np.exp(-grid / eol.phase_mean_days
                                               - (grid / scale) ** self.care_home_shape), grid))
        raised = deaths_per_year * share * (eol.crisis_hazard_ratio - 1) * mean_phase / YEAR \
            / (1 - avoid)
        left = rate - deaths_per_year * share * eol.care_home_terminal_crisis_share
        return max(left / (rate * (1 + raised)), 0.1)

    def _length_of_stay_norm(self, pop: Population, frailty: np.ndarray | None = None,
                             alive: np.ndarray | None = None) -> float:
        """Mean of the stay ratios over admissions, so the average stay is los_mean_days
        (``frailty`` and ``alive`` as in :meth:`_band_norms`; default: the columns, everyone)."""
        a = self.cfg.acute
        band = pop.column("band")
        frailty = pop.column("frailty") if frailty is None else frailty
        weight = self.crisis_frailty[frailty] * self.crisis_norm[band]
        if alive is not None:
            weight = weight * alive
        ratio = np.array(a.los_frailty_ratio)[frailty] * np.array(a.los_band_ratio)[band]
        return float((weight * ratio).sum() / max(weight.sum(), 1e-12)) or 1.0

    def _tables(self):
        """Plain-list lookup tables for the hot path."""
        c, fr = self.cfg.crisis, self.cfg.frailty
        avoid = self.cfg.avoidance.share if self.cfg.avoidance.direct_access else 0.0
        self._crisis_base = per_day_table(self.crisis_norm, self.crisis_frailty)
        self._death_base = per_day_table(self.death_norm, self.death_frailty)
        factor = self.resident_phase_factor     # the rest is in residents' last phases
        self._care_home_crisis = {
            RESIDENTIAL: c.residential_rate_per_year / YEAR / (1 - avoid) * factor[RESIDENTIAL],
            NURSING: c.nursing_rate_per_year / YEAR / (1 - avoid) * factor[NURSING]}
        # enhanced health in care homes (sim.care_home_support): a covered resident's rate
        support = self.cfg.care_home_support
        self._support_coverage = support.coverage
        self._supported_crisis = {s: rate * (1 - support.crisis_reduction)
                                  for s, rate in self._care_home_crisis.items()}
        self._up = [[float(self.onset[b]) if f == 0 else (fr.worsen_per_year / YEAR
                     if f < 3 else 0.0) for f in range(4)] for b in range(3)]
        self._down = [fr.improve_per_year / YEAR if f > 0 else 0.0 for f in range(4)]
        self._referral = [[float(self.referral[f] * self.referral_band[b]) for f in range(4)]
                          for b in range(3)]
        self._to_care_home = [[float(self.to_care_home[f] * self.to_care_home_band[b])
                               for f in range(4)] for b in range(3)]
        self._package_end = self.cfg.home_care.package_end_per_year / YEAR
        self._alone, self._unmet = c.lives_alone_ratio, c.unmet_need_ratio
        self._readmit = c.readmission_ratio
        self._managed = self.cfg.neighbourhood.crisis_hazard_ratio

    def renormalise_crises(self, pop: Population) -> None:
        """Reset community crisis rates and the treatment-stay normaliser so each band's
        crises per person and the mean treatment stay stay at their published values as the
        population's frailty drifts (the onset and worsening rates make it frailer than the
        start's prevalence). Frailty added by harm from delay is left out of the weights, so
        fewer delays still mean fewer crises and shorter stays. Called once a year."""
        natural = np.maximum(pop.column("frailty") - pop.column("harm_steps"), 0)
        alive = pop.column("state") != DEAD
        self.crisis_norm, _ = self._band_norms(pop, natural, alive)
        self.los_norm = self._length_of_stay_norm(pop, natural, alive)
        self._crisis_base = per_day_table(self.crisis_norm, self.crisis_frailty)

    def renormalise_deaths(self, pop: Population, other_deaths_by_band: np.ndarray) -> None:
        """Reset community death rates so each band's total stays at the published rate.

        ``other_deaths_by_band`` are last year's deaths through other routes (care homes,
        hospital, intermediate care). Called once a year, as the population ages and its
        frailty and care-home mix drift away from the start.
        """
        band, frailty, state = pop.column("band"), pop.column("frailty"), pop.column("state")
        alive = state != DEAD
        community = np.isin(state, [HOME, HOME_WAITING_CARE, HOME_CARE, REABLEMENT])
        rates = np.array(self.cfg.mortality.band_rate_per_1000) / 1000
        for b in range(3):
            total = rates[b] * (alive & (band == b)).sum()
            target = max(total - other_deaths_by_band[b], 0.1 * total)
            weights = self.death_frailty[frailty[community & (band == b)]].sum()
            if weights > 0:
                self.death_norm[b] = target / weights
        self._death_base = per_day_table(self.death_norm, self.death_frailty)

    def rates(self, pop: Population, i: int, t: float) -> tuple[float, float, float, float]:
        """Hazards per day of person i: (crisis before season, death, frailty change, need).

        Crisis: community people at home (normalised band x frailty x living alone x unmet
        need x readmission window x case management) and care-home residents (their own
        rates, cut for a resident of a supported home). Death: community people (care homes
        and hospitals have their own routes). Need: a home-care referral for someone at home;
        a care-home referral or the end of the package for a client.
        """
        s, b, f = pop.state[i], pop.band[i], pop.frailty[i]
        frailty = self._up[b][f] + self._down[f]
        if s <= HOME_CARE:
            h = self._crisis_base[b][f]
            if pop.alone[i]:
                h *= self._alone
            if pop.unmet[i]:
                h *= self._unmet
            if pop.readmit_until[i] > t:
                h *= self._readmit
            if pop.case_managed[i]:
                h *= self._managed
            if s == HOME:
                need = self._referral[b][f]
            elif s == HOME_CARE:
                need = self._to_care_home[b][f] + self._package_end
            else:
                need = 0.0
            return h, self._death_base[b][f], frailty, need
        if s == REABLEMENT:
            return 0.0, self._death_base[b][f], frailty, 0.0
        if s == RESIDENTIAL or s == NURSING:
            return self._resident_crisis(pop, i, s), 0.0, frailty, 0.0
        return 0.0, 0.0, frailty, 0.0

    def rates_of(self, pop: Population, ids: np.ndarray, t: float) -> np.ndarray:
        """:meth:`rates` of many people at once, one row each: the same products in the same
        order, element by element in numpy, so the same doubles (the start, the yearly
        reviews of 60,000 to 200,000 people)."""
        def column(name):
            return pop.column(name)[ids]

        s, b, f = column("state"), column("band"), column("frailty")
        frailty = np.array(self._up)[b, f] + np.array(self._down)[f]
        crisis = np.array(self._crisis_base)[b, f]
        for flag, ratio in ((column("alone"), self._alone), (column("unmet"), self._unmet),
                            (column("readmit_until") > t, self._readmit),
                            (column("case_managed"), self._managed)):
            crisis = np.where(flag, crisis * ratio, crisis)
        community = s <= HOME_CARE
        crisis = np.where(community, crisis, 0.0)
        supported = column("care_home_support_draw") < self._support_coverage
        for kind in (RESIDENTIAL, NURSING):
            crisis = np.where(s == kind, np.where(supported, self._supported_crisis[kind],
                                                  self._care_home_crisis[kind]), crisis)
        death = np.where(community | (s == REABLEMENT), np.array(self._death_base)[b, f], 0.0)
        need = np.where(s == HOME, np.array(self._referral)[b, f], 0.0)
        need = np.where(s == HOME_CARE, np.array(self._to_care_home)[b, f] + self._package_end,
                        need)
        return np.column_stack([crisis, death, frailty, need])

    def _resident_crisis(self, pop: Population, i: int, kind) -> float:
        """Crisis hazard per day of resident i in a care home of ``kind``: cut in a home with
        enhanced health in care homes."""
        if pop.care_home_support_draw[i] < self._support_coverage:   # NaN: not drawn
            return self._supported_crisis[kind]
        return self._care_home_crisis[kind]

    def care_home_crisis_rate(self, pop: Population, i: int) -> float:
        """Crisis hazard per day of resident i in their care home (wherever they are now)."""
        kind = int(pop.care_home_kind[i])
        if kind not in self._care_home_crisis:
            return 0.0
        return self._resident_crisis(pop, i, kind)

    def frailty_change(self, pop: Population, i: int) -> tuple[float, float]:
        """(worsen, improve) hazards per day."""
        f = int(pop.frailty[i])
        return self._up[int(pop.band[i])][f], self._down[f]

    def care_home_share_of_need(self, pop: Population, i: int) -> float:
        """Share of a home-care client's need hazard that is a care-home referral."""
        to_ch = self._to_care_home[int(pop.band[i])][int(pop.frailty[i])]
        return to_ch / (to_ch + self._package_end) if to_ch + self._package_end > 0 else 0.0

    def care_home_remaining_days(self, u: float, elapsed_days: float, nursing: bool) -> float:
        """Remaining care-home stay given uniform u and days already spent (Weibull)."""
        scale = self.care_home_scale * (self.cfg.mortality.nursing_los_ratio if nursing else 1.0)
        k = self.care_home_shape
        h0 = (elapsed_days / scale) ** k
        return scale * (h0 - math.log(u)) ** (1 / k) - elapsed_days

    def equilibrium_elapsed(self, rng: np.random.Generator, n: int, nursing: np.ndarray):
        """Days already spent in a care home by residents of a steady-state home."""
        grid = np.linspace(0, 20 * self.care_home_scale, 4001)
        k = self.care_home_shape
        out = np.empty(n)
        for flag in (False, True):
            sel = nursing == flag
            scale = self.care_home_scale * (self.cfg.mortality.nursing_los_ratio if flag else 1)
            survival = np.exp(-((grid / scale) ** k))
            cdf = np.concatenate([[0], np.cumsum((survival[1:] + survival[:-1]) / 2)])
            cdf /= cdf[-1]
            out[sel] = np.interp(rng.random(sel.sum()), cdf, grid)
        return out
