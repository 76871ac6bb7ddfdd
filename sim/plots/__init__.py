"""caresim figures: each function takes tidy DataFrames and returns a matplotlib Figure.

Nothing here calls ``plt.show()`` or writes files; figures are built on
:class:`matplotlib.figure.Figure` (no GUI backend). Palettes live in :mod:`sim.plots.style`
and are shared by every figure. ``KINDS`` names the figures ``caresim plot`` can write.
"""

from .catalogue import KINDS, Skip, figures
from .data import Folder, ResultsError, RunData, SweepData, detect_kind, load_folder
from .delays import delay_by_pathway, delay_survival, survival, survival_by_pathway
from .money import (
                    budget_balance,
                    cash_by_service,
                    cost_shifting,
                    cumulative_cost_difference,
                    resource_use,
)
from .outcomes import destinations, discharge_destinations, forest, setting_mix
from .sensitivity import lhs_scatter, morris, sobol, tornado
from .style import DELAY_COLOURS, PAYER_COLOURS, SERIES_COLOURS, SERVICE_COLOURS, SETTING_COLOURS
from .timeseries import bed_use, care_settings

__all__ = [
    "DELAY_COLOURS", "KINDS", "PAYER_COLOURS", "SERIES_COLOURS", "SERVICE_COLOURS",
    "SETTING_COLOURS", "Folder", "ResultsError", "RunData", "Skip", "SweepData", "bed_use",
    "budget_balance", "care_settings", "cash_by_service", "cost_shifting",
    "cumulative_cost_difference", "delay_by_pathway", "delay_survival", "destinations",
    "detect_kind", "discharge_destinations",
    "figures", "forest", "lhs_scatter", "load_folder", "morris", "resource_use", "setting_mix",
    "sobol", "survival", "survival_by_pathway", "tornado",
]
