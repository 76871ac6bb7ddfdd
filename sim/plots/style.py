"""One palette, one type scale and the small drawing helpers every caresim figure shares.

Colours are colour-blind safe: payers use the Okabe-Ito palette, services and care settings
use Paul Tol's "muted" palette. Each payer, service, setting and delay reason has ONE colour,
defined here and nowhere else, so the NHS is the same blue in every figure of a report.
Figures are built on :class:`matplotlib.figure.Figure` directly (never ``pyplot``), so no GUI
backend is touched, nothing leaks into pyplot's figure registry, and a Jupyter notebook still
displays the returned Figure.
"""

from __future__ import annotations

import functools

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..kpis import unit

A4_WIDTH = 7.0   # inches: the text width of an A4 page with 2.5 cm margins is ~6.3-6.7 in

# --- payers / funders (Okabe-Ito) -------------------------------------------------------------
PAYER_COLOURS = {"nhs": "#0072B2", "la": "#E69F00", "pool": "#009E73", "self": "#CC79A7",
                 "provider": "#999999"}
PAYER_LABELS = {"nhs": "NHS", "la": "Local authority", "pool": "Pooled fund",
                "self": "Self-funders", "provider": "Integrated provider",
                "patient": "Patient or family"}   # "patient": who causes a choice delay

# --- services in the cost ledger (Tol muted) --------------------------------------------------
SERVICE_COLOURS = {
    "acute": "#332288", "escalation": "#882255", "intermediate_care": "#44AA99",
    "community_nursing": "#88CCEE", "reablement": "#117733", "home_care": "#999933",
    "care_home": "#DDCC77", "chc": "#CC6677", "fnc": "#AA4499", "pool_governance": "#BBBBBB",
    "case_management": "#661100", "end_of_life": "#DDDDDD",
    "chc_fast_track": "#EE99AA", "frailty_unit": "#6699CC", "care_home_support": "#EECC66",
    "virtual_ward": "#99DDFF",
}
SERVICE_LABELS = {
    "acute": "Acute beds", "escalation": "Escalation beds",
    "intermediate_care": "Intermediate care",
    "community_nursing": "Community nursing", "reablement": "Reablement", "home_care": "Home care",
    "care_home": "Care homes", "chc": "Continuing Healthcare", "fnc": "Funded nursing care",
    "pool_governance": "Pool governance", "case_management": "Case management",
    "end_of_life": "End-of-life care at home", "chc_fast_track": "Fast-track CHC",
    "frailty_unit": "Front-door frailty team", "care_home_support": "Care-home support",
    "virtual_ward": "Virtual wards",
}


def service_label(service: str) -> str:
    """A service's label; an unlisted service gets its name in words, never a raw key."""
    return SERVICE_LABELS.get(service, service.replace("_", " ").capitalize())

# --- care settings (daily series); same hue family as the service that pays for them -----------
SERIES_COLOURS = {
    "acute_treatment": "#332288", "acute_delayed": "#CC6677", "acute_boarding": "#BBBBBB",
    "ic_bed": "#44AA99", "reablement": "#117733", "home_care": "#999933",
    "home_waiting_care": "#AA4499", "residential": "#DDCC77", "nursing": "#882255",
    "home": "#88CCEE", "dead": "#555555",
}
SERIES_LABELS = {
    "acute_treatment": "In treatment", "acute_delayed": "Medically fit, delayed",
    "acute_boarding": "Waiting in ED for a bed", "ic_bed": "Intermediate-care beds",
    "reablement": "Reablement", "home_care": "Home-care clients",
    "home_waiting_care": "Waiting at home for home care", "residential": "Residential homes",
    "nursing": "Nursing homes", "home": "Home, no new service", "dead": "Died in hospital",
}
# broad settings (the ``setting`` column of daily.parquet)
SETTING_COLOURS = {"community": "#117733", "acute": "#332288", "residential": "#DDCC77",
                   "queue": "#AA4499", "all": "#555555"}

