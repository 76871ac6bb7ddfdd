"""The ``caresim`` command line: every subcommand, its options and its handler, in one place.

A thin wrapper over the Python API (:func:`sim.load_config`, :func:`sim.run`,
:func:`sim.compare`, :func:`sim.sweep.run_sweep` ...) so that everything the command line does
can also be done from Jupyter. User mistakes (a missing file, bad TOML, an unknown or
out-of-range field, a malformed ``--set`` or option, an ``--out`` that holds something else)
become one line per problem on stderr and exit code 2, never a traceback; Ctrl-C exits with 130
and leaves no partial results folder.

Modules: :mod:`~sim.cli.options` (the parser, option types and shared options),
:mod:`~sim.cli.runs` (init, run, compare, validate), :mod:`~sim.cli.places` (place new,
place build), :mod:`~sim.cli.sweeps` (sweep, analyse, case), :mod:`~sim.cli.calibrate`
(calibrate), :mod:`~sim.cli.stress` (stress) and :mod:`~sim.cli.figures` (plot, report).
Each subcommand is added by one ``add_<name>(sub)`` function listed in :data:`SUBCOMMANDS`;
handlers import the simulation only when they run, so ``caresim --help`` and usage errors
answer at once.
"""

from __future__ import annotations

import os
import sys

from .. import __version__
from ..config import ConfigError
from . import calibrate, figures, places, runs, stress, sweeps
from .options import Parser

#: Functions adding one subcommand each, in the order ``caresim --help`` lists them.
SUBCOMMANDS = (runs.add_init, places.add_place, runs.add_run, runs.add_compare,
               runs.add_validate, figures.add_plot, figures.add_report, sweeps.add_sweep,
               sweeps.add_analyse, sweeps.add_case, calibrate.add_calibrate,
               stress.add_stress)


def build_parser() -> Parser:
    """The ``caresim`` argument parser with every subcommand in :data:`SUBCOMMANDS`."""
    parser = Parser(
        prog="caresim", description="Simulate older people's health and social care flows "
        "under fragmented and pooled funding.")
    parser.add_argument("--version", action="version", version=f"caresim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (2: user mistake, 130: interrupted).

    Parameters
    ----------
    argv : arguments without the program name (default: ``sys.argv[1:]``).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and argparse usage errors
        return exc.code if isinstance(exc.code, int) else 0
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ConfigError as err:
        print("\n".join(err.lines), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; no results written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
