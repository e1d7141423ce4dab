"""Poisson spike counts per source and step, for Numba (see :mod:`.`).

SpikeSourcePoisson (engine/sources.py, ``PoissonSource``) emits, at each step and
for each cell, a Poisson count of spikes (NEST's poisson_generator: spikes on the
time grid, several in one step being that many spikes). The count of cell j at
step k is drawn by inversion from keyed uniforms (:mod:`..keyed`: a function of
the stream's key and (j, k), or (j, k, piece) for the pieces after the first),
so it depends on nothing drawn before: the NumPy step (``PoissonSource.counts``)
and the compiled loop give the same counts bit for bit, a run split in several
gives the same spikes, and under MPI every rank draws the same.

A cell's schedule is at most three *segments* of steps (arrays of shape
(3, cells), ``seg_from`` <= k < ``seg_to``): the step where ``start`` falls, the
whole steps, the step where ``start + duration`` falls; each with its mean per
piece ``seg_lam``, its ``seg_exp`` = exp(-``seg_lam``) (computed once, in NumPy,
so that no transcendental function is evaluated per draw: both engines then do
only multiplications, divisions, additions and comparisons, in the same order)
and its number of pieces ``seg_pieces`` (a mean above
``PoissonSource.MAX_PIECE_MEAN`` is split in pieces, each counted from its own
uniform, so that exp(-mean) never underflows). :func:`invert` is the inversion,
:func:`poisson_counts` a whole source for one step.
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


def step_uniform(cell_hash, k, piece):
    """keyed.uniform(key, cell, k) for piece 0, keyed.uniform(key, cell, k, piece) for
    the others, from ``cell_hash`` = keyed.chain(key, cell) (one hash a draw, mostly)."""
    h = _mix((cell_hash ^ np.uint64(k)) + _GOLDEN)
    if piece > 0:
        h = _mix((h ^ np.uint64(piece)) + _GOLDEN)
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


#: terms of the inversion :func:`poisson_counts` keeps tabulated per mean (a count
#: beyond them is inverted by :func:`invert` itself)
TABLE = 32


def poisson_counts(cell_hash, k, seg_from, seg_to, seg_lam, seg_exp, seg_pieces, out,
                   idx, table, lo=0, hi=-1):
    """``out[j]``: the spikes of cell j at step k (see the module docstring; ``cell_hash``:
    keyed.chain(key, j) for each cell j); returns their sum. ``idx``: scratch, one
    integer per cell; ``table``: scratch for the inversion's partial sums, :data:`TABLE`
    floats (fewer: invert beyond them; nothing here allocates, so that a stretch's
    uncounted steps may call it: kernels.UNCOUNTED). Only cells ``lo`` .. ``hi`` - 1 (``hi`` -1: to the last): a
    stretch's sources lie side by side in its arrays, each drawn without slicing them
    (seven array views per source and step are less code to compile, and the stretch
    and Python then call the one compiled signature of whole C-contiguous arrays).

    Two passes, for speed alone (the second alone would give the same counts): the
    first, without branches, lists the cells whose count may not be 0 (all but those
    in their whole steps, in one piece, with a uniform below exp(-mean)); the second
    counts those. (A third of the microcircuit's background cells spike at a step,
    at random: one pass with the inversion's branches mispredicts for most cells.)

    The second pass keeps the cumulative probabilities :func:`invert` computes (its
    partial sums, by its operations in its order) for the mean of the last cell drawn
    in its whole steps and one piece: cells of one population share their mean, so a
    count is then how many of those sums the uniform reaches, without the inversion's
    divisions and its data-dependent loop (the full-scale microcircuit's 77 169
    sources: 1.50 -> 0.33 s per 1000 steps); the same comparisons of the same sums,
    so the same counts.
    """
    if hi < 0:
        hi = out.size
    m = 0
    for j in range(lo, hi):
        out[j] = 0
        zero = (seg_from[1, j] <= k) & (k < seg_to[1, j]) & (seg_pieces[1, j] == 1) \
            & (step_uniform(cell_hash[j], k, np.int64(0)) < seg_exp[1, j])
        idx[m] = j
        m += 1 - np.int64(zero)
    total = 0
    # table[n]: invert's cumulative after n terms, for mean table_lam (exp(-mean)
    # table_p0); built: how many are tabulated; term: the last tabulated term; a term
    # that underflows to 0 ends the inversion: its entry is +inf, none follows (closed)
    table_lam = table_p0 = term = -1.0
    built = 0
    closed = False
    for i in range(m):
        j = np.uint64(idx[i])
        if seg_from[1, j] <= k < seg_to[1, j] and seg_pieces[1, j] == 1:
            lam = seg_lam[1, j]
            p0 = seg_exp[1, j]
            if lam != table_lam or p0 != table_p0:
                table_lam, table_p0 = lam, p0
                term = p0
                closed = not p0 > 0.0      # (invert's first test: no term at all)
                table[0] = np.inf if closed else p0
                built = 1
            u = step_uniform(cell_hash[j], k, np.int64(0))
            c = 0
            for n in range(built):
                c += u >= table[n]
            while c == built and built < table.size and not closed:
                # u is past every tabulated sum: one term more, as invert computes it
                term = term * lam / built
                if term > 0.0:
                    table[built] = table[built - 1] + term
                else:
                    table[built] = np.inf
                    closed = True
                c += u >= table[built]
                built += 1
            if c == built and not closed:       # past the table: invert itself
                c = invert(u, lam, p0)
            out[j] = c
            total += c
            continue
        c = 0
        for s in range(3):
            if seg_from[s, j] <= k < seg_to[s, j]:
                lam = seg_lam[s, j]
                p0 = seg_exp[s, j]
                for piece in range(seg_pieces[s, j]):
                    c += invert(step_uniform(cell_hash[j], k, piece), lam, p0)
                break
        out[j] = c
        total += c
    return total
