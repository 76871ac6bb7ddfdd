"""``caresim place new`` and ``place build``: set caresim up from a place's published figures.

``place new NAME`` writes ``places/NAME/place.toml``, a commented template of the figures a
place holds or can download, each naming its public source (:mod:`sim.place`); ``place build
NAME`` turns it into a validated config and calibration targets (:mod:`sim.place_build`), or
lists every contradiction at once, one line each, with exit code 2.
"""

from __future__ import annotations

import argparse


def add_place(sub) -> None:
    """Register ``caresim place`` and its ``new`` and ``build`` subcommands."""
    p = sub.add_parser(
        "place", help="set caresim up from your own place's published figures",
        description="Write a place's figures template (place new), then turn it into a config "
        "and calibration targets (place build).")
    steps = p.add_subparsers(dest="place_command", metavar="STEP", required=True)
    new = steps.add_parser(
        "new", help="write places/NAME/place.toml: the figures template",
        description="Write FOLDER/place.toml (default places/NAME): a commented template of "
        "the figures a place holds or can download (residents by age band, living alone, "
        "beds and occupancy, intermediate care, home care, care homes, assessors, budgets, "
        "the Better Care Fund / Section 75 pool) and the figures it observes, each line naming "
        "the public table it comes from. Example values are the default place's. Writes only "
        "into a new or empty folder.")
    new.add_argument("name", metavar="NAME", help="name of the place (and of its config)")
    new.add_argument("--dir", metavar="DIR", help="folder to write (default: places/NAME)")
    new.set_defaults(func=cmd_place_new)
    build = steps.add_parser(
        "build", help="turn places/NAME/place.toml into a config and targets.toml",
        description="Read FOLDER/place.toml (default places/NAME), check it (every figure "
        "that contradicts another is one line, all at once, exit code 2), and write a "
        "validated config (the fragmented default scaled to the place's people aged 65+, with "
        "the place's figures; a non-empty pool scope pools those services) and "
        "FOLDER/targets.toml (the observed figures as [targets.KPI] tables with value and sd).")
    build.add_argument("name", metavar="NAME", help="name of the place")
    build.add_argument("--dir", metavar="DIR", help="the place's folder (default: places/NAME)")
    build.add_argument("--out", metavar="CONFIG.toml",
                       help="config file to write (default: FOLDER/NAME.toml); replaces only a "
                       "file place build wrote")
    build.set_defaults(func=cmd_place_build)


def cmd_place_new(args: argparse.Namespace) -> int:
    """Write the template and say what to do next."""
    from ..place import new_place
    path = new_place(args.name, args.dir)
    print(f"wrote {path}: the figures template, with the default place's example values")
    print("next: replace the figures with your place's (each line names its source), then")
    where = f" --dir {args.dir}" if args.dir else ""
    print(f"  caresim place build {args.name}{where}")
    return 0


def cmd_place_build(args: argparse.Namespace) -> int:
    """Build the config and targets; print what came from where and what to run next."""
    from ..place_build import build_place
    built = build_place(args.name, args.dir, args.out)
    size = built.config.population.size
    print(f"wrote {built.config_path}: {built.config.funding.arrangement}, {size:,} people "
          f"aged 65+ ({built.factor:.3g} x the default place); {built.from_place} fields from "
          "place.toml, the rest the default place's per person")
    print(f"wrote {built.targets_path}: {built.targets} calibration targets; "
          f"{built.skipped} observed figures skipped (no KPI; listed in the file)")
    print("next:")
    print(f"  caresim validate {built.config_path}")
    print(f"  caresim run {built.config_path}")
    return 0
