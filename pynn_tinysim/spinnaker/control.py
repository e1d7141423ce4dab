"""setup / run / end of the sPyNNaker flavour, and sPyNNaker's board-steering calls.

``setup()`` takes sPyNNaker's arguments. Differences from pyNN.tinysim's:

- ``timestep`` defaults to 1.0 ms (``"auto"`` also means 1.0 ms, as in sPyNNaker);
- ``min_delay`` defaults to one time step and must be a whole multiple of it;
- ``max_delay`` is ignored, with sPyNNaker's warning: the longest delay depends
  on the target population (see :mod:`.projections`); ``get_max_delay()`` raises
  NotImplementedError, as in sPyNNaker;
- ``fixed_point`` (default True): s16.15 arithmetic, 16-bit weights and
  ring-buffer saturation as on the board; False runs the same update rules in
  float64;
- ``rng_seed``: seed of the simulator's own random streams (Poisson sources);
- board arguments (``time_scale_factor``, ``n_boards_required``,
  ``database_socket_addresses``...) are accepted and ignored.

Each run first puts the weights into the board's 16-bit form when the network
changed (:mod:`.ring_buffers`).
"""

import logging

import numpy as np

from pyNN import common, errors

from .. import control as core_control
from .. import simulator as core_simulator
from ..engine.spinnaker import settings as engine_settings
from . import live, neuromodulation, ring_buffers, virtual_machine
from .projections import check_delay_extensions
from .cells import SpiNNakerCellType
from .simulator import SPYNNAKER_AUTO_TIMESTEP, SpiNNakerSettings, settings

logger = logging.getLogger("pyNN.tinysim.spinnaker")

_BOARD_SETUP_ARGUMENTS = ("database_socket_addresses", "time_scale_factor",
                          "n_chips_required", "n_boards_required")


def setup(timestep=SPYNNAKER_AUTO_TIMESTEP, min_delay="auto", max_delay=None,
          fixed_point=True, **extra_params):
    """Initialise (or re-initialise) the sPyNNaker flavour; any existing network is destroyed."""
    if timestep is None:
        logger.warning(
            "setup() without a timestep: pyNN.tinysim.spinnaker uses %s ms (sPyNNaker 7.4 "
            "itself falls back to PyNN's 0.1 ms here, with a warning); pass timestep= to be "
            "sure both agree", SPYNNAKER_AUTO_TIMESTEP)
        timestep = SPYNNAKER_AUTO_TIMESTEP
    elif timestep == "auto":
        timestep = SPYNNAKER_AUTO_TIMESTEP
    if min_delay is None or min_delay == "auto":
        min_delay = timestep
    try:
        timestep, min_delay = float(timestep), float(min_delay)
    except (TypeError, ValueError):
        raise errors.InvalidParameterValueError(
            f"setup(): timestep and min_delay must be numbers of ms, not {timestep!r}, "
            f"{min_delay!r}") from None
    if timestep > 0 and min_delay < timestep * (1 - 1e-9):
        raise errors.InvalidParameterValueError(
            f"setup(): invalid min_delay: {min_delay} must be at least the time step "
            f"{timestep} ms (as sPyNNaker requires)")
    if timestep > 0 and abs(min_delay / timestep - round(min_delay / timestep)) > 1e-5:
        raise errors.InvalidParameterValueError(
            f"setup(): invalid min_delay {min_delay} must be a multiple of the time step "
            f"{timestep} ms (as sPyNNaker requires)")
    if max_delay:
        logger.warning("max_delay is not supported by sPyNNaker so will be ignored")
    rng_seed = extra_params.pop("rng_seed", extra_params.pop("grng_seed", None))
    time_scale_factor = extra_params.get("time_scale_factor")   # paces live runs (.live)
    for name in _BOARD_SETUP_ARGUMENTS:
        if name in extra_params:
            logger.debug("setup(%s=%r): board setting, ignored", name, extra_params.pop(name))
    # the engine's own options (NumPy or compiled engine, its threads): as pyNN.tinysim's
    engine_args = {name: extra_params.pop(name) for name in ("engine", "threads")
                   if name in extra_params}
    if extra_params:
        logger.warning("Extra params %s have been applied to the setup command which we do "
                       "not consider", extra_params)
    core_args = {"max_delay": min_delay, **engine_args}
    if rng_seed is not None:
        core_args["rng_seed"] = rng_seed
    core_control.setup(timestep, min_delay, **core_args)
    network = core_simulator.state.network
    engine_settings.configure(network, SpiNNakerSettings(fixed_point=bool(fixed_point)))
    live.configure(network, time_scale_factor)
    SpiNNakerCellType.reset_all()       # as sPyNNaker's setup() does
    return 0


