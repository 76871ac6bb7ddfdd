"""The synthetic population: people, their attributes, states and hazards.

People are stored as columns (numpy arrays indexed by a stable person id) rather than objects,
so that the initial population of hundreds of thousands is drawn in a few vectorised calls and
hazards are cheap to recompute. Person ids are assigned in a fixed order (initial population,
then each year's entrants), so the same seed gives the same people under every arrangement.

Hazards: published rates are population averages within each age band,
so the multipliers (frailty, living alone, readmission window, unmet need) are normalised within
each band at the start, and channels with their own rates (care-home residents, in-hospital
deaths) are taken out of the band total before the community rate is set.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np

from .config import Scenario
from .schema_base import YEAR


class State(IntEnum):
    """Where a person is. Every person alive is in exactly one state at every instant."""

    HOME = 0
    HOME_WAITING_CARE = 1
    HOME_CARE = 2
    REABLEMENT = 3
    IC_BED = 4
    ACUTE_BOARDING = 5
    ACUTE_TREATMENT = 6
    ACUTE_DELAYED = 7
    RESIDENTIAL = 8
    NURSING = 9
    DEAD = 10


# plain-int aliases for hot paths (IntEnum attribute access is slow in CPython 3.11)
(HOME, HOME_WAITING_CARE, HOME_CARE, REABLEMENT, IC_BED, ACUTE_BOARDING, ACUTE_TREATMENT,
 ACUTE_DELAYED, RESIDENTIAL, NURSING, DEAD) = range(11)

SETTING = {
    State.HOME: "community", State.HOME_WAITING_CARE: "community",
    State.HOME_CARE: "community", State.REABLEMENT: "community", State.IC_BED: "community",
    State.ACUTE_BOARDING: "acute", State.ACUTE_TREATMENT: "acute",
    State.ACUTE_DELAYED: "acute", State.RESIDENTIAL: "residential",
    State.NURSING: "residential", State.DEAD: "dead",
}
STATE_NAMES = [s.name.lower() for s in State]
COMMUNITY_AT_HOME = (State.HOME, State.HOME_WAITING_CARE, State.HOME_CARE)
CARE_HOME = (State.RESIDENTIAL, State.NURSING)
BAND_EDGES = (75.0, 85.0)


def band_of(age: np.ndarray | float):
    """Age band index: 0 = 65-74, 1 = 75-84, 2 = 85+ (relative to the band edges)."""
    return np.searchsorted(BAND_EDGES, age, side="right")


def weibull_shape_scale(median: float, mean: float) -> tuple[float, float]:
    """Weibull (shape k, scale lam) with the given median and mean (mean > median => k < 1..)."""
    target = mean / median
    lo, hi = 0.2, 3.5
    for _ in range(80):
        k = 0.5 * (lo + hi)
        ratio = math.gamma(1 + 1 / k) / math.log(2) ** (1 / k)
        if ratio > target:
            lo = k
        else:
            hi = k
    k = 0.5 * (lo + hi)
    return k, median / math.log(2) ** (1 / k)


class Population:
    """Columns of person attributes, growable as entrants arrive."""

    def __init__(self, capacity: int):
        self.n = 0
        self._alloc(capacity)

    def _alloc(self, capacity: int) -> None:
        def grow(name, dtype, fill):
            old = getattr(self, name, None)
            arr = np.full(capacity, fill, dtype=dtype)
            if old is not None:
                arr[: len(old)] = old
            setattr(self, name, arr)

        for name, dtype, fill in self.COLUMNS:
            grow(name, dtype, fill)
        self.capacity = capacity

    COLUMNS = (
        ("birth_time", np.float64, 0.0),       # day on which age = 0 (negative)
        ("band", np.int8, 0),
        ("frailty", np.int8, 0),
        ("alone", np.bool_, False),
        ("self_fund_care_home", np.bool_, False),
        ("self_fund_home_care", np.bool_, False),
        ("state", np.int8, State.DEAD),
        ("unmet", np.bool_, False),
        ("readmit_until", np.float64, -1.0),
        ("package_hours", np.float64, 0.0),
        ("care_home_since", np.float64, -1.0),
        ("case_managed", np.bool_, False),   # on a neighbourhood team's caseload
        ("zone", np.int16, -1),               # neighbourhood zone, drawn when first needed
        # journey facts (see sim.people, sim.placements)
        ("in_bed_since", np.float64, np.nan),            # in an acute bed since (NaN: not)
        ("last_discharge", np.float64, -np.inf),         # last left an acute bed at
        ("holds_package", np.bool_, False),              # holds home-care hours
        ("package_suspended_since", np.float64, np.nan),  # package held during a stay since
        ("interim", np.bool_, False),                    # discharged to assess, undecided
        ("care_home_kind", np.int8, -1),                 # RESIDENTIAL or NURSING place held
    )

    def add(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        """Append people; returns their ids."""
        k = len(columns["birth_time"])
        if self.n + k > self.capacity:
            self._alloc(max(2 * self.capacity, self.n + k))
        ids = np.arange(self.n, self.n + k)
        for name, values in columns.items():
            getattr(self, name)[ids] = values
        self.n += k
        return ids


def draw_people(cfg: Scenario, rng: np.random.Generator, n: int, t: float,
                entrants: bool) -> dict[str, np.ndarray]:
    """Draw ``n`` people's attributes at time t: the initial population or an entry cohort."""
    p = cfg.population
    min_age = float(p.min_age)
    if entrants:
        band = np.zeros(n, dtype=np.int8)
        age = np.full(n, min_age)
        frailty = rng.choice(4, size=n, p=p.entrant_frailty_split)
    else:
        band = rng.choice(3, size=n, p=p.band_shares).astype(np.int8)
        # ages spread evenly within 65-74 and 75-84 (they decide when a person moves up a
        # band); within 85+ nothing depends on age, so the oldest start at the band's edge
        lo = np.array([min_age, max(min_age, 75.0), max(min_age, 85.0)])[band]
        width = np.where(band == 2, 0.0, np.array([75.0, 85.0, 0.0])[band] - lo)
        width = np.maximum(width, 0.0)
        age = lo + rng.random(n) * width
        split = np.array(p.frailty_split_by_band)[band]
        frailty = (rng.random(n)[:, None] > np.cumsum(split, axis=1)).sum(axis=1)
        frailty = np.minimum(frailty, 3)
    band = band_of(age).astype(np.int8)
    alone = rng.random(n) < np.array(p.lives_alone_by_band)[band]
    return {
        "birth_time": t - age * YEAR,
        "band": band,
        "frailty": frailty.astype(np.int8),
        "alone": alone,
        "self_fund_care_home": rng.random(n) < p.self_funder_care_home_share,
        "self_fund_home_care": rng.random(n) < p.self_funder_home_care_share,
        "state": np.full(n, State.HOME, dtype=np.int8),
    }


