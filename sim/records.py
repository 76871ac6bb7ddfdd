"""Tidy DataFrames from the records the engine appends during a run.

The event log and the ledger (episodes and delay stretches) are kept by column (``array``),
text as 2-byte codes (:class:`CodedText`); other callers pass one tuple per row. Turning
hundreds of thousands of rows into a DataFrame row by row (``pd.DataFrame(rows)``) first boxes
every cell into one 2-D object array; building it column by column (:func:`column_array`) is
several times faster and infers the same dtypes."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from operator import itemgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def records_frame(records: Sequence[Sequence], columns: Sequence[str]) -> pd.DataFrame:
    """DataFrame of ``records`` (one row each), with the dtypes ``pd.DataFrame(records)`` infers.

    A column of strings becomes pandas' ``str`` dtype (Arrow-backed), one of ints ``int64``,
    one of numbers with any float ``float64``; any other column (mixed or ``None``) is left to
    pandas' own inference. Pandas and pyarrow are imported here, after the run, so the engine
    does not pay for them at start-up.
    """
    import pandas as pd

    if not records:
        return pd.DataFrame(list(records), columns=list(columns))
    data = {name: column_array(list(map(itemgetter(j), records)))
            for j, name in enumerate(columns)}
    return pd.DataFrame(data, copy=False)


def column_array(values: list):
    """One frame column of ``values`` with the dtype ``pd.DataFrame(records)`` infers (see
    :func:`records_frame`)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    if isinstance(values[0], str):
        try:
            return pd.array(pa.array(values, type=pa.large_string()), dtype="str")
        except (pa.ArrowTypeError, pa.ArrowInvalid):   # not all strings
            pass
    else:
        array = np.array(values)
        if array.dtype.kind in "iuf":
            return array
    return pd.Series(values).array


class CodedText:
    """A column of short texts kept as 2-byte codes into a list of the distinct texts (a
    ledger's payers, an event log's kinds): 2 bytes a row instead of an 8-byte reference."""

    __slots__ = ("codes", "names", "_code_of")

    def __init__(self):
        self.codes = array("H")
        self.names: list[str] = []               # code -> text
        self._code_of: dict[str, int] = {}

    def append(self, text: str) -> None:
        code = self._code_of.get(text)
        if code is None:
            code = self._code_of[text] = len(self.names)
            self.names.append(text)
        self.codes.append(code)

    def __getitem__(self, row: int) -> str:
        return self.names[self.codes[row]]

    def code(self, text: str) -> int | None:
        """The code of ``text``, None if it never occurred."""
        return self._code_of.get(text)

    def frame_column(self):
        """Every row's text as a frame column, as :func:`records_frame` builds one."""
        return column_array(self.values().tolist())

    def values(self):
        """Every row's text, as a numpy object array."""
        import numpy as np

        names = np.array(self.names, dtype=object)
        return names[np.frombuffer(self.codes, dtype=np.uint16)] if len(names) else names
