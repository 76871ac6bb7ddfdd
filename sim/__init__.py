"""caresim: discrete-event simulation of older people's care under different funding rules.

Quick use from Python or Jupyter::

    import sim
    cfg = sim.load_config("configs/pooled.toml")
    res = sim.run(cfg, replications=10, seed=1)
    big = sim.scaled(cfg, 9.06)   # the same place with 500,000 people (sim.scaling)
    res.summary            # KPI means with 95% intervals
    res.daily              # time-weighted daily occupancy, tidy
    res.save("results/my-run")
"""

from importlib import import_module

from .config import ConfigError, Scenario, load_config, with_overrides
from .scaling import scaled

__all__ = ["ConfigError", "Results", "Scenario", "compare", "load_config", "paired_differences",
           "run", "scaled", "with_overrides"]
__version__ = "0.2.0"

#: Loaded on first use, so that ``caresim --help`` and a usage error do not wait for pandas,
#: scipy and the engine to import.
_LAZY = {"Results": "results", "compare": "experiments", "paired_differences": "experiments",
         "run": "experiments"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
