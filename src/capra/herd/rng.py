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

The draws and their transforms (normal, exponential, lognormal, geometric) are compiled
functions of one number each (:func:`draw`, :func:`normal_quantile`, ...), which compiled
passes call row by row; the array functions loop over them, so that both give the same
numbers to the bit. The transforms use the C library's ``log1p``, ``exp`` and ``erfc``,
not NumPy's: on processors with AVX-512, NumPy computes ``exp`` and ``log1p`` with vector
code of its own that differs from the C library in the last bit for a few per cent of
arguments.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from capra.compiled import compiled

_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_K_DAY = np.uint64(0xD1B54A32D192ED03)
_K_SLOT = np.uint64(0x8CB92BA72F3D8DD7)
_S33 = np.uint64(33)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
#: The uniform numbers given to the normal quantile are kept this far from 0 and 1. [-]
_U_EDGE = 1e-16

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


@compiled()
def normal_quantile(u):
    """The standard normal quantile of ``u`` in (0, 1).

    A start from Abramowitz & Stegun (1964, Handbook of Mathematical Functions, formula
    26.2.23; absolute error below 4.5e-4), then two Halley steps on the normal
    distribution function written with the C library's ``erfc``: within 4e-15 of SciPy's
    ``ndtri`` from 1e-16 to 1 - 1e-16 (``tests/herd/test_rng.py``). The lower half is
    computed and mirrored (``1 - u`` is exact for ``u`` from 0.5).
    """
    p = u if u < 0.5 else 1.0 - u
    t = math.sqrt(-2.0 * math.log(p))
    z = -(t - (2.515517 + t * (0.802853 + t * 0.010328))
          / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))))
    for _ in range(2):
        r = (0.5 * math.erfc(-z / _SQRT2) - p) / (math.exp(-0.5 * z * z) / _SQRT2PI)
        z -= r / (1.0 + 0.5 * z * r)
    return z if u < 0.5 else -z


@compiled()
def normal_of(u):
    """The standard normal number of a uniform ``u`` (:func:`normal_quantile`, ``u`` kept
    within ``_U_EDGE`` of 0 and 1)."""
    return normal_quantile(min(max(u, _U_EDGE), 1.0 - _U_EDGE))


@compiled()
def exponential_of(u):
    """The standard exponential number (mean 1) of a uniform ``u``: ``-log1p(-u)``."""
    return -math.log1p(-u)


@compiled()
def normal_draw(key, uid, day, slot):
    """One standard normal number: :func:`normal_of` of :func:`draw`."""
    return normal_of(draw(key, uid, day, slot))


@compiled()
def exponential_draw(key, uid, day, slot):
    """One standard exponential number: :func:`exponential_of` of :func:`draw`."""
    return exponential_of(draw(key, uid, day, slot))


@compiled()
def lognormal_of(z, sigma):
    """``exp(sigma * z - sigma**2 / 2)`` of a standard normal number ``z``: a lognormal
    number with mean 1 and log-sd ``sigma``."""
    return math.exp(sigma * z - 0.5 * sigma * sigma)


@compiled(error_model="numpy")
def geometric_wait(u, q):
    """Days until the first event of daily probability ``q`` (> 0) from a uniform ``u``:
    ``floor(log1p(-u) / log1p(-q)) + 1``, at least 1. [days]"""
    return math.floor(math.log1p(-u) / math.log1p(-q)) + 1.0


@compiled()
def _normals(u):
    for i in range(u.size):
        u[i] = normal_of(u[i])


@compiled()
def _exponentials(u):
    for i in range(u.size):
        u[i] = exponential_of(u[i])


def exponential(key, uid, day, slot: int = 0) -> np.ndarray:
    """Standard exponential numbers (mean 1), one per element (:func:`exponential_draw`)."""
    u = uniform(key, uid, day, slot)
    _exponentials(u.reshape(-1))
    return u


def normal(key, uid, day, slot: int = 0) -> np.ndarray:
    """Standard normal numbers, one per element (:func:`normal_draw`: the inverse
    distribution function of the uniform draw)."""
    u = uniform(key, uid, day, slot)
    _normals(u.reshape(-1))
    return u


@compiled()
def _geometric(u, q, out):
    for i in range(u.size):
        out[i] = geometric_wait(u[i], q[i])


def geometric(u: np.ndarray, q) -> np.ndarray:
    """:func:`geometric_wait` element by element of uniform numbers ``u`` (``q`` > 0, per
    element or one for all). [days]"""
    u = np.ascontiguousarray(u, np.float64)
    q = np.ascontiguousarray(np.broadcast_to(np.asarray(q, np.float64), u.shape))
    out = np.empty(u.shape)
    _geometric(u.reshape(-1), q.reshape(-1), out.reshape(-1))
    return out
