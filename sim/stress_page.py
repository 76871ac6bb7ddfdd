"""``OUT/stress.html``: the stress test on one page, for the finance leads who sign the agreement.

Plain words first (how often the agreement costs each partner more than today), then per
partner a small table (P10/P50/P90 over the draws of its year-end top-ups or refunds, what it
pays in each arm and the difference) and a strip plot of the difference per draw against the
zero line; then the pool's statutory-risk days and rationed decisions, and what the agreement
does for patients (delayed bed days, QALYs and the cost per QALY, or why there is none). The
figures are embedded as PNG and the page uses the report's stylesheet
(:data:`sim.report.CSS`), so it opens anywhere without Python.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import seaborn as sns

from . import atomic
from .figure_html import embed
from .plots.style import PAYER_COLOURS, fmt_gbp, millions, new_figure, styled
from .report import CSS
from .report_sections import esc
from .stress_summary import PARTNERS, per_draw


@styled
def difference_figure(change: pd.Series, partner: str, name: str):
    """One dot per draw: what the agreement costs the partner more (+) or less (-) than today
    a year, with the zero line."""
    fig, axes = new_figure(1, 1, height=1.9)
    ax = axes[0, 0]
    sns.stripplot(x=change.to_numpy(float), ax=ax, color=PAYER_COLOURS[partner], size=6,
                  jitter=0.25, alpha=0.8)
    ax.axvline(0, color="black", linewidth=1.2)
    for x, align, text in ((0.01, "left", "\u2190 agreement costs less"),
                           (0.99, "right", "agreement costs more \u2192")):
        ax.text(x, 0.97, text, transform=ax.transAxes, ha=align, va="top", fontsize=8)
    lo, hi = float(min(change.min(), 0)), float(max(change.max(), 0))
    span = (hi - lo) or 1.0
    # the zero line stays well inside, clear of the two labels in the corners
    ax.set_xlim(min(lo - 0.1 * span, -0.35 * span), max(hi + 0.1 * span, 0.35 * span))
    ax.set_ylim(0.45, -0.7)   # room above the dots for the two labels
    millions(ax, "x")
    ax.set_yticks([])
    ax.set_xlabel(f"Cash the {name} pays a year: agreement minus today (one dot per draw)")
    return fig


def _q(p: dict, money: bool = True, digits: int = 1) -> list[str]:
    def one(x):
        if x is None:
            return "-"
        return fmt_gbp(x) if money else f"{x:,.{digits}f}"
    return [one(p["p10"]), one(p["p50"]), one(p["p90"])]


def _table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("", "P10", "P50 (middle)", "P90"))
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<div class=table-wrap><table><tr>{head}</tr>{body}</table></div>"


def partner_section(result: dict, partner: str, change: pd.Series) -> str:
    """A partner's heading, sentence, table and figure."""
    s = result["partners"][partner]
    name = s["name"]
    more = s["p_pays_more"]
    rows = [["Year-end top-up of the pool (+) or refund (-)", *_q(s["top_up_gbp"])],
            ["Contribution to the pool", *_q(s["contribution_gbp"])],
            ["Pays in all under the agreement", *_q(s["paid_arrangement_gbp"])],
            ["Pays in all today (baseline)", *_q(s["paid_baseline_gbp"])],
            ["Difference: agreement minus today", *_q(s["paid_change_gbp"])]]
    mid = s["paid_change_gbp"]["p50"]
    return (f"<h2>The {esc(name)}</h2>"
            f"<p><b>In {more:.0%} of the draws the agreement costs the {esc(name)} more cash "
            f"than today.</b> In the middle draw it pays {esc(fmt_gbp(abs(mid)))} a year "
            f"{'more' if mid > 0 else 'less'} than today.</p>"
            + _table(rows)
            + embed(difference_figure(change, partner, name), f"{name}: cash difference",
                    f"Each dot is one plausible version of the place; right of the line the "
                    f"agreement costs the {name} more than today."))


def terms_sentence(terms: dict) -> str:
    """The agreement's terms in one sentence."""
    def amount(x):
        return f"{x:.0%} of its budget" if x <= 1 else f"{fmt_gbp(x)} a year"
    scope = ", ".join(s.replace("_", " ") for s in terms["scope"])
    holder = "an integrated provider" if terms["fund_holder"] == "provider" else "the pool"
    return esc(f"The agreement: {holder} pays for {scope}; the NHS puts in "
               f"{amount(terms['nhs_contribution'])} and the local authority "
               f"{amount(terms['la_contribution'])}; an overspend or underspend is shared "
               f"{terms['risk_share_rule']}.")


def render(result: dict, rows: pd.DataFrame) -> str:
    """The HTML of the page."""
    draws = per_draw(rows, [f"paid_{p}_gbp" for p in PARTNERS])
    params = ", ".join(result["params"])
    pool, cpq = result["pool"], result["cost_per_qaly"]
    parts = [
        f"<h1>Stress test of the pooled budget agreement ({esc(result['pool_config'])})</h1>",
        f"<p>We ran the agreement and today's funding side by side on {result['draws']} "
        f"plausible versions of the place, drawn from its calibration "
        f"({esc(result['plausible'])}: {esc(params)}), {result['replications']} "
        "replication(s) each. Both sides of each draw meet the same people and the same chance "
        "events, so the difference between them is the agreement's. Every figure is a year's, "
        "for the whole place. P10, P50 and P90: one draw in ten comes out below P10, half "
        "below P50, nine in ten below P90.</p>",
        f"<p>{terms_sentence(result['agreement'])}</p>",
        f"<p class=meta>Today (the baseline): {esc(result['baseline'])}. What a partner pays: "
        "the cash it pays directly, plus its contribution to the pool, plus its year-end "
        "top-ups of the pool's overspend (a refund of an underspend counts as negative). The "
        "pool's balance is split at each financial year's end inside the simulated years; a "
        "year the run ends inside is left open.</p>"]
    for p in PARTNERS:
        parts.append(partner_section(result, p, draws[f"paid_{p}_gbp_change"]))
    parts += [
        "<h2>The pool both partners share</h2>",
        _table([["Days a year the pool cannot cover its NHS statutory commitments",
                 *_q(pool["statutory_risk_days"]["arrangement"], False, 0)],
                ["Funding decisions held back by rationing a year, under the agreement",
                 *_q(pool["rationed_decisions"]["arrangement"], False, 0)],
                ["... today", *_q(pool["rationed_decisions"]["baseline"], False, 0)],
                ["... change", *_q(pool["rationed_decisions"]["change"], False, 0)]]),
        "" if result["agreement"]["statutory"] else
        "<p class=note>The pool pays for no NHS statutory service (acute beds, CHC), so it can "
        "never be short of them: statutory-risk days are 0 by the agreement's terms.</p>",
        "<h2>What it does for patients</h2>",
        _table([["Change in delayed bed days a year",
                 *_q(result["delayed_bed_days_change"], False, 0)],
                ["Change in cash, all payers", *_q(result["cost_change_gbp"])],
                ["Change in QALYs a year", *_q(result["qalys_change"], False, 2)]]),
        f"<p><b>Cost per QALY:</b> {esc(cpq['statement'])}</p>"]
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Stress test"
            f"</title><style>{CSS}</style></head><body><main>{''.join(parts)}</main></body>"
            "</html>\n")


def write_report(path: Path, result: dict, rows: pd.DataFrame) -> Path:
    """Write ``stress.html`` atomically."""
    return atomic.write_text(path, render(result, rows))
