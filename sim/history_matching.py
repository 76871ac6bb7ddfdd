"""History matching: emulators of the model's KPIs, implausibility, and the next wave's points.

History matching (Vernon, Goldstein & Bower 2010; Andrianakis et al. 2015) rules out the
parameter values at which the model cannot reproduce what a place observes. Each wave runs the
model at a space-filling set of points, fits a Gaussian-process emulator of each target KPI to
the runs (:func:`fit_emulators`), and keeps only the points whose implausibility

    I_k(x) = |z_k - E[f_k(x)]| / sqrt(sd_k^2 + discrepancy_k^2 + v_k + Var_emulator_k(x))

is at most :data:`CUTOFF` (3, Pukelsheim's three-sigma rule) for the targets that count
(:func:`implausibility`): ``z`` the observed value with its observation sd, ``discrepancy`` the
model discrepancy the analyst states (default 0), ``v`` the run-to-run (replication) variance of
the model at one point, since the place observed one realisation of a stochastic system, and
``Var_emulator`` the emulator's predictive variance (its nugget included: the noise of the
R-replication means it was fitted to). With few targets a point must be plausible on every
target (the maximum); with :data:`MANY_TARGETS` or more the second-largest is used, as Vernon et
al. do, so that one target the model cannot reach for a structural reason does not rule out
everything on its own. The next wave's points are drawn by rejection from a large Latin
hypercube of the prior box (:func:`sample_plausible`), judged by the emulators of every wave so
far, so the not-ruled-out-yet (NROY) region can only shrink.

Inputs are in the unit cube of the prior box (callers scale). The emulators are
scikit-learn's ``GaussianProcessRegressor`` with a constant x anisotropic Matern-5/2 kernel plus
a ``WhiteKernel`` nugget (the runs are stochastic), fitted by maximum likelihood with restarts.
scikit-learn is widely used and well kept, and adds only joblib and threadpoolctl to the NumPy
and SciPy caresim has. mogp-emulator's ``HistoryMatching`` class does the same arithmetic, but
the implausibility here (replication variance in the denominator, the second-largest from
:data:`MANY_TARGETS` targets on, every wave's emulators at once) is a few lines that read more
plainly written out than configured through that class, over another GP implementation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

#: Implausibility cut-off (Pukelsheim's 3-sigma rule: 95% of any unimodal distribution).
CUTOFF = 3.0
#: From this many targets on, the second-largest implausibility is the one cut.
MANY_TARGETS = 6


@dataclass(frozen=True)
class Target:
    """An observed figure: KPI name, value, observation sd, model discrepancy sd, and the
    year it was observed in (None: the whole counting window)."""

    kpi: str
    value: float
    sd: float
    discrepancy: float = 0.0
    year: int | None = None

    @property
    def key(self) -> str:
        """The name of its emulator and model output: ``kpi`` or ``kpi@year``."""
        return self.kpi if self.year is None else f"{self.kpi}@{self.year}"


@dataclass
class Emulator:
    """A fitted GP of one KPI over the unit cube, and the model's run-to-run variance there."""

    kpi: str
    gp: GaussianProcessRegressor
    replication_var: float

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Emulator mean and variance (nugget included) at points ``x`` (n x d, unit cube)."""
        mean, sd = self.gp.predict(np.atleast_2d(x), return_std=True)
        return mean, sd ** 2


def fit_emulator(kpi: str, x: np.ndarray, y: np.ndarray, replication_var: float = 0.0,
                 seed: int = 0) -> Emulator:
    """Fit a GP emulator of one KPI to point means ``y`` at unit-cube points ``x`` (n x d).

    Outputs are standardised (``normalize_y``); length scales may range from 1% to 100x of the
    box, so an input the KPI ignores gets a long one. ``replication_var`` is the model's
    run-to-run variance of one replication, added to the implausibility's denominator.
    """
    x = np.atleast_2d(np.asarray(x, float))
    d = x.shape[1]
    kernel = (ConstantKernel(1.0, (1e-3, 1e3))
              * Matern(length_scale=np.full(d, 0.5), length_scale_bounds=(1e-2, 1e2), nu=2.5)
              + WhiteKernel(1e-2, (1e-8, 1.0)))
    gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=3,
                                  random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a bound reached is a fine answer
        gp.fit(x, np.asarray(y, float))
    return Emulator(kpi, gp, float(replication_var))


def fit_emulators(x: np.ndarray, means: dict[str, np.ndarray],
                  replication_var: dict[str, float], seed: int = 0) -> dict[str, Emulator]:
    """One emulator per output of ``means`` (target key -> point means at ``x``)."""
    return {k: fit_emulator(k, x, y, replication_var.get(k, 0.0), seed)
            for k, y in means.items()}


def implausibility_of(target: Target, mean, variance) -> np.ndarray:
    """I = |z - E[f]| / sqrt(sd^2 + discrepancy^2 + variance): one target, many points.

    ``variance`` is everything the model side adds (emulator and replication variance).
    """
    total = target.sd ** 2 + target.discrepancy ** 2 + np.asarray(variance, float)
    return np.abs(target.value - np.asarray(mean, float)) / np.sqrt(total)


def target_implausibility(emulators: dict[str, Emulator], targets: list[Target],
                          x: np.ndarray) -> np.ndarray:
    """Implausibility of each target at each point (n x targets)."""
    cols = []
    for t in targets:
        em = emulators[t.key]
        mean, var = em.predict(x)
        cols.append(implausibility_of(t, mean, var + em.replication_var))
    return np.column_stack(cols)


def combine(per_target: np.ndarray) -> np.ndarray:
    """The implausibility that is cut: the largest over targets, or the second-largest from
    :data:`MANY_TARGETS` targets on."""
    per_target = np.atleast_2d(per_target)
    ordered = np.sort(per_target, axis=1)
    return ordered[:, -2] if per_target.shape[1] >= MANY_TARGETS else ordered[:, -1]


def which_measure(n_targets: int) -> str:
    """Words for the implausibility that is cut, for outputs and reports."""
    return "second-largest over targets" if n_targets >= MANY_TARGETS else "largest over targets"


def implausibility(waves: list[dict[str, Emulator]], targets: list[Target],
                   x: np.ndarray) -> np.ndarray:
    """Implausibility of points ``x`` under every wave's emulators: the largest of the waves',
    so a point ruled out by an earlier wave stays ruled out."""
    x = np.atleast_2d(x)
    worst = np.zeros(len(x))
    for emulators in waves:
        worst = np.maximum(worst, combine(target_implausibility(emulators, targets, x)))
    return worst


def candidates(d: int, n: int, seed: int) -> np.ndarray:
    """A Latin hypercube of ``n`` points in the unit cube of ``d`` dimensions."""
    return qmc.LatinHypercube(d=d, seed=seed).random(n)


def plausible_candidates(waves: list[dict[str, Emulator]], targets: list[Target], d: int,
                         n_candidates: int, seed: int, cutoff: float = CUTOFF
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The candidates of a large Latin hypercube that are not implausible, and their
    implausibility (the NROY region, as a sample)."""
    x = candidates(d, n_candidates, seed)
    imp = implausibility(waves, targets, x)
    keep = imp <= cutoff
    return x[keep], imp[keep]


def sample_plausible(waves: list[dict[str, Emulator]], targets: list[Target], d: int, n: int,
                     seed: int, n_candidates: int = 20_000, cutoff: float = CUTOFF
                     ) -> tuple[np.ndarray, float]:
    """Up to ``n`` points of the NROY region and the share of the prior box that is NROY.

    Rejection sampling from a Latin hypercube of ``n_candidates``; of the survivors (a uniform
    sample of the region) ``n`` are picked at random, so the wave covers the region as it is
    rather than its edges (which a maximin pick favours). Fewer than ``n`` come back only when
    fewer candidates survive; none when the region is empty.
    """
    x, _ = plausible_candidates(waves, targets, d, n_candidates, seed, cutoff)
    share = len(x) / n_candidates
    if len(x) <= n:
        return x, share
    pick = np.random.default_rng(seed).choice(len(x), size=n, replace=False)
    return x[np.sort(pick)], share
