"""The synthetic population: people, their attributes and states.

People are stored as columns indexed by a stable person id rather than objects: drawn in a few
vectorised numpy calls, then kept as plain lists that journey code reads one person at a time
(see :class:`Population`). Person ids are assigned in a fixed order (initial population, then
each year's entrants), so the same seed gives the same people under every arrangement. Their
hazards are in :mod:`sim.hazards`.
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
    """Columns of person attributes, growable as entrants arrive.

    Each column is a plain Python list indexed by person id: journey code reads and writes one
    person at a time, and list items are native ints, floats and bools, several times faster
    to read, compare and do arithmetic on than numpy scalars. Vectorised code (the start, the
    yearly mortality review, results) takes a numpy copy with :meth:`column`.
    """

    def __init__(self, capacity: int):
        self.n = 0
        self.package_holders: set[int] = set()   # ids with holds_package True (kept beside it)
        self.capacity = 0
        self._alloc(capacity)

    def _alloc(self, capacity: int) -> None:
        for name, _dtype, fill in self.COLUMNS:
            column = getattr(self, name, [])
            column.extend([fill] * (capacity - len(column)))
            setattr(self, name, column)
        self.capacity = capacity

    COLUMNS = (
        ("birth_time", np.float64, 0.0),       # day on which age = 0 (negative)
        ("band", np.int8, 0),
        ("frailty", np.int8, 0),
        ("harm_steps", np.int8, 0),           # frailty levels added by harm from delay
        ("alone", np.bool_, False),
        ("self_fund_care_home", np.bool_, False),
        ("self_fund_home_care", np.bool_, False),
        ("state", np.int8, int(State.DEAD)),
        ("unmet", np.bool_, False),
        ("readmit_until", np.float64, -1.0),
        ("package_hours", np.float64, 0.0),
        ("care_home_since", np.float64, -1.0),
        ("case_managed", np.bool_, False),   # on a neighbourhood team's caseload
        ("zone", np.int16, -1),               # neighbourhood zone, drawn when first needed
        ("locality_draw", np.float64, math.nan),  # area of the place (sim.localities), ditto
        ("care_home_support_draw", np.float64, math.nan),  # sim.care_home_support, at entry
        # journey facts (see sim.people, sim.placements)
        ("in_bed_since", np.float64, math.nan),          # in an acute bed since (NaN: not)
        ("last_discharge", np.float64, -math.inf),       # last left an acute bed at
        ("holds_package", np.bool_, False),              # holds home-care hours
        ("package_suspended_since", np.float64, math.nan),  # package held during a stay since
        ("interim", np.bool_, False),                    # discharged to assess, undecided
        ("care_home_kind", np.int8, -1),                 # RESIDENTIAL or NURSING place held
        ("care_home_locality", np.int8, 0),              # locality of the care-home bed held
        ("end_of_life_until", np.float64, math.nan),     # in the last phase until (sim.end_of_life)
        ("end_of_life_slot", np.bool_, False),           # on the end-of-life team's caseload
    )
    DTYPES = {name: dtype for name, dtype, _fill in COLUMNS}

    def add(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        """Append people; returns their ids."""
        k = len(columns["birth_time"])
        if self.n + k > self.capacity:
            self._alloc(max(2 * self.capacity, self.n + k))
        start = self.n
        for name, values in columns.items():
            getattr(self, name)[start:start + k] = \
                np.asarray(values, dtype=self.DTYPES[name]).tolist()
        self.n += k
        return np.arange(start, start + k)

    def column(self, name: str) -> np.ndarray:
        """A numpy copy of one column for the people so far (ids 0 .. n-1)."""
        return np.array(getattr(self, name)[: self.n], dtype=self.DTYPES[name])


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
        # ages fall linearly across 65-74 and 75-84 (they decide when a person moves up a
        # band); within 85+ nothing depends on age, so the oldest start at the band's edge
        lo = np.array([min_age, max(min_age, 75.0), max(min_age, 85.0)])[band]
        width = np.where(band == 2, 0.0, np.array([75.0, 85.0, 0.0])[band] - lo)
        width = np.maximum(width, 0.0)
        ratio = np.array([*p.oldest_to_youngest_by_band, 1.0])[band]
        age = lo + falling_linear_quantile(rng.random(n), ratio) * width
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


def falling_linear_quantile(q: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Quantiles q of the density on [0, 1] proportional to 1 + (ratio - 1) x: ``ratio``
    people at the top per person at the bottom (the inverse of its quadratic CDF)."""
    slope = ratio - 1.0
    flat = np.abs(slope) < 1e-12
    safe = np.where(flat, 1.0, slope)
    root = (np.sqrt(1.0 + safe * q * (1.0 + ratio)) - 1.0) / safe
    return np.where(flat, q, root)


def package_hours(home_care, quantile):
    """Hours a week of home-care packages at the given quantiles (0-1) of their distribution
    (the law of :meth:`sim.schema_care.HomeCare.package_hours`)."""
    return home_care.package_hours(quantile)
