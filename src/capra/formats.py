"""How numbers are written for people: in the reports and on the terminal.

One set of rules, so that a figure reads the same in ``report.html``, in the tables of the
reports and in the ``summary()`` of a result printed on the terminal.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["number", "quantity", "text_table"]


def _missing(value) -> bool:
    return value is None or (isinstance(value, (float, np.floating))
                             and not math.isfinite(value))


def quantity(value) -> str:
    """A measured or simulated quantity with precision suited to its size (no decimals
    from 100, one from 10, else two), thousands separated; missing or not finite: a dash.

    >>> quantity(1234.5), quantity(12.34), quantity(0.5), quantity(float("nan"))
    ('1,234', '12.3', '0.50', '–')
    """
    if _missing(value):
        return "–"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def number(value) -> str:
    """A count or a planned amount: integers whole, other numbers with one decimal from
    10 and three significant digits below; missing or not finite: a dash.

    >>> number(1234), number(207.44), number(0.51234), number(None)
    ('1,234', '207.4', '0.512', '–')
    """
    if _missing(value):
        return "–"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.3g}"


def text_table(table: pd.DataFrame) -> str:
    """A table of figures as aligned text for the terminal: the index (the metrics, with
    their units) on the left, then each column right-aligned, numbers written by
    :func:`quantity` (text as it is).

    >>> import pandas as pd
    >>> print(text_table(pd.DataFrame({"p10": [1234.5, 0.5], "p50": [1500.0, None]},
    ...                               index=pd.Index(["head [head]", "share [-]"],
    ...                                              name="metric"))))
    metric         p10    p50
    head [head]  1,234  1,500
    share [-]     0.50      –
    """
    def cell(value) -> str:
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
                value, (bool, np.bool_)):
            return quantity(value)
        return "–" if value is None else str(value)

    rows = [[str(table.index.name or ""), *map(str, table.columns)]]
    rows += [[str(key), *map(cell, values)] for key, values in zip(
        table.index, table.itertuples(index=False, name=None))]
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    return "\n".join("  ".join([row[0].ljust(widths[0])]
                                + [v.rjust(w) for v, w in zip(row[1:], widths[1:])]).rstrip()
                      for row in rows)
