"""Counter-based random numbers for the herd simulator.

Every random draw is a pure function of (replicate key, process, animal id, day, slot):
the replicate keys come from one :class:`numpy.random.SeedSequence`, spawned once per
replicate, and each process has its own named stream derived from the replicate's child
sequence. Because a draw does not depend on how many other animals or replicates share the
arrays, the same seed gives the same numbers whether replicates run one by one, in batches,
in separate processes or on a cluster; and two scenarios that differ in one rule see the same
random numbers elsewhere (common random numbers).

The mixing function is the 64-bit finaliser of MurmurHash3 (Appleby), applied twice; its
output passes the usual uniformity tests for the purpose here (see tests/herd/test_rng.py).
"""

from __future__ import annotations

import zlib

import numpy as np

from capra.herd.compiled import compiled

_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_K_DAY = np.uint64(0xD1B54A32D192ED03)
_K_SLOT = np.uint64(0x8CB92BA72F3D8DD7)
_S33 = np.uint64(33)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53

#: The named random streams, one per process. Adding a name does not change the others.
PROCESSES = ("arrival", "mortality", "culling", "breeding", "gestation", "kidding",
             "lactation", "grouping", "replacement", "transfer", "bucks", "health",
             "outbreaks", "feeding")


@compiled()
def _fmix(x):
    x ^= x >> _S33
    x *= _M1
    x ^= x >> _S33
    x *= _M2
    x ^= x >> _S33
    return x


@compiled()
def draw(key, uid, day, slot):
    """One uniform number on [0, 1) of stream ``key`` for animal ``uid``, ``day`` and
    ``slot`` (the draw of :func:`uniform`, for compiled passes)."""
    x = _fmix(np.uint64(uid) * _GOLD + np.uint64(key))
    x = _fmix(x + np.uint64(day) * _K_DAY + np.uint64(slot) * _K_SLOT)
    return np.float64(x >> _S11) * _INV53


@compiled()
def _uniform(key, uid, day, slot, out):
    """The draws of :func:`uniform`, element by element: 1-d arrays of the length of
    ``out``, or of length 1 (the same value for every element)."""
    k, u = int(key.size > 1), int(uid.size > 1)
    d, s = int(day.size > 1), int(slot.size > 1)
    for i in range(out.size):
        out[i] = draw(key[i * k], uid[i * u], day[i * d], slot[i * s])


def replicate_keys(seed: int | np.random.SeedSequence, replicates: int | np.ndarray,
                   processes: tuple[str, ...] = PROCESSES) -> dict[str, np.ndarray]:
    """Keys of the named streams of each replicate.

    Parameters
    ----------
    seed
        The run's seed (an integer or a SeedSequence).
    replicates
        Number of replicates, or the indices of the replicates wanted (a replicate's keys do
        not depend on which other replicates are asked for).

    Returns
    -------
    ``{process: uint64 array}``, one key per replicate.
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    idx = np.arange(replicates) if np.isscalar(replicates) else np.asarray(replicates)
    n = int(idx.max()) + 1 if idx.size else 0
    # the children spawn() would make, built directly so that repeated calls agree
    children = [np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, i))
                for i in range(n)]
    keys: dict[str, np.ndarray] = {}
    for name in processes:
        tag = zlib.crc32(name.encode())
        keys[name] = np.array(
            [np.random.SeedSequence(children[i].entropy,
                                    spawn_key=(*children[i].spawn_key, tag)).generate_state(
                1, np.uint64)[0] for i in idx], dtype=np.uint64)
    return keys


def uniform(key: np.ndarray, uid: np.ndarray, day: int | np.ndarray, slot: int = 0) -> np.ndarray:
    """Uniform numbers on [0, 1), one per element.

    Parameters
    ----------
    key
        Stream key per element (``keys[process][replicate]``). [uint64]
    uid
        Animal id per element (unique within a replicate).
    day
        Simulation day (scalar or per element).
    slot
        Distinguishes several draws of one process for the same animal and day.
    """
    arrays = [np.asarray(key, np.uint64), np.asarray(uid, np.int64),
              np.asarray(day, np.int64), np.asarray(slot, np.int64)]
    k, u, d, s = arrays
    if k.ndim == 1 and u.shape == k.shape and d.ndim == 0 and s.ndim == 0:
        out = np.empty(k.size)           # the usual call: one key and id per animal
        _uniform(k, u, d.reshape(1), s.reshape(1), out)
        return out
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    if len(shape) > 1 or any(a.size not in (1, max(shape, default=1)) for a in arrays):
        arrays = np.broadcast_arrays(*arrays)        # the compiled loop takes 1-d arrays
    arrays = [np.ravel(a) for a in arrays]
    out = np.empty(shape)
    _uniform(*arrays, out.reshape(-1))
    return out


def exponential(key, uid, day, slot: int = 0) -> np.ndarray:
    """Standard exponential numbers (mean 1), one per element."""
    return -np.log1p(-uniform(key, uid, day, slot))


def normal(key, uid, day, slot: int = 0) -> np.ndarray:
    """Standard normal numbers, one per element (inverse CDF)."""
    from scipy.special import ndtri
    u = uniform(key, uid, day, slot)
    return ndtri(np.clip(u, 1e-16, 1 - 1e-16))
