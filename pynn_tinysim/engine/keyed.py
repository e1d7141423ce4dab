"""Counter-based random numbers: a draw is a function of a key and integer coordinates.

Owns the draws that must not depend on how many others were drawn before them.
A sequential generator gives the i-th number to whatever asks i-th, so when the
askers are the spiking synapses of a step, or the cells above threshold, the
stream follows the set of askers; under MPI (engine/exchange.py) a rank sees only
its own, and the draws would depend on the number of ranks. Here a draw is
``uniform(key, *coordinates)``: the stream's key (drawn once per stream and reset
from the network's seeded generator, the same on every rank) and the coordinates
naming the draw (e.g. presynaptic id, postsynaptic id, step, which draw), hashed
with SplitMix64's finalizer (a bijection of 64-bit words with good avalanche:
Steele, Lea & Flood 2014) chained over the coordinates. Same key and coordinates,
same number, on any rank and in any order.
"""

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))
_TO_UNIT = 2.0 ** -53


def new_key(rng):
    """A stream key (a 64-bit word) from a numpy Generator."""
    return np.uint64(rng.integers(0, 2 ** 63, dtype=np.int64))


def _mix(z):
    # uint64 array arithmetic wraps modulo 2**64 (what the finalizer needs), silently
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def uniform(key, *coordinates):
    """Numbers in [0, 1) (53-bit), one per element of the broadcast ``coordinates``.

    ``coordinates``: non-negative integers (scalars or arrays, broadcast together).
    """
    return to_unit(chain(key, *coordinates))


def chain(key, *coordinates):
    """The 64-bit words behind :func:`uniform`: ``key`` (a word, or an array of words)
    hashed with each coordinate in turn, so that ``chain(chain(key, a), b)`` is
    ``chain(key, a, b)`` (a stream drawing for many steps of the same cells hashes
    the cells once)."""
    arrays = np.broadcast_arrays(np.asarray(key, np.uint64), *(np.asarray(c) for c in coordinates))
    h = arrays[0].copy()
    for c in arrays[1:]:
        h = _mix((h ^ c.astype(np.uint64)) + _GOLDEN)
    return h


def to_unit(h):
    """Words of :func:`chain` as numbers in [0, 1) (their top 53 bits)."""
    return (h >> _S11) * _TO_UNIT


def binomial(key, counts, p, *coordinates, first_slot=0):
    """Binomial(``counts``, ``p``) per element: ``counts`` Bernoulli trials, each its own
    draw at slot ``first_slot + j`` (j < counts) after ``coordinates``.

    ``counts`` is an integer array (small: release sites), ``p`` scalar or broadcast.
    """
    counts = np.asarray(counts, np.int64)
    out = np.zeros(counts.shape, np.int64)
    if counts.size == 0:
        return out
    p = np.broadcast_to(p, counts.shape)
    for j in range(int(counts.max(initial=0))):
        trial = counts > j
        if not trial.any():
            break
        coords = [np.broadcast_to(c, counts.shape)[trial] for c in coordinates]
        out[trial] += uniform(key, *coords, first_slot + j) < p[trial]
    return out