# --- reasons a medically fit person is still in an acute bed ---------------------------------
DELAY_COLOURS = {"assessment": "#CC6677", "funding_decision": "#882255",
                 "service_capacity": "#DDCC77", "dispute": "#AA4499",
                 "discharge_process": "#999933", "choice": "#44AA99"}
DELAY_LABELS = {"assessment": "Assessment", "funding_decision": "Funding decision",
                "service_capacity": "Service capacity", "dispute": "CHC/LA dispute",
                "discharge_process": "Discharge process", "choice": "Patient or family choice"}

# --- discharge pathways (sim.discharge.choose_pathway; Tol muted, one hue each) ---------------
PATHWAY_COLOURS = {0: "#332288", 1: "#44AA99", 2: "#999933", 3: "#882255"}
PATHWAY_LABELS = {0: "P0 home, no new support", 1: "P1 home with new support",
                  2: "P2 intermediate-care bed", 3: "P3 care home"}

# scenarios are told apart by line style / marker (colour stays with the quantity)
SCENARIO_LINESTYLES = ("-", "--", ":", "-.")
SCENARIO_MARKERS = ("o", "s", "D", "^", "v", "P")
SCENARIO_COLOURS = ("#000000", "#56B4E9", "#D55E00", "#F0E442", "#0072B2", "#CC79A7")
SCENARIO_HATCHES = ("", "///", "...", "xx")
LOW_HIGH_COLOURS = ("#88CCEE", "#882255")   # tornado: parameter at its low / high value
INDEX_COLOURS = ("#332288", "#DDCC77")       # Sobol first-order / total-order

RC = {
    "font.size": 8.5, "axes.titlesize": 9, "axes.labelsize": 8.5, "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5, "legend.fontsize": 7.5, "figure.titlesize": 10,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.color": "#E5E5E5", "grid.linewidth": 0.6, "axes.axisbelow": True,
    "svg.fonttype": "none", "figure.dpi": 100, "savefig.dpi": 150,
    "hatch.linewidth": 0.6, "legend.frameon": False,
}


def styled(func):
    """Run a figure function under the caresim rc settings (fonts are fixed at creation)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(RC):
            return func(*args, **kwargs)
    return wrapper


def new_figure(nrows: int = 1, ncols: int = 1, height: float | None = None, fig=None,
               sharex: bool | str = False, sharey: bool | str = False):
    """A constrained-layout Figure at A4 width with a 2-D array of axes.

    ``fig``: draw into an existing (empty) Figure instead of making one.
    """
    if fig is None:
        fig = Figure(figsize=(A4_WIDTH, height or 2.4 * nrows + 0.8), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=False)
    return fig, axes


def axes_for(ax, height: float = 3.2):
    """The Figure and Axes to draw a single-panel figure on (``ax`` given or a new one)."""
    if ax is not None:
        return ax.figure, ax
    fig, axes = new_figure(1, 1, height=height)
    return fig, axes[0, 0]


def fmt_gbp(value: float, digits: int = 1) -> str:
    """£ amount with k/m/bn suffix: 1_234_000 -> '£1.2m'."""
    if value is None or not np.isfinite(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    v = abs(value)
    for cut, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if v >= cut:
            return f"{sign}£{v / cut:,.{digits}f}{suffix}"
    return f"{sign}£{v:,.0f}"


def _signed_gbp(value: float, text: str) -> str:
    """'-£5.0m', never '£-5.0m'."""
    return "0" if not value else ("-£" if value < 0 else "£") + text


def _gbp_tick(value: float, _pos=None) -> str:
    a = abs(value)
    if a >= 1e6 or a == 0:
        return _signed_gbp(value, f"{a / 1e6:,.1f}m")
    return _signed_gbp(value, f"{a / 1e3:,.0f}k" if a >= 1e3 else f"{a:,.0f}")


def millions(ax, axis: str = "y") -> None:
    """Tick labels in £m, or £k below £1m so that a small axis never reads '£0.0m' (data in £)."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(_gbp_tick))