def _prepare():
    """Scale weights into the board's 16-bit form if the network changed since the last run."""
    flavour = settings()
    if flavour.dirty:
        neuromodulation.prepare(flavour)
        check_delay_extensions(flavour)
        ring_buffers.prepare(core_simulator.state, flavour)
        flavour.dirty = False


_core_run, _core_run_until = common.build_run(core_simulator)


def run(simtime, callbacks=None):
    """Run the simulation for ``simtime`` ms (with live I/O: in chunks, see :mod:`.live`)."""
    _prepare()
    if live.active():
        _no_callbacks_with_live_io(callbacks)
        return live.run(simtime, _core_run)
    return _core_run(simtime, callbacks)


def run_until(tstop, callbacks=None):
    """Run the simulation until ``tstop`` ms."""
    _prepare()
    if live.active():
        _no_callbacks_with_live_io(callbacks)
        return live.run(tstop - core_simulator.state.t, _core_run)
    return _core_run_until(tstop, callbacks)


def run_forever(sync_time=0.0):
    """sPyNNaker's external_devices.run_forever: run until request_stop()."""
    if sync_time:
        logger.debug("run_forever(sync_time=%r): no host synchronisation here", sync_time)
    _prepare()
    return live.run_forever(_core_run)


def _no_callbacks_with_live_io(callbacks):
    if callbacks:
        raise NotImplementedError(
            "pyNN.tinysim.spinnaker: run(callbacks=...) cannot be combined with live I/O "
            "(the live loop runs the network in chunks of its own)")


run_for = run
reset = core_control.reset
initialize = core_control.initialize
end = core_control.end

get_current_time, get_time_step, _get_min_delay, _get_max_delay, num_processes, rank = \
    common.build_state_queries(core_simulator)


def get_min_delay():
    """The minimum delay (ms): the default delay of a StaticSynapse."""
    return core_simulator.state.min_delay


def get_max_delay():
    """Raises NotImplementedError, as sPyNNaker: there is no system-wide maximum delay."""
    raise NotImplementedError("sPyNNaker does not have a system wide max_delay")


# --- board-steering calls: accepted, no effect on the simulation ------------------------

def set_number_of_neurons_per_core(neuron_type, max_permitted):
    """Board setting: neurons of ``neuron_type`` per core. Only bounds the longest delay."""
    if isinstance(neuron_type, str):
        raise errors.InvalidParameterValueError(
            "set_number_of_neurons_per_core call now expects neuron_type as a class "
            "instead of as a str")
    logger.debug("set_number_of_neurons_per_core(%s, %r): board setting",
                 getattr(neuron_type, "__name__", neuron_type), max_permitted)
    if max_permitted is not None:
        if np.ndim(max_permitted) == 0:
            max_permitted = int(max_permitted)
        else:
            max_permitted = tuple(int(m) for m in max_permitted)
    setter = getattr(neuron_type, "set_model_max_atoms_per_dimension_per_core", None)
    if setter is not None:
        setter(max_permitted)


def set_number_of_synapse_cores(neuron_type, n_synapse_cores):
    """Board setting (synapse cores per population): ignored."""
    setter = getattr(neuron_type, "set_model_n_synapse_cores", None)
    if setter is not None:
        setter(n_synapse_cores)


def set_allow_delay_extensions(neuron_type, allow_delay_extensions):
    """Board setting; without delay extensions the longest delay is shorter."""
    setter = getattr(neuron_type, "set_model_allow_delay_extensions", None)
    if setter is not None:
        setter(allow_delay_extensions)


def get_machine():
    """A described, virtual SpiNN-5 board (:mod:`.virtual_machine`); there is no hardware."""
    return virtual_machine.get_machine()


def NativeRNG(seed_value):
    """sPyNNaker's NativeRNG: seeds numpy's global random generator."""
    np.random.seed(seed_value)
