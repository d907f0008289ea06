"""The state of one import inside its transaction, which the import's steps
(:mod:`capra.store.io.imports`) and the integrity rules (:mod:`capra.store.io.rules`)
share: the connection, the kind, the file's typed rows, the problems found so far and the
records read so far."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from capra.store import schema as S
from capra.store.io.exports import key_map, read_records

if TYPE_CHECKING:
    from capra.store.io.kinds import Kind
    from capra.store.io.validate import Problems

__all__ = ["LOOKED_UP", "ImportContext"]

#: Most distinct values an import looks its records up by (``IN``): a form's row or a
#: day's records read only the records they concern; a bigger file reads each table it
#: needs once. Below the 999 values SQLite took in one statement before version 3.32; by
#: value is the faster up to several thousand (1,000,000 test days of 10,000 does: 100,
#: 1,000, 3,000 and 10,000 animals' test days imported in 0.12, 0.6, 1.9 and 5.5 s by
#: value, 5.0-5.1 s reading whole tables). [values]
LOOKED_UP = 900


class ImportContext:
    """State of one import inside its transaction: the connection, the kind, the typed rows
    of the file (``val``), the problems found so far (``P``), the rows identical to a
    record (``unchanged``) and the records read so far (cached by table)."""

    def __init__(self, conn: Connection, kind: Kind, val: pd.DataFrame, P: Problems):
        self.conn = conn
        self.kind = kind
        self.val = val
        self.P = P
        self.unchanged = pd.Index([], dtype="int64")
        self.maps: dict[str, dict[str, int]] = {}
        self._cache: dict[str, pd.DataFrame] = {}

    def keymap(self, ref: str) -> dict[str, int]:
        """``{natural key: id}`` of the records of kind ``ref``."""
        if ref not in self.maps:
            self.maps[ref] = key_map(self.conn, ref)
        return self.maps[ref]

    def table(self, name: str) -> pd.DataFrame:
        """The records of table ``name`` (:func:`~capra.store.io.exports.read_records`)."""
        if name not in self._cache:
            self._cache[name] = read_records(self.conn, S.metadata.tables[name])
        return self._cache[name]

    def records(self, name: str, column: str, values) -> pd.DataFrame:
        """Records of table ``name`` whose ``column`` is one of ``values``, perhaps with
        others: read by value when the values are at most :data:`LOOKED_UP` (and the
        table was not read whole before), else the whole table (:meth:`table`). For
        look-ups by ``column``; not cached."""
        values = pd.unique(pd.Series(values).dropna().to_numpy(dtype=object))
        if name in self._cache or len(values) > LOOKED_UP:
            return self.table(name)
        table = S.metadata.tables[name]
        values = [int(v) if isinstance(v, float | np.integer) else v for v in values]
        return read_records(self.conn, table, where=table.c[column].in_(values))

    def ok(self) -> pd.Series:
        """Rows not rejected so far."""
        bad = self.P.frame()["idx"].unique()
        return pd.Series(~self.val.index.isin(bad), index=self.val.index, dtype=bool)
