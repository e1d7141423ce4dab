"""Simulation control: setup, end, run, run_until, run_for, reset and state queries."""

import functools
import logging
import numbers
import os

import numpy as np

from pyNN import common, errors
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_TIMESTEP, DEFAULT_MIN_DELAY

from . import simulator
from .engine.kernels import ENGINES

logger = logging.getLogger("PyNN")

#: max_delay when the user gives min_delay but not max_delay (as pyNN.nest)
AUTO_MAX_DELAY = 10.0

#: the environment variable that chooses the engine when setup() is given none
ENGINE_VARIABLE = "PYNN_TINYSIM_ENGINE"

#: the most time steps of delay setup() accepts: the ring buffer has a row per step
MAX_DELAY_STEPS = 1_000_000

#: rng_seed when setup() is given none: pyNN.nest's default, so that a script without
#: a seed gives the same spikes on every run, as it does on pyNN.nest
DEFAULT_RNG_SEED = 42


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Initialise (or re-initialise) pyNN.tinysim; any existing network is destroyed.

    `timestep`, `min_delay` and `max_delay` are in ms. ``min_delay='auto'`` allows
    delays down to one time step, and get_min_delay() then reports the shortest
    delay of the connections made (as pyNN.nest does); ``max_delay='auto'`` means 10 ms.

    Extra keyword arguments:

    `rng_seed`:
        seed for every random stream the simulator itself draws from (Poisson
        sources...). The same seed gives the same spikes, bit for bit. Default:
        42, as pyNN.nest, so a script without a seed repeats itself exactly;
        ``rng_seed=None`` asks for a fresh seed from the operating system,
        readable afterwards as ``simulator.state.rng_seed``. (``grng_seed``, the
        pre-0.10 name, is accepted too.)

    `spike_precision`:
        ``"off_grid"`` (default, as pyNN.nest) or ``"on_grid"``. Neurons spike on
        the time grid and every spike is delivered on it either way; with
        ``"off_grid"`` a SpikeSourceArray's spikes are *recorded* at exactly the
        requested times (what pyNN.nest records by default), with ``"on_grid"`` at
        the end of the time step they are emitted in (times rounded up to the grid).

    `progress`:
        ``True`` (default): a long run shows a progress bar when stdout is a
        terminal (never otherwise); ``False``: never.

    `engine`:
        ``"auto"`` (default), ``"numba"`` or ``"numpy"``. The NumPy engine is the
        reference; with ``"numba"`` the models and synapses that have compiled
        kernels run them, and networks made only of such parts run whole stretches
        of steps in compiled code: the same results, bit for bit, faster.
        ``"auto"`` starts with NumPy and switches to the kernels once the runs are
        long enough to repay loading Numba (about a second, once per process).
        Where Numba cannot be imported, the NumPy engine runs, with one warning.
        Default: the environment variable ``PYNN_TINYSIM_ENGINE`` if set (to run
        unmodified scripts on one engine), else ``"auto"``.

    `threads`:
        threads of the compiled engine (as pyNN.nest's ``threads``, per process).
        Default: 1, or the environment variable ``NUMBA_NUM_THREADS`` where set;
        never more than ``NUMBA_NUM_THREADS`` (Numba's limit, the number of cores
        where unset). Groups of 4000 neurons and more are updated on that many
        threads, and large spike volumes delivered so; results are the same bits
        whatever the count. More threads pay on idle cores only (the threads meet
        at every time step).

    Other keyword arguments that other backends accept (``verbosity``...) are
    accepted and ignored, so scripts written for them run unchanged.
    """
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    # checked here, before pyNN.common.setup, so that bad values give PyNN errors
    _check_time_argument("timestep", timestep)
    min_delay_auto = min_delay == "auto"
    if min_delay_auto:
        min_delay = timestep
    _check_time_argument("min_delay", min_delay)
    if min_delay < timestep * (1 - 1e-9):
        raise errors.InvalidParameterValueError(
            f"setup(): min_delay={min_delay} ms must not be smaller than timestep={timestep} ms")
    if max_delay == "auto":
        max_delay = max(AUTO_MAX_DELAY, min_delay)
    _check_time_argument("max_delay", max_delay)
    if float(max_delay) / float(timestep) > MAX_DELAY_STEPS:
        raise errors.InvalidParameterValueError(
            f"setup(): max_delay={max_delay} ms is {float(max_delay) / float(timestep):.3g} "
            f"time steps of {timestep} ms; at most {MAX_DELAY_STEPS:,} are supported (the "
            "ring buffer of future input holds one row per step of delay)")
    if max_delay < min_delay:
        raise errors.InvalidParameterValueError(
            f"setup(): max_delay={max_delay} ms must not be smaller than min_delay={min_delay} ms")
    spike_precision = extra_params.get("spike_precision", "off_grid")
    if spike_precision not in ("off_grid", "on_grid"):
        raise errors.InvalidParameterValueError(
            f"setup(): spike_precision must be 'on_grid' or 'off_grid', not {spike_precision!r}")
    engine = extra_params.get("engine")
    if engine is not None and engine not in ENGINES:
        raise errors.InvalidParameterValueError(
            f"setup(): engine must be one of {', '.join(map(repr, ENGINES))}, not {engine!r}")
    if engine is None and os.environ.get(ENGINE_VARIABLE):
        engine = os.environ[ENGINE_VARIABLE]
        if engine not in ENGINES:
            raise errors.InvalidParameterValueError(
                f"setup(): the environment variable {ENGINE_VARIABLE} must be one of "
                f"{', '.join(map(repr, ENGINES))}, not {engine!r}")
    threads = extra_params.get("threads")
    if threads is not None and (isinstance(threads, bool)
                                or not isinstance(threads, numbers.Integral) or threads < 1):
        raise errors.InvalidParameterValueError(
            f"setup(): threads must be a positive integer, not {threads!r}")
    common.setup(timestep, min_delay, **extra_params)
    rng_seed = extra_params.get("rng_seed", extra_params.get("grng_seed", DEFAULT_RNG_SEED))
    if rng_seed is not None:
        rng_seed = _check_seed(rng_seed)
    for name in extra_params:
        if name not in ("max_delay", "rng_seed", "grng_seed", "spike_precision", "progress",
                        "engine", "threads"):
            logger.debug("pyNN.tinysim: setup() argument %r ignored", name)
    simulator.state.configure(timestep, min_delay, max_delay, rng_seed,
                              min_delay_auto=min_delay_auto, spike_precision=spike_precision,
                              engine=engine, threads=threads)
    simulator.state.progress = bool(extra_params.get("progress", True))
    return rank()


def _check_time_argument(name, value):
    try:
        ok = 0 < float(value) < float("inf")
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise errors.InvalidParameterValueError(
            f"setup(): {name} must be a positive number of ms, not {value!r}")


def _check_seed(value):
    try:
        seed = int(value)
        ok = seed == value and seed >= 0
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise errors.InvalidParameterValueError(
            f"setup(): rng_seed must be a non-negative integer or None, not {value!r}")
    return seed


def end(compatible_output=True):
    """Write data requested with record(..., to_file=...) and finish."""
    for (population, variables, filename) in simulator.state.write_on_end:
        # a file name is handed on as it is: write_data replaces it atomically
        population.write_data(filename, variables)
    simulator.state.write_on_end = []


_run, _run_until = common.build_run(simulator)


def _check_run_time(function, name, value):
    """A finite number of ms (PyNN's own code would fail on it with a bare TypeError)."""
    try:
        ok = np.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise errors.InvalidParameterValueError(
            f"{function}(): {name} must be a finite number of ms, not {value!r}")


@functools.wraps(_run)
def run(simtime, callbacks=None):
    _check_run_time("run", "simtime", simtime)
    if simtime < 0:
        raise errors.InvalidParameterValueError(
            f"run(): simtime must be >= 0 ms, not {simtime!r}")
    return _run(simtime, callbacks)


@functools.wraps(_run_until)
def run_until(time_point, callbacks=None):
    _check_run_time("run_until", "time_point", time_point)
    return _run_until(time_point, callbacks)


run_for = run

reset = common.build_reset(simulator)

initialize = common.initialize

get_current_time, get_time_step, _get_configured_min_delay, get_max_delay, \
    num_processes, rank = common.build_state_queries(simulator)


def get_min_delay():
    """Return the minimum synaptic delay in ms.

    After ``setup(min_delay='auto')``: the shortest delay of the connections made so
    far, as pyNN.nest reports it (one time step while there are none).
    """
    state = simulator.state
    if state.min_delay_auto:
        shortest = state.shortest_connection_delay()
        if shortest is not None:
            return shortest
    return _get_configured_min_delay()
