"""A snapshot start, part one: who is where at t = 0, and how long they have been there.

:func:`choose` puts the counts of ``[start]`` (:mod:`sim.schema_start`) on people of the drawn
starting population, each state's people drawn without replacement with weights proportional
to the chance the model itself gives a person of being there:

* care homes and home care - the initial-state probabilities of prevalence mode
  (:func:`sim.population.pick_initial_states`: the band's starting share times the frailty
  ratio of care-home admission, or of crises for home care); nursing among the residents by
  ``pathways.nursing_home_share_by_frailty``;
* an acute bed under treatment - admission rate times expected stay (people found in a bed at
  an instant are length-biased): the crisis hazard (band, frailty, living alone) times
  ``acute.los_frailty_ratio`` x ``acute.los_band_ratio``;
* delayed in an acute bed, in intermediate care or reablement - the crisis hazard times the
  person's share of the discharge pathway that leads there (``pathways.split_by_frailty``);
* waiting at home - the hazard of the need: the community referral rate for home care, the
  care-home admission ratio for a care home (both times ``home_care.need_band_ratio``).

:func:`so_far_and_left` draws each stay's time so far and time left. In a steady system the
people present at an instant are a length-biased sample of stays (the inspection paradox of
renewal theory: a stay of length t is caught with probability proportional to t), so a stay's
total is drawn from the length-biased law t f(t) / E[T], split at a uniform point: the time so
far then has the equilibrium density S(a) / E[T] and the time left is the stay's residual
given the time so far (Cox 1962, Renewal Theory, ch. 5; Ross, Stochastic Processes, 3.4).
Starting a stationary system this way keeps it stationary from t = 0, which is what shortens
the warm-up. The laws are those the model uses: the treatment stay lognormal (or exponential)
per person (:func:`sim.hospital.treatment_length_of_stay`), the intermediate-care stay
gamma(2) (:func:`sim.community_care.intermediate_care_stay`), reablement exponential cut at
``reablement.max_days`` (:func:`sim.community_care.reablement_episode`).
"""

from __future__ import annotations

import numpy as np

from .config import ConfigError, Scenario
from .population import State
from .schema_start import starting_package_hours

#: the order states are filled in (each from the people not yet placed), with the weight and
#: the state each takes
ORDER = ("care_home", "home_care", "acute_treatment", "acute_delayed_home_care",
         "acute_delayed_reablement", "acute_delayed_intermediate_care",
         "acute_delayed_care_home", "intermediate_care", "reablement", "waiting_home_care",
         "waiting_care_home")
STATE_OF = {"home_care": State.HOME_CARE, "acute_treatment": State.ACUTE_TREATMENT,
            "intermediate_care": State.IC_BED, "reablement": State.REABLEMENT,
            "waiting_home_care": State.HOME_WAITING_CARE, "waiting_care_home": State.HOME}
PATHWAY_OF = {"acute_delayed_home_care": 1, "acute_delayed_reablement": 1,
              "acute_delayed_intermediate_care": 2, "acute_delayed_care_home": 3,
              "intermediate_care": 2, "reablement": 1}


def _stats():
    """scipy.stats, imported only when a snapshot start needs it (it costs ~0.4 s of start-up,
    and a prevalence start never uses it)."""
    from scipy import stats
    return stats


def weights(cfg: Scenario, people: dict) -> dict[str, np.ndarray]:
    """Each snapshot state's weight for every drawn person (see the module docstring)."""
    band, frailty, alone = people["band"], people["frailty"], people["alone"]
    c, hc, a = cfg.crisis, cfg.home_care, cfg.acute
    crisis = (np.array(c.band_relative_rate)[band] * np.array(c.frailty_hazard_ratio)[frailty]
              * np.where(alone, c.lives_alone_ratio, 1.0))
    split = np.array(cfg.pathways.split_by_frailty)[frailty]
    need = np.array(hc.need_band_ratio)[band]
    to_care_home = np.array(hc.to_care_home_frailty_ratio)[frailty]
    out = {
        "care_home": np.array(cfg.care_homes.initial_share_by_band)[band] * to_care_home,
        "home_care": np.array(hc.initial_share_by_band)[band]
        * np.array(c.frailty_hazard_ratio)[frailty],
        "acute_treatment": crisis * np.array(a.los_frailty_ratio)[frailty]
        * np.array(a.los_band_ratio)[band],
        "waiting_home_care": np.array(hc.community_referral_per_year_by_frailty)[frailty] * need,
        "waiting_care_home": to_care_home * need,
    }
    for name, pathway in PATHWAY_OF.items():
        out[name] = crisis * split[:, pathway]
    return out