def pick_initial_states(cfg: Scenario, rng: np.random.Generator, people: dict) -> None:
    """Place people in care homes and on home care at published prevalence, frailer first."""
    band, frailty = people["band"], people["frailty"]
    state = people["state"]
    n = len(band)
    ch_weight = np.array(cfg.home_care.to_care_home_frailty_ratio)[frailty]
    hc_weight = np.array(cfg.crisis.frailty_hazard_ratio)[frailty]
    for b in range(3):
        members = np.flatnonzero(band == b)
        if members.size == 0:
            continue
        for share, weight, chosen_state in (
            (cfg.care_homes.initial_share_by_band[b], ch_weight, None),
            (cfg.home_care.initial_share_by_band[b], hc_weight, State.HOME_CARE),
        ):
            free = members[state[members] == State.HOME]
            k = min(int(round(share * members.size)), free.size)
            if k == 0:
                continue
            w = weight[free] / weight[free].sum()
            pick = rng.choice(free, size=k, replace=False, p=w)
            if chosen_state is None:
                nursing_p = np.array(cfg.pathways.nursing_home_share_by_frailty)[frailty[pick]]
                nursing = rng.random(k) < nursing_p
                state[pick] = np.where(nursing, State.NURSING, State.RESIDENTIAL)
            else:
                state[pick] = chosen_state
    people["package_hours"] = np.where(state == State.HOME_CARE,
                                       package_hours(cfg.home_care, rng.random(n)), 0.0)


def package_hours(home_care, quantile):
    """Hours a week of home-care packages at the given quantiles (0-1) of their distribution.

    One distribution for starting clients and new packages alike: gamma with mean
    ``hours_per_week_mean`` and shape ``package_hours_shape``, in whole hours from 1 to
    ``max_package_hours_per_week``. Drawn by inversion, so a person's keyed uniform gives the
    same package under every arrangement.
    """
    from scipy.special import gammaincinv  # ~0.2 s to import: only once a population is built

    k = home_care.package_hours_shape
    hours = gammaincinv(k, quantile) * home_care.hours_per_week_mean / k
    return np.clip(np.round(hours), 1.0, home_care.max_package_hours_per_week)


