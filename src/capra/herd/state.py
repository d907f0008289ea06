"""Herd state: one registry of per-animal fields, stored as a struct of NumPy arrays.

Each row is one animal of one replicate; several replicates share the arrays (the ``rep``
field tells them apart), so every daily process is one vectorized pass over all of them.
Births and arrivals append rows; removed animals (dead, sold, culled) are flagged and
dropped in bulk by :meth:`HerdState.compact`, which groups the remaining rows by replicate
(in their order within a replicate).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: "Never" for the day of the last kidding: far enough in the past that any day minus it
#: is larger than every interval, and no arithmetic on it overflows int32.
NEVER = -100_000_000
#: The last day a day field holds (a day of death or dry-off that never comes). [day]
LAST_DAY = int(np.iinfo(np.int32).max)

#: Field name -> (dtype, fill value for new rows). Days are simulation days; -1 = none.
FIELDS: dict[str, tuple[type, object]] = {
    "uid": (np.int64, -1),            # animal id, unique within a replicate
    "rep": (np.int32, 0),             # replicate index within the batch
    "loc": (np.int16, 0),             # location index (farm or quarantine station)
    "cell": (np.int32, 0),            # rep * n_locations + loc, kept in step with loc
    "sex": (np.int8, 0),              # 0 female, 1 male
    "birth": (np.int32, 0),           # day of birth (negative: before the start)
    "parity": (np.int16, 0),          # number of kiddings
    "group": (np.int8, 0),            # breeding group index
    "due": (np.int32, -1),            # kidding day of the current pregnancy, -1 open
    "abort_day": (np.int32, -1),      # day the current pregnancy aborts, -1 never
    "kidded": (np.int32, NEVER),      # day of the last kidding (may be before day 0)
    "lactating": (np.bool_, False),
    "dry_day": (np.int32, -1),        # day the current lactation ends (dry-off rules)
    "failed": (np.int8, 0),           # breeding windows ended open, since the last kidding
    "effect": (np.float32, 1.0),      # milk animal effect (lognormal, mean 1) [-]
    "death_day": (np.int32, LAST_DAY),  # day of death (drawn at entry)
    "cull_day": (np.int32, -1),       # day of involuntary culling, -1 none
    "quarantine_end": (np.int32, -1),  # last day in quarantine, -1 none
    "batch": (np.int16, -1),          # arrival batch index, -1 born in the herd
    "kept": (np.bool_, False),        # retained at the replacement decision (or bought)
    "infection": (np.uint8, 0),       # infected with tested disease d: bit d (health)
    "alive": (np.bool_, True),        # still in the herd
    "next_day": (np.int32, -1),       # next day with something on its agenda, or sooner
    # feed (capra.herd.feeding): nil while the feed covers the requirements
    "lag": (np.float32, 0.0),         # days of growth missed for want of feed [days]
    "lost_kg": (np.float32, 0.0),     # body weight lost to cover energy shortfalls [kg]
    "intake": (np.float32, 1.0),      # share of the energy requirement fed yesterday [-]
    "conceptus_short_mj": (np.float32, 0.0),  # conceptus ME withheld, this pregnancy [MJ]
}

#: The fields' whole buffers as one record (:meth:`HerdState.rows`), for compiled rules
#: that change animals and append new ones: a field by its name, as in :data:`FIELDS`.
#: The buffers run past the herd's rows (there, the fill values): a rule that reads every
#: row reads the first ``len(state)``.
Rows = NamedTuple("Rows", [(name, np.ndarray) for name in FIELDS])


class HerdState:
    """Struct of arrays holding every animal of a batch of replicates.

    Each field is a view of the first ``len(self)`` rows of a larger buffer, so appending
    the day's newborns does not copy the whole herd (buffers grow geometrically). The
    buffers' rows past ``len(self)`` hold the fill values of :data:`FIELDS`.
    """

    def __init__(self, n_replicates: int, n_locations: int, capacity: int = 1024,
                 n_groups: int = 1):
        self._buf = {name: np.full(capacity, fill, dtype=dtype)
                     for name, (dtype, fill) in FIELDS.items()}
        self._n = 0
        self.n_replicates = n_replicates
        self.n_locations = n_locations
        #: does made pregnant by service in the current window of each breeding group,
        #: per replicate and location (the bucks' season), (R, L, G)
        self.mated = np.zeros((n_replicates, n_locations, n_groups), np.int64)
        #: next free animal id of each replicate
        self.next_uid = np.zeros(n_replicates, dtype=np.int64)
        #: rows of the animals that arrived today (set by the arrivals, read by the culls)
        self.arrived = np.empty(0, dtype=np.int64)
        #: rows with something on their agenda today and what (capra.herd.kernels.agenda)
        self.agenda = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int8))
        #: stocks and flags of the feeding (capra.herd.feeding.FeedState), None: feed off
        self.feed = None
        #: rows below ``grouped`` are grouped by replicate (by the last compaction), those
        #: of replicate r from ``rep_rows[r]`` to ``rep_rows[r + 1]``
        self.grouped = 0
        self.rep_rows = np.zeros(n_replicates + 1, np.int64)
        self._view()

    def _view(self) -> None:
        for name, buf in self._buf.items():
            setattr(self, name, buf[:self._n])

    def __len__(self) -> int:
        return self._n

    def _reserve(self, n: int) -> None:
        cap = next(iter(self._buf.values())).size
        if n <= cap:
            return
        new_cap = max(n, int(cap * 1.5) + 1024)
        for name, (dtype, fill) in FIELDS.items():
            buf = np.full(new_cap, fill, dtype=dtype)
            buf[:self._n] = self._buf[name][:self._n]
            self._buf[name] = buf
        self._view()

    def append(self, rep: np.ndarray, **values) -> np.ndarray:
        """Append animals; returns their row indices.

        ``rep`` gives each new animal's replicate; ids are assigned per replicate in the
        order given. Fields not given take their fill value.
        """
        rep = np.asarray(rep, dtype=np.int32)
        n = rep.size
        if n == 0:
            return np.empty(0, dtype=np.int64)
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise KeyError(f"unknown herd fields: {sorted(unknown)}")
        # ids: next_uid[rep] + rank of the animal among the new ones of its replicate
        order = np.argsort(rep, kind="stable")
        counts = np.bincount(rep, minlength=self.n_replicates)
        starts = np.cumsum(counts) - counts
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n) - np.repeat(starts, counts)
        uid = self.next_uid[rep] + rank
        self.next_uid += counts
        first = self._n
        self._reserve(first + n)
        rows = slice(first, first + n)
        loc = np.broadcast_to(np.asarray(values.get("loc", 0), dtype=np.int64), (n,))
        for name, (dtype, fill) in FIELDS.items():
            buf = self._buf[name]
            if name == "uid":
                buf[rows] = uid
            elif name == "rep":
                buf[rows] = rep
            elif name == "cell":
                buf[rows] = rep.astype(np.int64) * self.n_locations + loc
            elif name in values:
                buf[rows] = values[name]
            else:
                buf[rows] = fill
        self._n = first + n
        self._view()
        return np.arange(first, first + n)

    def rows(self, room: int) -> Rows:
        """The fields' whole buffers, with room for ``room`` more rows (past ``len(self)``,
        holding the fill values): a compiled rule appends animals by writing the fields
        that differ from the fills there, then :meth:`take` counts them in."""
        self._reserve(self._n + room)
        return Rows(**self._buf)

    def take(self, n: int) -> np.ndarray:
        """Count in the ``n`` rows a compiled rule appended past ``len(self)`` (with room
        made by :meth:`rows`); returns their row indices."""
        first = self._n
        self._n = first + n
        self._view()
        return np.arange(first, first + n)

    def spans(self, reps: np.ndarray) -> np.ndarray:
        """Rows that hold every animal of the replicates ``reps`` (sorted, distinct), as
        (start, stop) pairs in row order: their rows grouped by the last compaction, and
        the rows appended since. [rows]"""
        first = self.rep_rows[reps]
        stop = self.rep_rows[reps + 1]
        return np.stack([np.append(first, self.grouped),
                         np.append(stop, self._n)], axis=1)

    def soon(self, idx, day) -> None:
        """Animals ``idx`` have something on their agenda on ``day`` (one, or one each):
        their ``next_day`` is made no later (:func:`capra.herd.kernels.agenda`)."""
        self.next_day[idx] = np.minimum(self.next_day[idx], day)

    def move(self, idx, loc) -> None:
        """Move animals ``idx`` to location(s) ``loc``."""
        self.loc[idx] = loc
        self.cell[idx] = self.rep[idx].astype(np.int64) * self.n_locations + self.loc[idx]

    def compact(self) -> None:
        """Drop removed animals and group the rows by replicate, keeping the order of the
        rows of each replicate.

        No result depends on the order of rows of different replicates (every sum is over
        the rows of one replicate in row order, every draw is keyed by the animal); rows
        grouped by replicate read their replicate's own tables (milk, death clocks, under
        parameter uncertainty) while these are in the processor's cache.
        """
        keep = np.flatnonzero(self.alive)
        order = keep[np.argsort(self.rep[keep], kind="stable")]
        m = order.size
        for name, buf in self._buf.items():
            buf[:m] = buf[:self._n][order]
            buf[m:self._n] = FIELDS[name][1]
        self._n = self.grouped = m
        self.rep_rows = np.searchsorted(self._buf["rep"][:m], np.arange(self.n_replicates + 1))
        self._view()
