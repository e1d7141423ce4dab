"""Memory estimates before anything large is allocated, and a clear error when it won't fit.

Building a Population or a Projection that needs more memory than the machine has
makes the system swap for minutes before anything fails. So before creating cells
or connecting, the peak memory of that step is estimated and compared with the
memory the operating system says is available (Linux: MemAvailable in /proc/meminfo;
elsewhere no check). Recording buffers are checked by the engine when a run starts
(engine/recorders.py), against the same figure (engine/resources.py).

The costs are measured peaks during building, not guesses (tests/test_memory_estimates.py
measures them with tracemalloc and checks every estimate within 25 %):

* a cell: every float parameter, state variable and initial value of the engine
  group (8 bytes each, parameters twice at the peak) and one Python ``ID`` object
  per cell (PyNN's ``all_cells``: ~260 bytes with its attribute dict and the arrays);
* a connection: what the connector's entry in the registry of :mod:`.connectors`
  says (``expected`` connections, ``peak_bytes`` each while they are built,
  ``pair_bytes`` per (pre, post) cell pair for connectors that build dense
  distance arrays first, ``post_bytes`` per postsynaptic cell); PyNN's generic
  per-column code, for the one connector whose count it can estimate without
  building (DistanceDependentProbability), costs BYTES_GENERIC per connection.
  Connectors PyNN builds itself (IndexBased/DisplacementDependentProbability,
  Array, FromList, FromFile, CSA, Clone) are in the registry for their estimate alone,
  with the measured peaks of PyNN's code (see the end of :mod:`.connectors`).

The number of connections is exact where the connector fixes it (FromList: its
length; Clone: the reference's; FromFile: the file's lines, counted without loading it; Array: its
non-zero entries), an expectation otherwise: p x pairs for FixedProbability, the
mean of the distribution for a FixedNumberPre/Post with a RandomDistribution n,
for distance-dependent connectors their probability expression averaged over
random cell pairs, for index- or displacement-based ones their expression over
evenly spread columns, for CSA the connection set counted in evenly spread
blocks of columns.
"""

import numpy as np
from pyNN import connectors as pynn_connectors, errors

from .connectors import REGISTRY, expected_connections  # noqa: F401 (the registry's count)
from .engine.plasticity import PairTraceRule
from .engine.resources import available_memory

#: bytes per static synapse while it is queued (presynaptic id 4, key 4, weight 8; see
#: engine/synapses.py), the most a built static synapse costs; 12 once merged
BYTES_PER_SYNAPSE = 16
#: a plastic synapse, once built: pre, post, delay, weight, initial weight and the
#: last-spike step (6 x 8), plus 8 per parameter and 16 per state variable (value and
#: initial value) of its rule (engine/plasticity.py); pair rules keep five more
#: per-synapse arrays (traces and pending post events, PairTraceRule._grow). While
#: they are built, the queued arrays and their concatenation are alive together:
#: twice that at the peak (measured for the five plastic synapse types within 10 %)
BYTES_PER_PLASTIC_SYNAPSE = 48
BYTES_PER_PAIR_RULE_SYNAPSE = 40
#: bytes per connection PyNN's generic per-column code needs while it builds
BYTES_GENERIC = 18
#: bytes per cell besides the group's float arrays: the ID object and its dict, the
#: object array of IDs, the int64 id arrays, masks and counters (measured, rounded up)
BYTES_PER_CELL_OVERHEAD = 260
#: cell pairs drawn to estimate a distance-dependent connection probability
DISTANCE_SAMPLES = 2000


class InsufficientMemoryError(errors.ConnectionError, MemoryError):
    """A Projection would need more memory than is available."""


class PopulationTooLargeError(InsufficientMemoryError, errors.InvalidParameterValueError):
    """A Population would need more memory than is available."""


# --------------------------------------------------------------- Populations

def population_bytes(celltype, size, held=None):
    """Estimated peak bytes of creating a Population of ``size`` cells of ``celltype``.

    ``held``: how many of them this MPI rank's group holds (None: all, one process);
    every rank has every cell's ID object (PyNN's ``all_cells``), only the held
    cells' arrays.
    """
    model = getattr(celltype, "engine_model", None)     # None: another backend's type
    n_params = len(getattr(model, "parameter_names", ())) or 8
    n_state = len(getattr(model, "state_names", ()))
    held = size if held is None else held
    # parameters are built as arrays, then concatenated into the group's (x2 at the peak)
    return held * 8 * (2 * n_params + 3 * n_state) + size * BYTES_PER_CELL_OVERHEAD


