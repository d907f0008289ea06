"""Herd state: one registry of per-animal fields, stored as a struct of NumPy arrays.

Each row is one animal of one replicate; several replicates share the arrays (the ``rep``
field tells them apart), so every daily process is one vectorized pass over all of them.
Births and arrivals append rows; removed animals (dead, sold, culled) are flagged and
dropped in bulk by :meth:`HerdState.compact`, which keeps the order of the remaining rows.
"""

from __future__ import annotations

import numpy as np

#: Field name -> (dtype, fill value for new rows). Days are simulation days; -1 = none.
FIELDS: dict[str, tuple[type, object]] = {
    "uid": (np.int64, -1),            # animal id, unique within a replicate
    "rep": (np.int32, 0),             # replicate index within the batch
    "loc": (np.int16, 0),             # location index (farm or quarantine station)
    "cell": (np.int64, 0),            # rep * n_locations + loc, kept in step with loc
    "sex": (np.int8, 0),              # 0 female, 1 male
    "birth": (np.int32, 0),           # day of birth (negative: before the start)
    "parity": (np.int16, 0),          # number of kiddings
    "group": (np.int8, 0),            # breeding group index
    "due": (np.int32, -1),            # kidding day of the current pregnancy, -1 open
    "abort_day": (np.int32, -1),      # day the current pregnancy aborts, -1 never
    "kidded": (np.int32, -1),         # day of the last kidding, -1 never
    "lactating": (np.bool_, False),
    "failed": (np.int8, 0),           # breeding windows ended open, since the last kidding
    "effect": (np.float32, 1.0),      # milk animal effect (lognormal, mean 1) [-]
    "death_day": (np.int32, np.iinfo(np.int32).max),  # day of death (drawn at entry)
    "cull_day": (np.int32, -1),       # day of involuntary culling, -1 none
    "quarantine_end": (np.int32, -1),  # last day in quarantine, -1 none
    "batch": (np.int16, -1),          # arrival batch index, -1 born in the herd
    "kept": (np.bool_, False),        # retained at the replacement decision (or bought)
    "alive": (np.bool_, True),        # still in the herd
}


class HerdState:
    """Struct of arrays holding every animal of a batch of replicates."""

    __slots__ = tuple(FIELDS) + ("n_replicates", "n_locations", "next_uid")

    def __init__(self, n_replicates: int, n_locations: int):
        for name, (dtype, _) in FIELDS.items():
            setattr(self, name, np.empty(0, dtype=dtype))
        self.n_replicates = n_replicates
        self.n_locations = n_locations
        #: next free animal id of each replicate
        self.next_uid = np.zeros(n_replicates, dtype=np.int64)

    def __len__(self) -> int:
        return self.uid.size

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
        first = len(self)
        loc = np.broadcast_to(np.asarray(values.get("loc", 0), dtype=np.int64), (n,))
        for name, (dtype, fill) in FIELDS.items():
            if name == "uid":
                new = uid
            elif name == "rep":
                new = rep
            elif name == "cell":
                new = rep.astype(np.int64) * self.n_locations + loc
            elif name in values:
                new = np.broadcast_to(np.asarray(values[name], dtype=dtype), (n,))
            else:
                new = np.full(n, fill, dtype=dtype)
            setattr(self, name, np.concatenate([getattr(self, name), new.astype(dtype)]))
        return np.arange(first, first + n)

    def move(self, idx, loc) -> None:
        """Move animals ``idx`` to location(s) ``loc``."""
        self.loc[idx] = loc
        self.cell[idx] = self.rep[idx].astype(np.int64) * self.n_locations + self.loc[idx]

    def compact(self) -> None:
        """Drop removed animals, keeping the order of the others."""
        keep = self.alive
        if keep.all():
            return
        for name in FIELDS:
            setattr(self, name, getattr(self, name)[keep])
