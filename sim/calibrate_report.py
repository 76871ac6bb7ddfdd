"""``DIR/calibration.html``: one self-contained page of a calibration.

Each target against the model (a table and :func:`sim.plots.calibration.targets_figure`), the
plausible range of each parameter (a table and the pairs plot of ``plausible.parquet``), the
waves, and the held-out year when there is one. Figures are embedded as PNG and the page
uses the report's stylesheet (:data:`sim.report.CSS`), so it reads like ``caresim report``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import atomic
from .figure_html import embed
from .plots.calibration import pairs_figure, targets_figure
from .report import CSS
from .report_sections import esc


def _num(x) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _table(head: list[str], rows: list[list]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return ("<div class=table-wrap><table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head)
            + f"</tr>{cells}</table></div>")


def render(result: dict, plausible: pd.DataFrame, region: pd.DataFrame) -> str:
    """The HTML of the page."""
    targets = [[k, _num(t["observed"]), _num(t["sd"]), _num(t["model_mean"]),
                f"{_num(t['model_low'])} to {_num(t['model_high'])}",
                f"{(t['model_mean'] - t['observed']) / t['sd']:+.1f}"]
               for k, t in result["targets"].items()]
    params = [[k, _num(p["estimate"]), f"{_num(p['low'])} to {_num(p['high'])}",
               f"{_num(p['prior_low'])} to {_num(p['prior_high'])}"]
              for k, p in result["params"].items()]
    waves = [[w["wave"], w["points"], w["runs_done"], w["runs_skipped"],
              f"{w['nroy_share']:.1%}", f"{w['seconds']:.0f} s"] for w in result["waves"]]
    parts = [f"<h1>Calibration of {esc(result['config'])}</h1>",
             f"<p class=meta>History matching: {result['evaluated_points']} points evaluated "
             f"x {result['replications']} replication(s); implausibility cut-off "
             f"{result['cutoff']:g} on the {esc(result['implausibility'])}; "
             f"{esc(result['stopped'])}; {result['nroy_share']:.1%} of the prior box still "
             f"plausible, {result['plausible_points']} evaluated points in it.</p>"]
    if result["plausible_points"] == 0:
        parts.append("<p class=note>No evaluated point is plausible: the model cannot match "
                     "every target at once within the box. The estimate is the point that "
                     "came closest; widen the box or state a model discrepancy.</p>")
    parts += ["<h2>Targets against the model</h2>",
              _table(["target", "observed", "sd", "model at estimate",
                      "model 95% (plausible runs)", "sds off"], targets),
              embed(targets_figure(result), "targets against the model",
                   "Each target in its own observation sds: the observed value +- 2 sd (grey), "
                   "95% of single runs at the plausible evaluated points (blue; at the "
                   "estimate when none is plausible) and the mean at the estimate (orange)."),
              "<h2>Plausible parameter values</h2>",
              _table(["parameter", "estimate", "plausible range", "prior range"], params),
              embed(pairs_figure(plausible, result["params"], region),
                   "pairs plot of the plausible region",
                   "Grey: a uniform sample of the parameter values the emulators do not rule "
                   "out (region.parquet), with each parameter's histogram; dots: evaluated "
                   "points still plausible (plausible.parquet; darker = closer to the "
                   "targets); cross: the estimate; dashed: the plausible range."),
              "<h2>Waves</h2>",
              _table(["wave", "points", "runs done", "runs on disk", "box still plausible",
                      "time"], waves)]
    if result.get("holdout"):
        h = result["holdout"]
        rows = [[k, _num(t["observed"]), _num(t["sd"]), f"{_num(t['model_low'])} to "
                 f"{_num(t['model_high'])}", "yes" if t["covered"] else "no"]
                for k, t in h["targets"].items()]
        parts += [f"<h2>Held-out year {h['year']}</h2>",
                  f"<p>Coverage: {h['coverage']:.0%} of the held-out targets fall inside the "
                  "calibrated model's 95% range.</p>",
                  _table(["target", "observed", "sd", "predicted 95%", "covered"], rows)]
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Calibration"
            f"</title><style>{CSS}</style></head><body><main>{''.join(parts)}</main></body>"
            "</html>\n")


def write_report(out: Path, result: dict) -> Path:
    """Write ``out/calibration.html`` (atomically) from the calibration's outputs."""
    plausible = pd.read_parquet(out / "plausible.parquet")
    region = pd.read_parquet(out / "region.parquet")
    return atomic.write_text(out / "calibration.html", render(result, plausible, region))