class Hazards:
    """Per-person hazards (per day), normalised within age bands at the start of the run."""

    def __init__(self, cfg: Scenario, pop: Population):
        self.cfg = cfg
        c, m = cfg.crisis, cfg.mortality
        n = pop.n
        band = pop.band[:n]
        frailty = pop.frailty[:n]
        state = pop.state[:n]
        shares = np.bincount(band, minlength=3) / max(n, 1)
        rel = np.array(c.band_relative_rate)
        avoid = cfg.avoidance.share if cfg.avoidance.direct_access else 0.0
        self.crisis_frailty = np.array(c.frailty_hazard_ratio)
        self.death_frailty = np.array(m.frailty_hazard_ratio)
        band_crisis = c.rate_per_person_year * rel / max(float(shares @ rel), 1e-12)
        in_home = np.isin(state, [s.value for s in COMMUNITY_AT_HOME])
        nursing = state == State.NURSING
        residential = state == State.RESIDENTIAL
        ch_crisis = (c.residential_rate_per_year * residential
                     + c.nursing_rate_per_year * nursing) / (1 - avoid)
        ch_k, ch_lam = weibull_shape_scale(m.care_home_los_median_days, m.care_home_los_mean_days)
        self.care_home_shape, self.care_home_scale = ch_k, ch_lam
        mean_ch_los = m.care_home_los_mean_days
        ch_deaths = YEAR / mean_ch_los * (residential + nursing / m.nursing_los_ratio)
        readmit_share = band_crisis * c.readmission_window_days / YEAR
        self.crisis_norm = np.zeros(3)
        self.death_norm = np.zeros(3)
        for b in range(3):
            sel = band == b
            nb = sel.sum()
            if nb == 0:
                continue
            home = sel & in_home
            weights = self.crisis_frailty[frailty[home]] * np.where(
                pop.alone[:n][home], c.lives_alone_ratio, 1.0)
            readmit_factor = 1 + readmit_share[b] * (c.readmission_ratio - 1)
            community_crises = band_crisis[b] * nb - ch_crisis[sel].sum()
            denominator = max(weights.sum() * readmit_factor, 1e-12)
            self.crisis_norm[b] = max(community_crises, 0.1 * band_crisis[b] * nb) / denominator
            deaths = m.band_rate_per_1000[b] / 1000 * nb
            hospital_deaths = band_crisis[b] * (1 - avoid) * nb * \
                m.in_hospital_death_share_by_band[b]
            community_deaths = deaths - ch_deaths[sel].sum() - hospital_deaths
            community_deaths = max(community_deaths, 0.1 * deaths)
            d_weights = self.death_frailty[frailty[home]].sum()
            self.death_norm[b] = community_deaths / max(d_weights, 1e-12)
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

    def _length_of_stay_norm(self, pop: Population) -> float:
        """Mean of the stay ratios over admissions, so the average stay is los_mean_days."""
        n, a = pop.n, self.cfg.acute
        band, frailty = pop.band[:n], pop.frailty[:n]
        weight = self.crisis_frailty[frailty] * self.crisis_norm[band]
        ratio = np.array(a.los_frailty_ratio)[frailty] * np.array(a.los_band_ratio)[band]
        return float((weight * ratio).sum() / max(weight.sum(), 1e-12)) or 1.0

    def _tables(self):
        """Plain-list lookup tables for the hot path."""
        c, fr = self.cfg.crisis, self.cfg.frailty
        avoid = self.cfg.avoidance.share if self.cfg.avoidance.direct_access else 0.0
        self._crisis_base = [[float(self.crisis_norm[b] * self.crisis_frailty[f] / YEAR)
                              for f in range(4)] for b in range(3)]
        self._death_base = [[float(self.death_norm[b] * self.death_frailty[f] / YEAR)
                             for f in range(4)] for b in range(3)]
        self._care_home_crisis = {RESIDENTIAL: c.residential_rate_per_year / YEAR / (1 - avoid),
                                  NURSING: c.nursing_rate_per_year / YEAR / (1 - avoid)}
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

    def renormalise_deaths(self, pop: Population, other_deaths_by_band: np.ndarray) -> None:
        """Reset community death rates so each band's total stays at the published rate.

        ``other_deaths_by_band`` are last year's deaths through other routes (care homes,
        hospital, intermediate care). Called once a year, as the population ages and its
        frailty and care-home mix drift away from the start.
        """
        n = pop.n
        band, frailty, state = pop.band[:n], pop.frailty[:n], pop.state[:n]
        alive = state != DEAD
        community = np.isin(state, [HOME, HOME_WAITING_CARE, HOME_CARE, REABLEMENT])
        rates = np.array(self.cfg.mortality.band_rate_per_1000) / 1000
        for b in range(3):
            total = rates[b] * (alive & (band == b)).sum()
            target = max(total - other_deaths_by_band[b], 0.1 * total)
            weights = self.death_frailty[frailty[community & (band == b)]].sum()
            if weights > 0:
                self.death_norm[b] = target / weights
        self._death_base = [[float(self.death_norm[b] * self.death_frailty[f] / YEAR)
                             for f in range(4)] for b in range(3)]

    def rates(self, pop: Population, i: int, t: float) -> tuple[float, float, float, float]:
        """Hazards per day of person i: (crisis before season, death, frailty change, need).

        Crisis: community people at home (normalised band x frailty x living alone x unmet
        need x readmission window x case management) and care-home residents (their own
        rates). Death: community people (care homes and hospitals have their own routes).
        Need: a home-care referral for someone at home; a care-home referral or the end of the
        package for a client.
        """
        s = int(pop.state[i])
        b, f = int(pop.band[i]), int(pop.frailty[i])
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
            return self._care_home_crisis[s], 0.0, frailty, 0.0
        return 0.0, 0.0, frailty, 0.0

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
