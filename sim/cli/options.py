"""Building blocks of the command line: the one-line-error parser, option types, shared options.

Every argparse type and every option that more than one subcommand takes lives here, so that
``run``/``compare`` and ``sweep``/``case`` offer the same options with the same checks and
messages. An option type's error names the value and the allowed range; :class:`Parser`
prints it as one line (``caresim run: error: --years: expected ...``) with exit code 2.
"""

from __future__ import annotations

import argparse
import math
import os
import re

from ..config import ConfigError, parse_override
from ..schema_base import YEAR

#: Bounds of ``--years`` (as of ``run.years``): one day to 50 years.
YEARS_MIN, YEARS_MAX = 1 / YEAR, 50.0


class CliError(ConfigError):
    """A user mistake on the command line (reported like a config error, exit code 2)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: ``caresim run: error: ...``."""

    def error(self, message: str):
        message = re.sub(r"^argument ", "", message).replace("\n", " ")
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def whole_number(minimum: int, why: str = "", maximum: int | None = None):
    """An argparse type: a whole number from ``minimum`` (to ``maximum``); errors name the
    value and the range."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            allowed = f"at least {minimum}" if maximum is None else \
                f"from {minimum} to {maximum:,}"
            raise argparse.ArgumentTypeError(
                f"expected a whole number {allowed}{why}, got {text!r}")
        return value
    return parse


def years(text: str) -> float:
    """``--years``: a finite number of years from one day to 50."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not YEARS_MIN <= value <= YEARS_MAX:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"expected a number of years from one day (1/365.25 = {YEARS_MIN:.5f}) to "
            f"{YEARS_MAX:g}, got {text!r}")
    return value


SCALE_MAX = 100.0


def scale(text: str) -> float:
    """``--scale``: the size of the place relative to the config, a number above 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= SCALE_MAX:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"expected the size of the place relative to the config, a number above 0 and up "
            f"to {SCALE_MAX:g} (9.06 = 500,000 people for the default place), got {text!r}")
    return value


def add_scale_option(p: argparse.ArgumentParser) -> None:
    """``--scale F``: grow or shrink the place (sim.scaling), after every other override."""
    p.add_argument("--scale", type=scale, default=1.0, metavar="F",
                   help="multiply the place by F: people, entrants, every capacity, the teams, "
                   "budgets and pool contributions (sim.scaling.SCALED_FIELDS), after --set, "
                   "so --set values are for the config's own size (default 1)")


def add_scenario_options(p: argparse.ArgumentParser, kind: str, default_out: str) -> None:
    """Options of the commands that run scenarios (``run``, ``compare``)."""
    p.add_argument("--replications", type=whole_number(1, maximum=1000), metavar="N",
                   help="replications, 1 to 1,000 (default: the config's run.replications)")
    p.add_argument("--seed", type=whole_number(0, maximum=2**63 - 1), metavar="S",
                   help="master seed, a whole number from 0 (default: run.seed)")
    p.add_argument("--years", type=years, metavar="Y",
                   help="simulated years after the warm-up, from one day (1/365.25) to 50 "
                   "(default: the config's run.years)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a field, e.g. --set acute.beds=400 (repeatable)")
    add_scale_option(p)
    p.add_argument("--out", metavar="DIR",
                   help=f"results folder (default: {default_out}); must be new or empty, or "
                   f"a {kind} results folder with --overwrite")
    p.add_argument("--overwrite", action="store_true",
                   help=f"replace the results in --out if it holds a {kind}'s results (files "
                   "caresim did not write, e.g. your notes, are kept)")
    p.add_argument("--workers", type=whole_number(1), default=os.cpu_count() or 1, metavar="W",
                   help="processes to use (default: every core; 1 = serial)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_sweep_options(p: argparse.ArgumentParser, default_out: str) -> None:
    """Options of every command that runs a sweep (``sweep``, ``case``): --workers, --out,
    --fresh/--resume, --no-progress."""
    p.add_argument("--workers", type=whole_number(1), default=None, metavar="N",
                   help="processes (default: all cores)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"output folder (default {default_out}); must be new, empty, or a "
                   "folder of the same sweep (which resumes it)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--fresh", action="store_true",
                       help="discard the finished runs in --out and start over (only "
                       "caresim's files are deleted)")
    again.add_argument("--resume", action="store_true",
                       help="keep the finished runs in --out and run only the rest; this is "
                       "the default, the flag only says so")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def overrides(args: argparse.Namespace) -> dict:
    """Dotted overrides from ``--set`` and the shortcut flags (flags win over ``--set``)."""
    found = dict(parse_override(text) for text in args.set or [])
    for flag, key in (("years", "run.years"), ("replications", "run.replications"),
                      ("seed", "run.seed")):
        if getattr(args, flag, None) is not None:
            found[key] = getattr(args, flag)
    return found
