"""Poisson spike counts per source and step, for Numba (see :mod:`.`).

SpikeSourcePoisson (engine/sources.py, ``PoissonSource``) emits, at each step and
for each cell, a Poisson count of spikes (NEST's poisson_generator: spikes on the
time grid, several in one step being that many spikes). The count of cell j at
step k is drawn by inversion from keyed uniforms (:mod:`..keyed`: a function of
the stream's key and (j, k, piece)), so it depends on nothing drawn before: the
NumPy step (``PoissonSource.step``) and the compiled loop give the same counts
bit for bit, a run split in several gives the same spikes, and under MPI every
rank draws the same.

A cell's schedule is at most three *segments* of steps (``seg_from`` <= k <
``seg_to``: the step where ``start`` falls, the whole steps, the step where
``start + duration`` falls), each with its mean per piece ``seg_lam``, its
``seg_exp`` = exp(-``seg_lam``) (computed once, in NumPy, so that no
transcendental function is evaluated per draw: both engines then do only
multiplications, divisions, additions and comparisons, in the same order) and
its number of pieces ``seg_pieces`` (a mean above ``MAX_PIECE_MEAN`` is split in
pieces, each counted from its own uniform, so that exp(-mean) never underflows).
:func:`invert` is the inversion, :func:`poisson_counts` a whole source for one step.
"""

import numpy as np

# SplitMix64's finalizer, as in engine/keyed.py (the same words, the same order)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))
_TO_UNIT = 2.0 ** -53


def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def uniform3(key, a, b, c):
    """keyed.uniform(key, a, b, c) for one draw (non-negative integer coordinates)."""
    h = key
    h = _mix((h ^ np.uint64(a)) + _GOLDEN)
    h = _mix((h ^ np.uint64(b)) + _GOLDEN)
    h = _mix((h ^ np.uint64(c)) + _GOLDEN)
    return np.float64(h >> _S11) * _TO_UNIT


def invert(u, lam, p0):
    """The Poisson(``lam``) count whose cumulative probability first exceeds ``u``
    (``p0`` = exp(-lam)); stops where the terms underflow to 0."""
    count = 0
    term = p0
    cumulative = p0
    while u >= cumulative and term > 0.0:
        count += 1
        term = term * lam / count
        cumulative = cumulative + term
    return count


def poisson_counts(key, k, seg_from, seg_to, seg_lam, seg_exp, seg_pieces, out):
    """``out[j]``: the spikes of cell j at step k (see the module docstring); returns
    their sum."""
    total = 0
    for j in range(out.size):
        c = 0
        for s in range(seg_from.shape[1]):
            if seg_from[j, s] <= k < seg_to[j, s]:
                lam = seg_lam[j, s]
                p0 = seg_exp[j, s]
                for piece in range(seg_pieces[j, s]):
                    c += invert(uniform3(key, j, k, piece), lam, p0)
                break
        out[j] = c
        total += c
    return total
