"""Backtest: the stored outputs of a few arrangements on a small place are reproduced exactly.

The engine may be reorganised and made faster, but the same model with the same random numbers
must give the same numbers: every KPI and every row of the daily, cost, budget,
cost-shifting and discharge tables (``tests/backtest/``, written by
``tests/backtest/make_backtest.py``).
When a change is meant to move results, re-store the backtest and say in the commit why.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.backtest.make_backtest import CASES, HERE, outputs


@pytest.mark.parametrize("name", sorted(CASES))
def test_redesign_reproduces_the_stored_backtest(name):
    for table, frame in outputs(name).items():
        stored = pd.read_parquet(HERE / f"{name}__{table}.parquet")
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), stored, check_exact=True,
                                      obj=f"{name} {table}")