def thousands(ax, axis: str = "x") -> None:
    """Tick labels in £k (data in £)."""
    formatter = FuncFormatter(lambda v, _: _signed_gbp(v, f"{abs(v) / 1e3:,.0f}k"))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def scenarios_of(frame: pd.DataFrame, order: list[str] | None = None) -> list[str]:
    """Scenario names in display order (``order`` first, then order of appearance)."""
    if "scenario" not in frame.columns:
        return [""]
    seen = list(dict.fromkeys(frame["scenario"].astype(str)))
    order = [s for s in (order or []) if s in seen]
    return order + [s for s in seen if s not in order]


def per_scenario(frame: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Rows of one scenario (all rows when the frame has no scenario column)."""
    if "scenario" not in frame.columns:
        return frame
    return frame[frame["scenario"].astype(str) == scenario]


def check_columns(frame: pd.DataFrame, needed: tuple[str, ...], what: str) -> None:
    """A clear error when a table lacks the columns a figure needs."""
    if frame is None or len(frame) == 0:
        raise ValueError(f"{what}: the table is empty")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}")


def fan(ax, x, matrix: np.ndarray, colour: str, label: str | None = None, linestyle="-",
        bands=(0.90, 0.50), linewidth: float = 1.2) -> None:
    """Median line and central bands of a (time x replication) matrix."""
    matrix = np.asarray(matrix, dtype=float)
    quantile = np.nanquantile if np.isnan(matrix).any() else np.quantile  # nan* is slow
    for width, alpha in zip(bands, (0.18, 0.32)):
        lo, hi = quantile(matrix, [(1 - width) / 2, (1 + width) / 2], axis=1)
        ax.fill_between(x, lo, hi, color=colour, alpha=alpha, linewidth=0)
    ax.plot(x, quantile(matrix, 0.5, axis=1), color=colour, label=label, linestyle=linestyle,
            linewidth=linewidth)


def smooth(wide: pd.DataFrame, days: int) -> pd.DataFrame:
    """Centred rolling mean over ``days`` rows (1 = unchanged)."""
    if days and days > 1:
        return wide.rolling(days, center=True, min_periods=1).mean()
    return wide


def shade_warmup(ax, start, warmup_days: float | None) -> None:
    """Grey out the warm-up period (dates on the x axis)."""
    if warmup_days:
        start = pd.Timestamp(start)
        ax.axvspan(start, start + pd.Timedelta(days=float(warmup_days)), color="#F2F2F2",
                   zorder=0, linewidth=0)
        ax.text(start + pd.Timedelta(days=float(warmup_days) / 2), 0.98, "warm-up",
                transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=7,
                color="#777777")


def date_axis(ax) -> None:
    """Readable month ticks on a date axis."""
    locator = mpl.dates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mpl.dates.ConciseDateFormatter(locator))


def legend_below(fig, handles, labels, ncol: int | None = None) -> None:
    """One shared legend under the panels."""
    if handles:
        fig.legend(handles, labels, loc="outside lower center",
                   ncol=ncol or min(len(labels), 4))


def financial_year(month: pd.Series) -> pd.Series:
    """UK financial year label ('2025/26') of 'YYYY-MM' months (April to March)."""
    period = pd.PeriodIndex(month.astype(str), freq="M")
    start = np.where(period.month >= 4, period.year, period.year - 1)
    return pd.Series([f"{y}/{(y + 1) % 100:02d}" for y in start], index=month.index)


def compact(v: float, _pos=None) -> str:
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:,.3g}bn"
    if a >= 1e6:
        return f"{v / 1e6:,.3g}m"
    if a >= 1e4:
        return f"{v / 1e3:,.3g}k"
    return f"{v:,.6g}"


def kpi_axis(ax, kpi: str, axis: str = "x") -> None:
    """Tick labels in a KPI's unit (£m/£k for money, % for shares, compact numbers else)."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    if unit(kpi) == "£ per year":
        target.set_major_formatter(FuncFormatter(lambda v, _: "£" + compact(v) if v >= 0
                                                 else "-£" + compact(-v)))
    elif unit(kpi) == "share":
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    else:
        target.set_major_formatter(FuncFormatter(compact))


def compact_axis(ax, axis: str = "x") -> None:
    """Tick labels without an offset or 1e6 multiplier: 1.5m, 250k, 12."""
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(FuncFormatter(compact))
