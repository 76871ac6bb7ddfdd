"""Plain-text formatting of numbers, intervals, tables and durations for the terminal.

The command line prints KPI values in their unit, read from the KPI's name: pounds for
``*_gbp`` (``£1,234``), percentages for ``*_share`` (``7.3%``, a change in percentage points
``+1.2 pp``), and otherwise decimals chosen by size. One module so that ``caresim run``,
``compare``, ``sweep`` and ``case`` print the same number the same way. Standard library only,
so importing it costs nothing at start-up.
"""

from __future__ import annotations

import math


def number(kpi: str, x: float, signed: bool = False, ref: float | None = None) -> str:
    """A KPI value in its unit: £1,234 for *_gbp, 12.3% (+1.2 pp if signed) for *_share,
    else 0 to 2 decimals chosen by the size of ``ref`` (or of ``x``); "n/a" if not finite."""
    if not math.isfinite(x):
        return "n/a"
    size = abs(x if ref is None or not math.isfinite(ref) else ref)
    pre = unit = ""
    if kpi.endswith("_share"):
        body, unit = f"{abs(x) * 100:.1f}", " pp" if signed else "%"
    elif kpi.endswith("_gbp"):
        body, pre = f"{abs(x):,.0f}", "£"
    else:
        body = f"{abs(x):,.{0 if size >= 100 else 1 if size >= 10 else 2}f}"
    sign = "" if not body.strip("0.,") else "-" if x < 0 else "+" if signed else ""
    return f"{sign}{pre}{body}{unit}"


def interval(kpi: str, lo: float, hi: float, ref: float, signed: bool = False) -> str:
    """``low – high`` in the KPI's unit, both ends with the decimals of ``ref``."""
    return f"{number(kpi, lo, signed, ref)} – {number(kpi, hi, signed, ref)}"


def compact(kpi: str, x: float, signed: bool = False) -> str:
    """A short KPI value for overviews: £83.1m for large money, else :func:`number`."""
    if kpi.endswith("_gbp") and math.isfinite(x) and abs(x) >= 1e5:
        sign = "-" if x < 0 else "+" if signed else ""
        return f"{sign}£{abs(x) / 1e6:,.1f}m"
    return number(kpi, x, signed)


def percent(x: float, digits: int = 1) -> str:
    """A signed percentage (``+4.2%``), or "n/a" if not finite."""
    return f"{x:+.{digits}f}%" if math.isfinite(x) else "n/a"


def percent_interval(lo: float, hi: float, digits: int = 1) -> str:
    """``-12.0% – +3.1%``, or "n/a" when either end is missing (no interval exists)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    return f"{percent(lo, digits)} – {percent(hi, digits)}"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths))) for r in [header, *rows]]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def seconds(s: float) -> str:
    """A duration for people: ``45 s``, ``12 min``, ``2.5 h``."""
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"