def _pick(rng: np.random.Generator, free: np.ndarray, weight: np.ndarray, k: int,
          field: str) -> np.ndarray:
    """k of the free people, drawn without replacement in proportion to their weights."""
    if k > free.size:
        raise ConfigError([f"start.{field} = {k}: only {free.size} people are left to place "
                           f"(population.size is too small for the snapshot counts)"])
    w = weight[free]
    if k == 0:
        return free[:0]
    if w.sum() <= 0 or np.count_nonzero(w) < k:
        w = w + 1e-12          # the model gives nobody (enough) a chance: draw evenly
    return rng.choice(free, size=k, replace=False, p=w / w.sum())


def choose(cfg: Scenario, rng: np.random.Generator, people: dict) -> dict[str, np.ndarray]:
    """Place the snapshot counts on the drawn people (their ``state``, ``unmet`` and
    ``package_hours`` columns); returns the ids of each snapshot state."""
    s = cfg.start
    state = people["state"]
    n = len(state)
    w = weights(cfg, people)
    roles: dict[str, np.ndarray] = {}
    for name in ORDER:
        free = np.flatnonzero(state == State.HOME)
        if name == "care_home":
            k = s.residential + s.nursing
            pick = _pick(rng, free, w[name], k, "residential + start.nursing")
            share = np.array(cfg.pathways.nursing_home_share_by_frailty)[
                people["frailty"][pick]]
            nursing = _pick(rng, np.arange(k), share, s.nursing, "nursing")
            kinds = np.full(k, State.RESIDENTIAL, dtype=np.int8)
            kinds[nursing] = State.NURSING
            state[pick] = kinds
        else:
            pick = _pick(rng, free, w[name], getattr(s, name), name)
            state[pick] = STATE_OF.get(name, State.ACUTE_DELAYED)
        roles[name] = pick
    hours = np.zeros(n)
    hours[roles["home_care"]] = rng.permutation(starting_package_hours(cfg.home_care,
                                                                       s.home_care))
    people["package_hours"] = hours
    unmet = np.zeros(n, dtype=bool)
    unmet[np.concatenate([roles["waiting_home_care"], roles["waiting_care_home"]])] = True
    people["unmet"] = unmet
    return roles


def so_far_and_left(rng: np.random.Generator, law, n: int, mean_so_far: float | None,
                    scale: np.ndarray | float = 1.0, cap: float = np.inf):
    """(time so far, time left) of ``n`` stays of a scipy ``law`` (mean 1) times ``scale``,
    cut at ``cap`` (in the law's units): the equilibrium split of a length-biased stay, or,
    with ``mean_so_far``, times so far scaled to that mean and the stay's residual given them.
    """
    u, v = rng.random(n), rng.random(n)
    if np.isfinite(cap):    # a stay cut at cap: equilibrium age density S(a) / E[T] on [0, cap]
        grid = np.linspace(0.0, cap, 2001)
        survival = law.sf(grid)
        cdf = np.concatenate([[0.0], np.cumsum((survival[1:] + survival[:-1]) / 2)])
        age = np.interp(u, cdf / cdf[-1], grid)
        mean_age = float(np.sum(grid[1:] * np.diff(cdf / cdf[-1])))
    else:                   # length-biased total x uniform split
        age = u * _length_biased(law).ppf(v)
        mean_age = law.moment(2) / 2.0
        v = rng.random(n)
    if mean_so_far is not None:
        age = age * mean_so_far / float(np.mean(mean_age * np.asarray(scale) * np.ones(n)))
        age = np.minimum(age, cap * (1 - 1e-9))
    total = law.isf(v * law.sf(age))          # the stay given that it has lasted ``age``
    left = np.minimum(np.maximum(total, age), cap) - age
    return age * scale, left * scale


def _length_biased(law):
    """The length-biased law t f(t) / E[T] of a lognormal, exponential or gamma law."""
    name = law.dist.name
    if name == "lognorm":
        sigma, scale = law.args[0], law.kwds.get("scale", 1.0)
        return _stats().lognorm(sigma, scale=scale * np.exp(sigma ** 2))
    if name == "expon":
        return _stats().gamma(2.0, scale=law.kwds.get("scale", 1.0))
    if name == "gamma":
        return _stats().gamma(law.args[0] + 1.0, scale=law.kwds.get("scale", 1.0))
    raise ValueError(f"no length-biased form for {name}")


def treatment_law(cfg: Scenario):
    """The treatment stay law with mean 1 (:func:`sim.hospital.treatment_length_of_stay`)."""
    a = cfg.acute
    if a.los_distribution == "exponential":
        return _stats().expon(scale=1.0)
    return _stats().lognorm(a.los_sigma, scale=np.exp(-a.los_sigma ** 2 / 2))


def intermediate_care_law():
    """The intermediate-care stay law with mean 1: the sum of two exponentials of mean 1/2."""
    return _stats().gamma(2.0, scale=0.5)


def reablement_law():
    """The reablement episode's law with mean 1 before its cut at ``reablement.max_days``."""
    return _stats().expon(scale=1.0)
