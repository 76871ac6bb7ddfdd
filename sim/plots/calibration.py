"""Figures of a calibration (``caresim calibrate``): targets against the model, and the region
of parameter values still plausible.

Both read ``calibration.json`` (and ``plausible.parquet``) as :mod:`sim.calibrate` writes them
and return a :class:`matplotlib.figure.Figure` (never pyplot, as :mod:`sim.plots.style` says);
the pairs plot is drawn on such a figure rather than with seaborn's ``pairplot``, which draws
through pyplot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import A4_WIDTH

OBSERVED, MODEL, BEST = "#999999", "#0072B2", "#D55E00"


def targets_figure(result: dict) -> Figure:
    """Each target on its own scale, in observation sds from the observed value: the observed
    value +- 2 sd (grey band) against the model's 95% range of single runs at plausible points
    (blue line) and its mean at the estimate (orange dot)."""
    targets = result["targets"]
    names = list(targets)
    fig = Figure(figsize=(A4_WIDTH, 1.2 + 0.38 * len(names)), layout="constrained")
    ax = fig.add_subplot()
    for i, name in enumerate(names):
        t = targets[name]
        z = [(t[k] - t["observed"]) / t["sd"] for k in ("model_low", "model_high", "model_mean")]
        ax.barh(i, 4, left=-2, height=0.6, color=OBSERVED, alpha=0.35,
                label="observed +- 2 sd" if i == 0 else None)
        ax.plot(z[:2], [i, i], color=MODEL, lw=2.5,
                label="model: 95% of runs at plausible points" if i == 0 else None)
        ax.plot(z[2], i, "o", color=BEST, label="model at the estimate" if i == 0 else None)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("observation sds from the observed value")
    fig.legend(loc="outside lower center", ncols=3, fontsize="small", frameon=False)
    return fig


def pairs_figure(plausible: pd.DataFrame, params: dict[str, dict],
                 region: pd.DataFrame | None = None) -> Figure:
    """The region not ruled out (grey: a uniform sample of it) and the evaluated points still
    plausible (coloured by implausibility) for every pair of parameters, each parameter's
    share of the region (histogram) and its plausible range (dashed), on the prior box; the
    estimate is the cross."""
    names = list(params)
    d = len(names)
    size = min(A4_WIDTH, 1.0 + 2.0 * d)
    fig = Figure(figsize=(size, size), layout="constrained")
    axes = np.atleast_2d(fig.subplots(d, d, squeeze=False))
    for i, row in enumerate(names):
        for j, col in enumerate(names):
            ax = axes[i, j]
            px = params[col]
            ax.set_xlim(px["prior_low"], px["prior_high"])
            if i == j:
                if region is not None and len(region):
                    ax.hist(region[col], bins=20, range=(px["prior_low"], px["prior_high"]),
                            color=OBSERVED, alpha=0.7)
                    ax.set_yticks([])
                for bound in ("low", "high"):
                    if px[bound] is not None:
                        ax.axvline(px[bound], color=BEST, ls="--", lw=1)
            else:
                if region is not None and len(region):
                    ax.scatter(region[col], region[row], s=2, color=OBSERVED, alpha=0.25,
                               linewidths=0)
                if len(plausible):
                    ax.scatter(plausible[col], plausible[row], c=plausible["implausibility"],
                               cmap="viridis_r", s=14, vmin=0, vmax=3)
                ax.plot(params[col]["estimate"], params[row]["estimate"], "x", color=BEST,
                        ms=8, mew=2)
                ax.set_ylim(params[row]["prior_low"], params[row]["prior_high"])
            if i == d - 1:
                ax.set_xlabel(col, fontsize="small")
            if j == 0 and i != j:
                ax.set_ylabel(row, fontsize="small")
            ax.tick_params(labelsize="x-small")
    return fig
