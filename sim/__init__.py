"""caresim: discrete-event simulation of older people's care under different funding rules.

Quick use from Python or Jupyter::

    import sim
    cfg = sim.load_config("configs/pooled.toml")
    res = sim.run(cfg, replications=10, seed=1)
    res.summary            # KPI means with 95% intervals
    res.daily              # time-weighted daily occupancy, tidy
    res.save("results/my-run")
"""

from .config import ConfigError, Scenario, load_config, with_overrides
from .experiments import compare, paired_differences, run
from .results import Results

__all__ = ["ConfigError", "Results", "Scenario", "compare", "load_config", "paired_differences",
           "run", "with_overrides"]
__version__ = "0.1.0"