def _held_cells(population):
    """Cells of ``population`` this rank's group will hold (None in one process)."""
    simulator = getattr(population, "_simulator", None)
    network = None if simulator is None else simulator.state.network
    model = getattr(population.celltype, "engine_model", None)
    if network is None or network.exchange is None or model is None:
        return None
    first, stop = network.held_range(model, population.size)
    return stop - first


def check_population_fits(population):
    """PopulationTooLargeError if ``population`` would not fit in the available memory."""
    available = available_memory()
    if available is None:
        return
    needed = population_bytes(population.celltype, population.size, _held_cells(population))
    if needed > available:
        raise PopulationTooLargeError(
            f"Population {population.label!r} of {population.size:,} "
            f"{type(population.celltype).__name__} cells would need ~{needed / 2**30:.1f} GiB, "
            f"but only {available / 2**30:.1f} GiB of memory is available")


# --------------------------------------------------------------- Projections

def bytes_per_synapse(projection):
    """What one connection of ``projection`` costs tinysim at most while it is built."""
    model = getattr(projection.synapse_type, "engine_model", None)
    if not getattr(projection, "_plastic", False) or model is None:
        return BYTES_PER_SYNAPSE
    kept = BYTES_PER_PLASTIC_SYNAPSE + 8 * len(model.parameter_names) \
        + 16 * len(model.state_names)
    if issubclass(model, PairTraceRule):
        kept += BYTES_PER_PAIR_RULE_SYNAPSE
    return 2 * kept


def distance_probability(d_expression, projection):
    """Mean of a distance expression's connection probability over random cell pairs."""
    rng = np.random.default_rng(0)
    k = int(np.sqrt(DISTANCE_SAMPLES * 20))
    i = rng.integers(0, projection.pre.size, k)
    j = rng.integers(0, projection.post.size, k)
    d = projection.space.distances(projection.pre.positions.T[i],
                                   projection.post.positions.T[j])
    namespace = {name: getattr(np, name) for name in dir(np) if not name.startswith("_")}
    with np.errstate(all="ignore"):
        p = eval(d_expression, {"__builtins__": {}}, dict(namespace, d=d))
    p = np.clip(np.nan_to_num(np.broadcast_to(np.asarray(p, float), d.shape)), 0.0, 1.0)
    return float(p.mean())


def projection_bytes(connector, projection):
    """(expected connections, estimated peak bytes of building them), or None when unknown."""
    n_pre, n_post = projection.pre.size, projection.post.size
    try:
        entry = REGISTRY.get(type(connector))
        if entry is not None:
            n = entry.expected_in(connector, projection)
            if n is None and getattr(connector, "d_expression", None) is not None:
                n = distance_probability(connector.d_expression, projection) * n_pre * n_post
            if entry.supported(connector):
                per_connection = entry.peak_bytes_of(connector)
                fixed = entry.pair_bytes * n_pre * n_post + entry.post_bytes * n_post
            else:                   # an instance the vectorized builder can't take
                per_connection, fixed = BYTES_GENERIC, 16 * n_pre
        elif type(connector) is pynn_connectors.DistanceDependentProbabilityConnector:
            n = distance_probability(connector.d_expression, projection) * n_pre * n_post
            per_connection, fixed = BYTES_GENERIC, 16 * n_pre
        else:
            return None
    except Exception:       # noqa: BLE001 -- an estimate must never break building
        return None
    if n is None:
        return None
    kept = bytes_per_synapse(projection)
    per_connection = max(per_connection, kept)
    owned = _owned(projection)
    if owned is None:
        return n, n * per_connection + fixed
    # MPI: every rank evaluates every connection (the same draws as one process), in
    # the builder's arrays, and keeps those onto the cells it owns (projections.py)
    post_ids = np.asarray(projection.post.all_cells, dtype=np.int64)
    n_local = n * float(owned[post_ids].mean()) if n_post else 0.0
    return n_local, n_local * kept + n * (per_connection - kept) + fixed


def _owned(projection):
    """Per global id, whether this rank owns the cell (None in one process)."""
    simulator = getattr(projection, "_simulator", None)
    network = None if simulator is None else simulator.state.network
    return None if network is None else network.owned


def check_projection_fits(connector, projection):
    """InsufficientMemoryError if building ``projection`` would not fit in memory."""
    available = available_memory()
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
