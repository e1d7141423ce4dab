"""Memory estimates for Populations and Projections: a clear error before a large
allocation that cannot fit, instead of a NumPy MemoryError or minutes of swap.
(Recording buffers are checked by the engine when a run starts: engine/recorders.py.)

The costs are measured peaks during building, not guesses (tests/test_memory_estimates.py
measures them with tracemalloc and checks every estimate within 25 %):

* a cell: every float parameter, state variable and initial value of the engine
  group (8 bytes each, parameters twice at the peak) and one Python ``ID`` object
  per cell (PyNN's ``all_cells``: ~260 bytes with its attribute dict and the arrays);
* a static synapse while a vectorized connector builds it: 56 bytes (pair indices,
  weights, delays and their sorting, before the 12-byte store); FixedTotalNumber
  90; SmallWorld builds dense (pre x post) distance arrays first: 52 bytes per *pair*;
  PyNN's generic per-column code (DistanceDependentProbability...) 18 per synapse.

The number of connections is exact where the connector fixes it, an expectation
otherwise: p x pairs for FixedProbability, the mean of the distribution for a
FixedNumberPre/Post with a RandomDistribution n (from a copy with its own RNG, so
the user's stream is untouched), and for a DistanceDependentProbability connector
its probability expression averaged over 2000 random cell pairs.
"""

import copy

import numpy as np
from pyNN import connectors, errors
from pyNN.random import NumpyRNG, RandomDistribution

from . import memory
from .memory import InsufficientMemoryError

#: bytes per cell besides the group's float arrays: the ID object and its dict, the
#: object array of IDs, the int64 id arrays, masks and counters (measured, rounded up)
BYTES_PER_CELL_OVERHEAD = 260


def population_bytes(celltype, size):
    """Estimated peak bytes of creating a Population of ``size`` cells of ``celltype``."""
    model = getattr(celltype, "engine_model", None)
    n_params = len(getattr(model, "parameter_names", ())) or 8
    n_state = len(getattr(model, "state_names", ()))
    # parameters are built as arrays, then concatenated into the group's (x2 at the peak)
    return size * (8 * (2 * n_params + 3 * n_state) + BYTES_PER_CELL_OVERHEAD)


def check_population_fits(population):
    """InsufficientMemoryError if ``population`` would not fit in the available memory."""
    available = memory.available_memory()
    if available is None:
        return
    needed = population_bytes(population.celltype, population.size)
    if needed > available:
        raise PopulationTooLargeError(
            f"Population {population.label!r} of {population.size:,} "
            f"{type(population.celltype).__name__} cells would need ~{needed / 2**30:.1f} GiB, "
            f"but only {available / 2**30:.1f} GiB of memory is available")


class PopulationTooLargeError(InsufficientMemoryError, errors.InvalidParameterValueError):
    """A Population would need more memory than is available."""


#: bytes at the building peak per synapse (static; plastic add what memory.py says)
BYTES_VECTORIZED = 56
BYTES_TOTAL_NUMBER = 90
BYTES_PER_PAIR_SMALL_WORLD = 52
BYTES_GENERIC = 18
BYTES_ONE_TO_ONE = 125      # index arrays of the whole populations besides the synapses
#: cell pairs drawn to estimate a distance-dependent connection probability
DISTANCE_SAMPLES = 2000


def _mean_of(n):
    """Mean of a connector's n: the number, or a RandomDistribution's (from a copy)."""
    if isinstance(n, RandomDistribution):
        sample = copy.copy(n)
        sample.rng = NumpyRNG(seed=12345)
        return float(np.mean(sample.next(1000)))
    return float(n)


def _distance_probability(connector, projection):
    """Mean connection probability of a distance expression, over random cell pairs
    (the distances between DISTANCE_SAMPLES random pre and post cells, all pairs)."""
    rng = np.random.default_rng(0)
    k = int(np.sqrt(DISTANCE_SAMPLES * 20))
    i = rng.integers(0, projection.pre.size, k)
    j = rng.integers(0, projection.post.size, k)
    d = projection.space.distances(projection.pre.positions.T[i],
                                   projection.post.positions.T[j])
    namespace = {name: getattr(np, name) for name in dir(np) if not name.startswith("_")}
    with np.errstate(all="ignore"):
        p = eval(connector.d_expression, {"__builtins__": {}}, dict(namespace, d=d))
    p = np.clip(np.nan_to_num(np.broadcast_to(np.asarray(p, float), d.shape)), 0.0, 1.0)
    return float(p.mean())


def expected_connections(connector, projection):
    """(expected connections, bytes per connection at the peak, bytes besides), or None."""
    n_pre, n_post = projection.pre.size, projection.post.size
    kind = type(connector)
    try:
        if kind is connectors.AllToAllConnector:
            return n_pre * n_post, BYTES_VECTORIZED, 0
        if kind is connectors.FixedProbabilityConnector:
            return connector.p_connect * n_pre * n_post, BYTES_VECTORIZED, 0
        if kind is connectors.OneToOneConnector:
            return min(n_pre, n_post), BYTES_ONE_TO_ONE, 0
        if kind is connectors.FixedNumberPreConnector:
            return _mean_of(connector.n) * n_post, BYTES_VECTORIZED, 0
        if kind is connectors.FixedNumberPostConnector:
            return _mean_of(connector.n) * n_pre, BYTES_VECTORIZED, 0
        if kind is connectors.FixedTotalNumberConnector:
            return float(connector.n), BYTES_TOTAL_NUMBER, 0
        if kind is connectors.SmallWorldConnector:
            n = (float(connector.n_connections) * n_pre if connector.n_connections is not None
                 else _distance_probability(connector, projection) * n_pre * n_post)
            return n, BYTES_VECTORIZED, BYTES_PER_PAIR_SMALL_WORLD * n_pre * n_post
        if kind is connectors.DistanceDependentProbabilityConnector:
            return (_distance_probability(connector, projection) * n_pre * n_post,
                    BYTES_GENERIC, 16 * n_pre)
    except Exception:       # noqa: BLE001 -- an estimate must never break building
        return None
    return None


def projection_bytes(connector, projection):
    """Estimated peak bytes of building ``projection``, or None when unknown."""
    estimate = expected_connections(connector, projection)
    if estimate is None:
        return None
    n, per_connection, fixed = estimate
    if getattr(projection, "_plastic", False):
        per_connection = max(per_connection, memory.bytes_per_synapse(projection))
    return n, n * per_connection + fixed


def check_projection_fits(connector, projection):
    """InsufficientMemoryError if building ``projection`` would not fit in memory."""
    available = memory.available_memory()
    estimate = projection_bytes(connector, projection)
    if estimate is None or available is None:
        return
    n, needed = estimate
    if needed > available:
        raise InsufficientMemoryError(
            f"Projection {projection.label!r} ({type(connector).__name__}, "
            f"{projection.pre.size} x {projection.post.size} cells) would make about "
            f"{n:,.0f} connections, needing ~{needed / 2**30:.1f} GiB while it is built, "
            f"but only {available / 2**30:.1f} GiB of memory is available; use fewer "
            "cells or connections (e.g. a scale factor)")
